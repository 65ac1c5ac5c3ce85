"""The web kit: what a module's own views and API may import, without the app factory.

- :mod:`.authz` — the principal and the access rules every blueprint declares;
- :mod:`.ext` — the engine, settings and password hasher the app factory set up;
- :mod:`.errors` — errors as JSON under ``/api/`` and ``/log/``, as pages elsewhere;
- :mod:`.forms` — translated messages for refusals, per-form idempotency keys;
- :mod:`.nav` — the navigation the modules declare.
"""

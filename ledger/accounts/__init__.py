"""Organisations, people, roles and what each may see; sign-in, API tokens and the audit chain.

``model`` and ``scopes`` are pure (no I/O); ``services`` takes a SQLAlchemy connection inside
the caller's transaction. Nothing here imports Flask: the web edge (``ledger.web.auth``,
``ledger.webkit.authz``) turns these into sessions and HTTP answers.
"""

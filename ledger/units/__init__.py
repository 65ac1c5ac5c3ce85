"""Carbon units: programmes, projects, serial-exact lots, issue / transfer / pledge / release /
retire, disclosed sales, and one-yuan carbon purchases at volume (see ``docs/units.md``).

- :mod:`.model` — pure records and rules: programmes, uses, holder accounts, serial ranges and
  their interval arithmetic, sale arithmetic, the bodies of the entry kinds;
- :mod:`.book` — pure: what an entry does to the serials, and what it may not do;
- :mod:`.tables`, :mod:`.projection` — the projections (projects, lots, holdings, sales and
  the public register) and their replay for ``log verify``;
- :mod:`.services` — the operations, written through ``ledger.services.log.write``;
- :mod:`.oneyuan` — the one-yuan purchase import;
- :mod:`.views`, :mod:`.api`, :mod:`.cli` — pages, JSON API, commands; :mod:`.demo`.
"""

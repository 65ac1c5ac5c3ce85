"""Judicial carbon (司法碳汇): court cases, carbon-loss assessment by versioned methods,
decisions, restoration purchases that retire real carbon units for a case, and the certificate
for the case file (see ``docs/judicial.md``).

- :mod:`.model` — pure: case keys, offences, states, the bodies of the entry kinds, the
  decision arithmetic;
- :mod:`.tables`, :mod:`.projection` — the projections (cases, their steps, methods, the units
  each purchase took) and their replay for ``log verify``;
- :mod:`.services` — the operations, written through ``ledger.services.log.write``;
- :mod:`.assessment`, :mod:`.methods`, :mod:`.casenumber` — the assessment arithmetic, the
  shipped methods and case-number validation;
- :mod:`.views`, :mod:`.api`, :mod:`.cli` — pages, JSON API, commands; :mod:`.demo`.
"""

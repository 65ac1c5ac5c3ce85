"""Ledger services: the append path, proofs, checkpoints, verification, anchoring.

Services take a SQLAlchemy connection or engine and plain arguments and return plain values or
raise :class:`ledger.core.errors.LedgerError`; they never import Flask.
"""

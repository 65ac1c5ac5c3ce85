"""The benchmarks' module: the kinds of the synthetic payouts the append benchmark writes
(named in ``LEDGER_EXTRA_MODULES`` by ``bench/__main__.py``)."""

from ledger.platform import N_, EntryKind, Module

MODULE = Module(
    name="bench",
    label=N_("Benchmarks"),
    kinds=(EntryKind("bench.payout", N_("Benchmark payout")),),
)

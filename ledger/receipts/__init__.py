"""Receipts that prove themselves: proof bundles (:mod:`.bundle`), PDFs a person reads
(:mod:`.pdf`, issued through :mod:`.issue`), offline verification (:mod:`.verify`), the public
verification page (:mod:`.views`) and ``carbon-ledger receipt`` (:mod:`.cli`). The format is
specified in ``docs/receipts.md``."""

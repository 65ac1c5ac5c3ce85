"""The pure core of carbon-ledger: records, canonical encoding, hashing, Merkle maths,
proof verification and signed notes. No I/O, no frameworks: an auditor reads this first."""

"""Command groups of the platform modules (the log, accounts); domain modules keep theirs in
their own ``cli.py``."""

"""A job runner that dies, for the stale-run test: ``python -m tests.jobs.crasher URL INSTANCE
JOB_ID MARKER WHEN`` claims and runs the one-yuan import job ``JOB_ID``, and, at ``WHEN``,
creates the file ``MARKER`` and waits to be killed:

- ``writing``: inside the import's write transaction, after its entries and projections are
  inserted but before the commit;
- ``written``: after the commit, before the job's outcome is recorded.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main(url: str, instance: str, job_id: str, marker: str, when: str) -> None:
    from ledger.config import load_settings
    from ledger.jobs import runner
    from ledger.storage.db import make_engine
    from ledger.units import oneyuan
    from ledger.units.projection import UnitsProjector

    def stop_here() -> None:
        Path(marker).write_text("here")
        time.sleep(600)  # until SIGKILL

    if when == "writing":
        apply = UnitsProjector.apply

        def apply_then_stop(self, conn, log, entries):
            apply(self, conn, log, entries)
            stop_here()

        UnitsProjector.apply = apply_then_stop
    else:
        write = oneyuan.write

        def write_then_stop(engine, decide):
            entries = write(engine, decide)
            stop_here()
            return entries

        oneyuan.write = write_then_stop
    engine = make_engine(url)
    runner.run_job(engine, load_settings(instance_path=Path(instance)), int(job_id))


if __name__ == "__main__":
    main(*sys.argv[1:])

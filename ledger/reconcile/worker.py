"""Reading a large registry export in a process of its own.

An import parses its file and writes its rows at the same time. In one process the two take
turns with the interpreter's lock, and every row read on one processor is handed to another,
which costs the reading a third or more over reading alone. :func:`read_blocks_beside`
moves the reading into a child interpreter (``python -m ledger.reconcile.worker``), which
sends each block back through a pipe: the parent only loads and writes the rows.

It gives exactly what :func:`~ledger.reconcile.formats.read_blocks` gives for the file, block
by block and in order, so what is stored, counted and refused is the same. The blocks cross
as :mod:`marshal` data: lists of text, numbers and bytes, whose loading (unlike pickle's)
calls nothing. The child is started for one file and ended when the reading ends, early or not; a
child that fails raises here, an :class:`OSError` for a file it cannot read.

Only layouts a child can rebuild are read this way: the public formats (by name) and column
mappings (from :attr:`~ledger.reconcile.formats.Layout.spec`); see :func:`can_read`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import marshal
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import astuple
from pathlib import Path
from typing import IO

from ledger.reconcile.formats import LAYOUTS, Columns, Layout, read_blocks
from ledger.reconcile.mapping import layout_of
from ledger.reconcile.model import IssuanceRow, RowError

#: Files at least this large are read in a child process (a smaller one is read before a
#: child would have started).
MIN_BYTES = 16 * 1024 * 1024
#: The pipe's buffer: a few blocks, so the child reads on while the parent writes.
PIPE_BYTES = 1024 * 1024
_HEADER = 8
_FAILED_TO_READ = 3


def can_read(layout: Layout) -> bool:
    """Whether a child process can be started (an embedded interpreter may have no program
    to start) and can build ``layout`` again."""
    return bool(sys.executable) and (LAYOUTS.get(layout.key) is layout or layout.spec is not None)


def read_blocks_beside(path: Path, layout: Layout) -> Iterator[tuple[Columns, list]]:
    """:func:`~ledger.reconcile.formats.read_blocks` of the file at ``path``, read by a child
    process (see the module text); ``layout`` must be one :func:`can_read` allows."""
    request = {"path": str(path), "format": layout.key, "mapping": layout.spec}
    # This ledger package, not one the working directory holds (-P leaves that out).
    root = str(Path(__file__).resolve().parents[2])
    paths = [root, os.environ.get("PYTHONPATH")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, paths))}
    command = [sys.executable, "-P", "-m", __name__]
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    ) as child:
        try:
            _widen(child.stdout)
            child.stdin.write(json.dumps(request).encode())
            child.stdin.close()
            read = child.stdout.read
            while len(header := read(_HEADER)) == _HEADER:
                size = int.from_bytes(header, "little")
                if not size:  # the end: the child exits now
                    child.wait()
                    return
                data = read(size)
                if len(data) < size:
                    break
                columns, others = marshal.loads(data)  # noqa: S302 (see the module text)
                yield columns, [IssuanceRow(*o) if len(o) == 1 else RowError(*o) for o in others]
            raise _failure(child, path)
        finally:
            if child.poll() is None:
                child.kill()


def _widen(pipe: IO[bytes]) -> None:
    """Give the pipe room for a few blocks, where the system allows (Linux)."""
    with contextlib.suppress(AttributeError, OSError):
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _failure(child: subprocess.Popen, path: Path) -> Exception:
    """What a child that stopped before the end of its file (or within a block) failed with."""
    problem = child.stderr.read().decode(errors="replace").strip()
    code = child.wait()
    if code == _FAILED_TO_READ:
        error = json.loads(problem)
        return OSError(error["errno"], error["strerror"], str(path))
    last = problem.splitlines()[-1] if problem else f"exit status {code}"
    return RuntimeError(f"reading {path} in a child process failed: {last}")


def _serve(request: dict, out: IO[bytes]) -> None:
    """The child: read the file the request names and write each block to ``out``."""
    mapping = request["mapping"]
    layout = LAYOUTS[request["format"]] if mapping is None else layout_of(mapping)
    with open(request["path"], "rb") as fh:
        for columns, others in read_blocks(fh, layout):
            notes = list(map(astuple, others))  # (line,) or (line, code, reason)
            data = marshal.dumps((columns, notes))
            out.write(len(data).to_bytes(_HEADER, "little"))
            out.write(data)
    out.write(bytes(_HEADER))
    out.flush()


def main() -> int:
    request = json.loads(sys.stdin.buffer.read())
    try:
        _serve(request, sys.stdout.buffer)
    except OSError as exc:
        if exc.errno is None:
            raise
        print(json.dumps({"errno": exc.errno, "strerror": exc.strerror}), file=sys.stderr)
        return _FAILED_TO_READ
    return 0


if __name__ == "__main__":
    sys.exit(main())

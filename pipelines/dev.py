"""``make dev``: ``dg dev`` that stops on SIGTERM and on Ctrl-C however it was started.

A shell script's background job (``make dev &``, ``setsid make dev &``) starts with SIGINT
ignored, and a signal ignored at start stays ignored across exec. Dagster's dev server maps
SIGTERM to its SIGINT handler, so it then ignored both: ``kill -TERM -- -PGID`` left all
seven processes running. This resets both signals to their defaults, then becomes
``dg dev`` with the same arguments (its Python then turns them into a clean shutdown of the
webserver, the daemon and the code servers).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)
    dg = str(Path(sys.executable).parent / "dg")
    os.execv(dg, [dg, "dev", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])

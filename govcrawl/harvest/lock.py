"""One harvest at a time per data folder.

An exclusive `flock` on `<data>/harvest.lock`: the kernel releases it when its holder dies (also by
`kill -9`), so a dead harvest's lock is taken over without any staleness guess, and two harvests on one
host can never both hold it. The file names the holder (pid, host, start) for the one that is refused.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
from pathlib import Path
from typing import Self


class HarvestLocked(RuntimeError):  # noqa: N818 - the name says what went wrong
    """Another harvest holds the lock; the message names it."""


class HarvestLock:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fh = None

    def acquire(self) -> HarvestLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held, with the lock, until release()
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip()
            fh.close()
            try:
                info = json.loads(holder)
                who = f"pid {info['pid']} on {info['host']}, started {info['started']}"
            except (ValueError, KeyError, TypeError):
                who = "another process"
            raise HarvestLocked(f"another harvest is running ({who}); lock file {self.path}") from None
        fh.seek(0)
        fh.truncate()
        started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        fh.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": started}))
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        if self._fh is not None:
            self._fh.seek(0)
            self._fh.truncate()
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    def __enter__(self) -> Self:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()

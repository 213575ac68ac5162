"""Pages the database could not take, kept on disk until a later run writes them.

When a batch still cannot be written after retrying through an outage (outage.RetryPolicy), it is appended to
a spool file and fsynced before the crawl lets go of it; the next run against the same database writes every
spooled batch before it crawls, then deletes the file. Spool files are per database (a folder named by a hash
of its URL, so a crawl never replays one database's pages into another) and per run.

Records are pickles of the pipeline's own FetchedPage objects, length-prefixed: pickle keeps every value
exactly as extracted (3 vs 3.0, dates, the extractor's Report) with no second serialization to maintain. Only
this crawler writes the folder; like the database, it is trusted input.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import struct
from collections.abc import Iterator, Sequence
from pathlib import Path

from sqlalchemy.engine import make_url

from govcrawl.items import FetchedPage

log = logging.getLogger(__name__)
_LENGTH = struct.Struct(">Q")


class SpoolError(Exception):
    """A spool file that cannot be read back."""


class Spool:
    def __init__(self, root: str | os.PathLike, database_url: str) -> None:
        rendered = make_url(database_url).render_as_string(hide_password=True)
        self.folder = Path(root) / hashlib.sha256(rendered.encode()).hexdigest()[:16]
        self.database = rendered

    def append(self, run_id: int | None, pages: Sequence[FetchedPage]) -> Path:
        """Durably add one batch; returns the spool file. Raises OSError if the disk refuses."""
        new_folder = not self.folder.exists()
        self.folder.mkdir(parents=True, exist_ok=True)
        if new_folder:
            (self.folder / "DATABASE").write_text(self.database + "\n", encoding="utf-8")
            _fsync_dir(self.folder.parent)
        path = self.folder / f"run-{run_id}-{os.getpid()}.spool"
        record = pickle.dumps((run_id, list(pages)), protocol=pickle.HIGHEST_PROTOCOL)
        created = not path.exists()
        with open(path, "ab") as f:
            f.write(_LENGTH.pack(len(record)) + record)
            f.flush()
            os.fsync(f.fileno())
        if created:
            _fsync_dir(self.folder)
        return path

    def files(self) -> list[Path]:
        return sorted(self.folder.glob("*.spool")) if self.folder.is_dir() else []

    @staticmethod
    def batches(path: Path) -> Iterator[tuple[int | None, list[FetchedPage]]]:
        """The batches of one spool file. A record cut short (the crawl died while appending it) ends the
        file: that batch was never acknowledged as spooled, so its pages were counted lost then."""
        with open(path, "rb") as f:
            while header := f.read(_LENGTH.size):
                (length,) = _LENGTH.unpack(header) if len(header) == _LENGTH.size else (None,)
                record = f.read(length) if length is not None else b""
                if length is None or len(record) < length:
                    log.error("Spool file %s ends with an incomplete record (%d bytes); ignoring it", path,
                              len(header) + len(record))
                    return
                try:
                    batch = pickle.loads(record)  # noqa: S301 - written by this crawler only (module docstring)
                except Exception as exc:
                    raise SpoolError(f"{path}: a record cannot be read ({type(exc).__name__}: {exc})") from exc
                yield batch

    @staticmethod
    def set_aside(path: Path) -> Path:
        aside = path.with_suffix(".unreadable")
        path.rename(aside)
        return aside

    @staticmethod
    def remove(path: Path) -> None:
        path.unlink(missing_ok=True)
        _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make a file's creation or removal itself durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""Starting a night again after it was stopped.

* Stopped cleanly (SIGINT/SIGTERM: Scrapy's graceful shutdown), the night's JOBDIR holds the pending
  requests and the seen-set, and Scrapy resumes from them.
* Killed (`kill -9`, power loss), the JOBDIR is not trustworthy: Scrapy writes its queue state and the spider
  state only on a clean close, so pending requests are lost while the seen-set may already filter them. Such a
  JOBDIR (no `spider.state`) is set aside, and the night starts over from the SQL state instead: every page
  stored before the kill is a definitive outcome the incremental middleware skips (reading the links of its
  stored copy where they must be followed), and a page the killed run archived but did not store is answered
  from the night's archive (GOVCRAWL_RESUME_ARCHIVE), so the night ends with the same rows as an
  uninterrupted one and no page is fetched or archived twice.
* A WARC file the kill cut in the middle of a record is truncated after its last complete record, so that
  replay and reextract read it (the cut record's page was never stored; it is fetched again).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

from govcrawl.archive.warc import ArchiveIndex, warc_files

logger = logging.getLogger(__name__)


def clean_jobdir(jobdir: Path) -> bool:
    """Whether the JOBDIR was left by a clean close (Scrapy's SpiderState writes spider.state then)."""
    return (jobdir / "spider.state").is_file()


def prepare_night(jobdir: Path, archive: Path) -> tuple[bool, list[str]]:
    """Make the night's job state and archive fit for resuming; returns whether a killed run is resumed, and
    what was done, for the log."""
    notes = []
    killed = False
    if jobdir.is_dir() and any(jobdir.iterdir()) and not clean_jobdir(jobdir):
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        aside = jobdir.with_name(f"{jobdir.name}.killed-{stamp}")
        jobdir.rename(aside)
        killed = True
        notes.append(f"the previous run of this night was killed: its job state is set aside ({aside}); "
                     "resuming from the stored pages")
    if archive.is_dir():
        for path in warc_files(archive):
            cut = repair_warc(path)
            if cut:
                notes.append(f"{path}: removed {cut} byte(s) of a record cut off by the kill")
    return killed, notes


def repair_warc(path: Path) -> int:
    """Truncate `path` after its last complete record; returns the number of bytes removed."""
    try:
        index = ArchiveIndex([path])
    except ValueError as exc:  # not a WARC file at all (e.g. killed before the warcinfo record was complete)
        if path.stat().st_size > 4096:
            raise
        logger.warning("%s: %s; removing the stub", path, exc)
        size = path.stat().st_size
        path.unlink()
        return size
    index.close()
    if not index.truncated:
        return 0
    end = min(cut.offset for cut in index.truncated)
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.truncate(end)
        os.fsync(fh.fileno())
    return size - end

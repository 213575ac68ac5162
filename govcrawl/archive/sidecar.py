"""The index beside a WARC file that govcrawl wrote whole: where each response record is, so that replay does
not decompress every record of every file before its first request (2,000 archived pages: 0.45 s to scan,
0.04 s from the index; the scan grows with the archive, and replay pays it at every start).

`<file>.warc.gz` gets `<file>.warc.gz.index`, written when the crawl closes the file, only if the crawl
created the file (a file it appended to holds records it did not see). Its first line names the WARC file's
size and modification time at that moment; a sidecar whose WARC no longer matches them (cut by a full disk,
repaired after a kill, copied without its times) is ignored and the file is scanned, as is a file without one.
The WARC file stays the record; the sidecar can be deleted at any time.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from govcrawl.items import WarcLocation

logger = logging.getLogger(__name__)

SUFFIX = ".index"
FORMAT = "govcrawl-warc-index/1"


def sidecar_path(warc: Path) -> Path:
    return warc.with_name(warc.name + SUFFIX)


def write_sidecar(warc: Path, started: str, responses: list[tuple[str, WarcLocation]]) -> None:
    """Write the sidecar of a WARC file just closed: its earliest WARC-Date and its response records
    (target URL, location) in file order. Never fails the crawl: without a sidecar, replay scans the file."""
    path = sidecar_path(warc)
    try:
        stat = warc.stat()
        head = {"format": FORMAT, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "started": started}
        partial = path.with_name(path.name + ".partial")
        with open(partial, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(head) + "\n")
            fh.writelines(json.dumps([url, loc.offset, loc.length, loc.record_id], ensure_ascii=False) + "\n"
                          for url, loc in responses)
        partial.replace(path)
    except OSError as exc:
        logger.warning("No index written beside %s (%s); replay will scan the file", warc, exc)


def read_sidecar(warc: Path) -> tuple[str, list[tuple[str, WarcLocation]]] | None:
    """(earliest WARC-Date, response records) from the sidecar, or None when there is none or it does not
    describe the file as it is now."""
    path = sidecar_path(warc)
    try:
        with open(path, encoding="utf-8") as fh:
            head = json.loads(fh.readline())
            stat = warc.stat()
            if (head.get("format"), head.get("size"), head.get("mtime_ns")) != (
                    FORMAT, stat.st_size, stat.st_mtime_ns):
                logger.info("Index %s does not match %s as it is now; scanning the file", path, warc)
                return None
            file = str(warc)
            responses = []
            for line in fh:
                url, offset, length, record_id = json.loads(line)
                responses.append((url, WarcLocation(file, offset, length, record_id)))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as exc:
        logger.warning("Index %s cannot be read (%s); scanning the file", path, exc)
        return None
    return head["started"], responses

"""`python -m extractors PATH [PATH ...] [--url URL] [--encoding ENC]`: one JSON line per file (extract-output.md);
the format is read from the bytes, whatever the file is called."""

from __future__ import annotations

import argparse
import json
import sys

from .core import ExtractError, extract


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m extractors", description=__doc__)
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="a report file (HTML, text, PDF, DOCX, DOC, WPS, XLSX, XLS); - reads standard input")
    parser.add_argument("--url", help="the URL the page was fetched from (resolves attachment links)")
    parser.add_argument("--encoding", help="decode the input with this encoding instead of detecting it")
    args = parser.parse_args(argv)
    out = sys.stdout
    status = 0
    for path in args.paths:
        try:
            body = sys.stdin.buffer.read() if path == "-" else _read(path)
            report = extract(body, url=args.url, encoding=args.encoding)
        except (OSError, ExtractError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            print(f"{path}: {reason}", file=sys.stderr)
            status = 1
            continue
        except Exception as exc:  # noqa: BLE001 - a bug must not lose the other files' output
            print(f"{path}: extractor error: {type(exc).__name__}: {exc}", file=sys.stderr)
            status = 1
            continue
        out.write(json.dumps(report.to_dict(path=path), ensure_ascii=False) + "\n")
        out.flush()
    return status


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


if __name__ == "__main__":
    sys.exit(main())

"""The work done in the extraction pool's worker processes (top-level so it pickles)."""

from __future__ import annotations

import time


def extract_page(body: bytes, url: str | None, headers: dict[str, str]):
    """Run the shared extractor on one page; returns (Report, seconds spent)."""
    from extractors import extract

    started = time.perf_counter()
    report = extract(body, url=url, headers=headers)
    return report, time.perf_counter() - started

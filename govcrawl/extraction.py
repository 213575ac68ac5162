"""The work done in the extraction pool's worker processes (top-level so it pickles)."""

from __future__ import annotations

import time


def extract_page(body: bytes, url: str | None, headers: dict[str, str]):
    """Run the shared extractor on one page; returns (Report, wall seconds, CPU seconds of the worker)."""
    from extractors import extract

    started, started_cpu = time.perf_counter(), time.process_time()
    report = extract(body, url=url, headers=headers)
    return report, time.perf_counter() - started, time.process_time() - started_cpu

"""Faults a page can cause in an extraction worker, injected through GOVCRAWL_EXTRACT_WORKER_HOOK (the setting
names `poison:act`; tests put this folder on PYTHONPATH). Each fault is real: the worker process really exits,
really spins in C code, really blocks."""

from __future__ import annotations

import os
import re
import time


def act(body: bytes, url: str | None) -> None:
    if log := os.environ.get("GOVCRAWL_TEST_WORKER_LOG"):
        with open(log, "a", encoding="utf-8") as fh:  # which worker process extracted which page, in order
            fh.write(f"{os.getpid()} {url}\n")
    if b"<!-- poison: exit -->" in body:
        time.sleep(1)  # the other pages are in flight by now
        os._exit(70)  # as a crash in C code or the OOM killer would end it: no exception, no cleanup
    if b"<!-- poison: spin -->" in body:
        # catastrophic backtracking: the regex engine runs in C, holding the GIL, for longer than the universe
        re.match(r"(a+)+$", "a" * 64 + "b")
    if b"<!-- poison: slow -->" in body:
        time.sleep(6)
    if b"<!-- poison: raise -->" in body:
        raise RuntimeError("the extractor broke on this page")
    if b"<!-- poison: block -->" in body:
        time.sleep(3600)

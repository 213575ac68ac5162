"""The work done in the extraction pool's worker processes (top-level so it pickles).

Each worker is set up by `init_worker`: it exits as soon as the crawl process is gone (a `kill -9` of the
crawl must not leave workers behind: nothing else would ever end them), caps its own memory so an absurd page
raises MemoryError in that worker instead of waking the kernel's OOM killer, and runs an optional hook before
each page (a fault-injection point for tests: GOVCRAWL_EXTRACT_WORKER_HOOK).

A worker whose page ran out of memory exits at once with OUT_OF_MEMORY_EXIT instead of answering: what a
failed allocation leaves behind in libxml2 or a PDF library is not known to be sound, and the next page must not
be read by it. The pool fails that one task (pebble's ProcessExpired, carrying the exit code) and starts a fresh
worker.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pickle
import resource
import select
import threading
import time
from collections.abc import Callable

from extractors.errors import ExtractError

OUT_OF_MEMORY_EXIT = 86  # the exit status of a worker retired by a page that ran out of memory

_hook: Callable[[bytes, str | None], None] | None = None
_memory_limit = 0
_in_worker = False  # the thread executor (debugging) runs extract_page in the crawl process itself


def init_worker(crawl_pid: int, memory_limit_bytes: int, hook: str | None) -> None:
    global _hook, _memory_limit, _in_worker  # noqa: PLW0603 - the worker process's own settings, set once
    _in_worker = True
    threading.Thread(target=_exit_with, args=(crawl_pid,), name="exit-with-crawl", daemon=True).start()
    _memory_limit = memory_limit_bytes
    if hook:
        module, _, name = hook.partition(":")
        _hook = getattr(importlib.import_module(module), name)


def _exit_with(pid: int) -> None:
    """Block until process `pid` ends, then end this one. A pidfd names the crawl process itself (not a
    recycled pid, and not the forkserver that is this worker's actual parent)."""
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux ≥ 5.3: poll instead
        while _alive(pid):
            time.sleep(1)
    else:
        select.select([fd], [], [])
    os._exit(1)


@contextlib.contextmanager
def _memory_capped():
    """Cap this worker's address space while it extracts (RLIMIT_AS: the limit Linux enforces on every
    allocation, mmap'd arenas included). Only then: a worker that ran out of memory while receiving its task or
    sending its result would die holding a task the pool never hears of again."""
    if not _memory_limit:
        yield
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (_memory_limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, hard))


def _out_of_memory(exc: Exception) -> bool:
    """Python's MemoryError, or libxml2's refused allocation, which lxml raises as a syntax error."""
    if isinstance(exc, MemoryError):
        return True
    error_log = getattr(exc, "error_log", None) or ()
    return any(getattr(entry, "type_name", "") == "ERR_NO_MEMORY" for entry in error_log)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ExtractionCrashed(Exception):  # noqa: N818 - the name says what went wrong
    """An error from the extractor that cannot travel back to the crawl process as itself."""


def extract_page(body: bytes, url: str | None, headers: dict[str, str], max_text_chars: int = 0):
    """Run the shared extractor on one page; returns (Report, its fingerprint, wall seconds and CPU seconds of
    the extraction). The report's text is cut at `max_text_chars` (0: never), with a warning, so one absurd
    page cannot flood the pipeline and database. The fingerprint is computed here, in parallel, rather than in
    the crawl process, whose one thread also feeds every worker and stores every page."""
    if _hook is not None:
        _hook(body, url)
    from extractors.core import extract  # imported by the worker (preloaded), never by the crawl process

    started, started_cpu = time.perf_counter(), time.process_time()
    try:
        with _memory_capped():
            report = extract(body, url=url, headers=headers)
    except Exception as exc:
        if _out_of_memory(exc):
            if _in_worker:
                os._exit(OUT_OF_MEMORY_EXIT)
            raise MemoryError(f"{type(exc).__name__}: {exc}") from exc
        if isinstance(exc, ExtractError):
            raise
        try:
            pickle.dumps(exc)
        except Exception:  # noqa: BLE001 - e.g. lxml errors: say what it was, not "cannot pickle"
            raise ExtractionCrashed(f"{type(exc).__name__}: {exc}") from exc
        raise
    if max_text_chars and len(report.text) > max_text_chars:
        report.warnings.append(f"text cut at {max_text_chars} of its {len(report.text)} characters")
        report.text = report.text[:max_text_chars]
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - started_cpu
    return report, report.fingerprint(), seconds, cpu_seconds

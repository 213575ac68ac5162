"""Telling a database outage from a bad page, and waiting an outage out.

A write that fails because the database is unreachable, restarting, overloaded or locked will succeed later
with the same rows; a write that fails because of what a page holds never will. The first kind is retried
with exponential backoff (writes are idempotent, so repeating a half-done batch is safe); the second is
isolated to its page by the store.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import psycopg
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)
T = TypeVar("T")

# SQLSTATE classes and codes that describe the server's state, not the statement's data: connection
# exceptions, insufficient resources, operator intervention (shutdown, crash recovery), lock timeouts and
# transaction rollbacks (serialization failure, deadlock).
_TRANSIENT_SQLSTATE_CLASSES = ("08", "53", "57", "40")
_TRANSIENT_SQLSTATES = ("55P03",)
# sqlite3 reports everything as OperationalError; only these messages are about the database's state.
_TRANSIENT_SQLITE_MESSAGES = ("database is locked", "database table is locked", "database is busy",
                              "unable to open database file", "disk i/o error")


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` says the database is (temporarily) unavailable rather than that the rows are bad."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig if exc.orig is not None else exc
    if isinstance(exc, sqlite3.OperationalError):
        message = str(exc).lower()
        return any(m in message for m in _TRANSIENT_SQLITE_MESSAGES)
    if isinstance(exc, psycopg.Error):
        state = exc.sqlstate
        if state is None:  # raised by the client: refused, reset, closed, timed out
            return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)
        return state.startswith(_TRANSIENT_SQLSTATE_CLASSES) or state in _TRANSIENT_SQLSTATES
    return False


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retry for at most `seconds`, sleeping `base`, 2×base, … (at most `cap`) between attempts."""

    seconds: float
    base: float
    cap: float

    def call(self, func: Callable[[], T], what: str, sleep: Callable[[float], None] = time.sleep) -> T:
        """Run `func` until it succeeds, a non-transient error escapes, or the time is up (the last
        transient error then escapes)."""
        deadline = time.monotonic() + self.seconds
        delay = self.base
        attempt = 1
        while True:
            try:
                return func()
            except Exception as exc:
                left = deadline - time.monotonic()
                if not is_transient(exc) or left <= 0:
                    raise
                pause = min(delay, self.cap, left)
                log.warning("Database unavailable while %s (attempt %d, %s); retrying in %.1f s, giving up "
                            "in %.0f s", what, attempt, " ".join(str(exc).split())[:300], pause, left)
                sleep(pause)
                delay *= 2
                attempt += 1

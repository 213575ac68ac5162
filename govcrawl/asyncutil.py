"""Awaiting work handed to an executor, on whichever reactor Scrapy runs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

from scrapy.utils.asyncio import is_asyncio_available
from scrapy.utils.defer import maybe_deferred_to_future

T = TypeVar("T")


async def run_in_executor(executor: Executor, func: Callable[..., T], *args: Any) -> T:
    if is_asyncio_available():
        return await asyncio.get_running_loop().run_in_executor(executor, func, *args)
    return await await_future(executor.submit(func, *args))


async def await_future(future: Future[T]) -> T:
    """Await a concurrent.futures.Future (e.g. one from a pebble pool, which has no run_in_executor form)."""
    if is_asyncio_available():
        return await asyncio.wrap_future(future)
    from twisted.internet import defer, reactor

    deferred: defer.Deferred[T] = defer.Deferred()

    def settle(done: Future[T]) -> None:
        exc = done.exception()
        if exc is not None:
            deferred.errback(exc)
        else:
            deferred.callback(done.result())

    future.add_done_callback(lambda f: reactor.callFromThread(settle, f))
    return await maybe_deferred_to_future(deferred)

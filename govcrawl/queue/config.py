"""The task queue's settings and the Celery app that both `govcrawl worker` and `govcrawl harvest --queue` use.

Every setting is an environment variable, so the enqueuer and all workers can share one env file:

* GOVCRAWL_QUEUE_URL: the Redis broker (`redis://host:6379/0`), or `--queue URL`;
* GOVCRAWL_QUEUE_PREFIX: prefix of every Redis key (Celery's and ours), so several deployments or test runs
  can share one Redis;
* GOVCRAWL_QUEUE_VISIBILITY_TIMEOUT: seconds after which a message a worker took and did not acknowledge is
  given to another worker (Redis has no connection-bound acknowledgements: this is how a killed worker's portal
  comes back). A live task running longer is handed out again too; the host lock and the batch's done record
  keep that copy from crawling (see govcrawl.queue.tasks);
* GOVCRAWL_QUEUE_LOCK_TTL: seconds a host lock outlives the last renewal of its holder (renewed every third of
  it while the crawl runs), i.e. how long a dead worker's hosts stay locked;
* GOVCRAWL_QUEUE_RETRY_SECONDS: how long a task whose hosts are busy waits before it tries again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from celery import Celery

QUEUE_NAME = "govcrawl"
TASK_NAME = "govcrawl.crawl_portal"


@dataclass(frozen=True)
class QueueConfig:
    url: str
    prefix: str = "govcrawl:"
    visibility_timeout: float = 3600.0
    lock_ttl: float = 60.0
    retry_seconds: float = 30.0

    @classmethod
    def from_env(cls, url: str | None = None) -> QueueConfig:
        url = url or os.environ.get("GOVCRAWL_QUEUE_URL")
        if not url:
            raise ValueError("no task queue: give --queue redis://HOST:PORT/DB or set GOVCRAWL_QUEUE_URL")
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"--queue {url!r}: expected a Redis URL (redis://HOST:PORT/DB)")
        values = {}
        for name, env in (("visibility_timeout", "GOVCRAWL_QUEUE_VISIBILITY_TIMEOUT"),
                          ("lock_ttl", "GOVCRAWL_QUEUE_LOCK_TTL"), ("retry_seconds", "GOVCRAWL_QUEUE_RETRY_SECONDS")):
            raw = os.environ.get(env)
            if raw:
                try:
                    values[name] = float(raw)
                except ValueError:
                    raise ValueError(f"{env}={raw!r}: expected a number of seconds") from None
                if values[name] <= 0:
                    raise ValueError(f"{env}={raw!r}: must be positive")
        return cls(url=url, prefix=os.environ.get("GOVCRAWL_QUEUE_PREFIX", cls.prefix), **values)

    def check_reachable(self) -> None:
        """Raise a one-line ValueError when no Redis answers (the enqueuer; a worker waits for its broker)."""
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=5, socket_timeout=5)
        try:
            client.ping()
        except redis.RedisError as exc:
            raise ValueError(f"--queue {self.masked_url}: Redis is not reachable: {exc}") from None
        finally:
            client.close()

    @property
    def masked_url(self) -> str:
        from kombu.utils.url import maybe_sanitize_url

        return maybe_sanitize_url(self.url)

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)


def make_app(config: QueueConfig) -> Celery:
    app = Celery("govcrawl", broker=config.url, set_as_current=False)
    app.conf.update(
        # A portal is acknowledged when its crawl is over, not when a worker takes it: a worker killed in the
        # middle leaves the message unacknowledged, and the broker hands it to another worker.
        task_acks_late=True,
        # ...also when the pool process running it dies (by default a lost child acknowledges its task).
        task_reject_on_worker_lost=True,
        # A worker takes one portal per free slot: a slot busy for hours must not sit on queued portals.
        worker_prefetch_multiplier=1,
        task_default_queue=QUEUE_NAME,
        # Results go to the batch's done record and the database (govcrawl.queue.batch), not to a backend.
        task_ignore_result=True,
        broker_transport_options={
            "visibility_timeout": config.visibility_timeout,
            "global_keyprefix": config.prefix,
            # Sweep for abandoned messages every tenth of the timeout (kombu's default sweeps every 100 s,
            # longer than a short test timeout), at least once a minute.
            "unacked_restore_interval": max(1, min(60, int(config.visibility_timeout / 10))),
            "unacked_restore_throttle": 1,
        },
        # Celery 6 stops retrying the broker at start-up unless told; a worker started before Redis waits.
        broker_connection_retry_on_startup=True,
        # One portal task per pool process at a time (the crawl itself runs in a child, govcrawl.queue.tasks).
        worker_concurrency=1,
        worker_hijack_root_logger=False,
    )
    return app

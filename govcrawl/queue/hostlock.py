"""A lock on a portal's hosts, held in Redis, so that two portals sharing a host (集约化 platforms host
hundreds of departments' columns on one host) are never crawled by two workers at once.

All of a portal's hosts are taken in one atomic step or none is (a Lua script), so two tasks wanting
overlapping host sets can never each hold a part and wait for the other: no deadlock, and a task that cannot
have its hosts gives its worker slot back and is retried later. Each key expires `ttl` after the holder's
last renewal: the holder renews while its crawl runs; a dead holder's hosts are free again after `ttl`.
Renewal and release act only on keys still holding the holder's own token.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Iterable

import redis

# KEYS: the host keys; ARGV: token, ttl in ms. Takes every key or none; returns the first busy key's holder.
_ACQUIRE = """
for i, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  if holder then return holder end
end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
end
return false
"""
# Extends the keys still held by the token; returns how many were.
_RENEW = """
local held = 0
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('PEXPIRE', key, ARGV[2])
    held = held + 1
  end
end
return held
"""
_RELEASE = """
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
return 0
"""


class HostLock:
    def __init__(self, client: redis.Redis, prefix: str, hosts: Iterable[str], ttl: float, owner: str) -> None:
        self.client = client
        self.hosts = sorted({h.lower() for h in hosts})
        self.keys = [f"{prefix}host:{h}" for h in self.hosts]
        self.ttl_ms = int(ttl * 1000)
        # The token says who holds the hosts, for the log of a task that finds them busy.
        self.token = json.dumps({"owner": owner, "host": socket.gethostname(), "pid": os.getpid(),
                                 "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                 "id": uuid.uuid4().hex})
        self.held = False

    def acquire(self) -> str | None:
        """Take every host; returns None when done, else the holder of a busy host (nothing is taken)."""
        holder = self.client.eval(_ACQUIRE, len(self.keys), *self.keys, self.token, self.ttl_ms)
        if holder is None:
            self.held = True
            return None
        return holder.decode() if isinstance(holder, bytes) else str(holder)

    def renew(self) -> bool:
        """Whether every host is still ours (extended by the ttl)."""
        return self.client.eval(_RENEW, len(self.keys), *self.keys, self.token, self.ttl_ms) == len(self.keys)

    def release(self) -> None:
        if self.held:
            self.client.eval(_RELEASE, len(self.keys), *self.keys, self.token)
            self.held = False

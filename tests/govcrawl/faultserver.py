"""A fault-injecting portal server for the crawler's tests: a real HTTP server on 127.0.0.1 whose every URL
answers with a chosen behaviour (a page, a status, a hang, a slow drip, a reset, a truncated or corrupt body, a
redirect, a sequence of those). Like govcrawl.seedsite.server it answers proxy-style requests (absolute URI), so a
crawl given `http_proxy=` fetches made-up portal hosts, and direct requests (http://127.0.0.1:PORT/...).

Every request is logged with the server's monotonic clock, so tests assert the order and spacing of what the
crawler did from the server's side."""

from __future__ import annotations

import gzip
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import urlsplit, urlunsplit

Fault = Callable[["FaultHandler"], None]


@dataclass(frozen=True)
class Hit:
    at: float  # time.monotonic() on the server when the request arrived
    url: str


class FaultServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the crawl opens many connections at once; a full backlog would stall connects

    def __init__(self, routes: dict[str, Fault] | None = None,
                 prefixes: dict[str, Callable[[str], Fault]] | None = None) -> None:
        self.routes: dict[str, Fault] = dict(routes or {})
        self.prefixes = dict(prefixes or {})  # URL prefix -> (url -> fault): generated pages
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), FaultHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def requests_seen(self) -> list[str]:
        return [hit.url for hit in self.hits]

    def fault_for(self, url: str) -> Fault:
        if url in self.routes:
            return self.routes[url]
        for prefix, make in self.prefixes.items():
            if url.startswith(prefix):
                return make(url)
        return status(404, b"<html><body><h1>Not Found</h1></body></html>")

    def __enter__(self) -> Self:
        threading.Thread(target=self.serve_forever, name="fault-server", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()


class FaultHandler(BaseHTTPRequestHandler):
    server: FaultServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        target = self.path
        if target.startswith(("http://", "https://")):
            url = target
        else:
            parts = urlsplit(target)
            url = urlunsplit(("http", self.headers.get("Host", ""), parts.path, parts.query, ""))
        with self.server.lock:
            self.server.hits.append(Hit(time.monotonic(), url))
        try:
            self.server.fault_for(url)(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the crawler gave up first (a timeout): nothing to answer

    def send(self, code: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response_only(code)
        for name, value in {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body)),
                            **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - BaseHTTPRequestHandler's signature
        pass


# -- behaviours -------------------------------------------------------------------------------------------

def page(body: bytes, content_type: str = "text/html; charset=utf-8", **headers: str) -> Fault:
    return status(200, body, content_type=content_type, **headers)


def status(code: int, body: bytes = b"", content_type: str = "text/html; charset=utf-8", **headers: str) -> Fault:
    def reply(handler: FaultHandler) -> None:
        handler.send(code, body, {"Content-Type": content_type, **{k.replace("_", "-"): v for k, v in headers.items()}})
    return reply


def redirect(location: str, code: int = 302) -> Fault:
    return status(code, b"", Location=location)


def sequence(*faults: Fault) -> Fault:
    """The first request gets the first behaviour, and so on; the last one repeats."""
    served = [0]
    lock = threading.Lock()

    def reply(handler: FaultHandler) -> None:
        with lock:
            index = min(served[0], len(faults) - 1)
            served[0] += 1
        faults[index](handler)
    return reply


def hang(seconds: float, then: Fault | None = None) -> Fault:
    """Say nothing for `seconds` (longer than the crawl's DOWNLOAD_TIMEOUT), then answer (or close)."""
    def reply(handler: FaultHandler) -> None:
        time.sleep(seconds)
        if then is None:
            handler.close_connection = True
        else:
            then(handler)
    return reply


def drip(body: bytes, interval: float) -> Fault:
    """Headers at once, then the body one byte per `interval`: never idle, never done in time."""
    def reply(handler: FaultHandler) -> None:
        handler.send_response_only(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        for byte in body:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(interval)
    return reply


def reset(handler: FaultHandler) -> None:
    """Close the connection with a TCP RST before answering."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()  # closing with a zero linger time sends RST, not FIN
    handler.close_connection = True


def truncated(body: bytes, sent: int) -> Fault:
    """Announce the whole body, send the first `sent` bytes, close."""
    def reply(handler: FaultHandler) -> None:
        handler.send_response_only(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body[:sent])
        handler.close_connection = True
    return reply


def gzipped(body: bytes, *, corrupt: bool = False) -> Fault:
    data = gzip.compress(body, compresslevel=9)
    if corrupt:
        data = data[:10] + bytes(b ^ 0x5A for b in data[10:])  # a valid header, then garbage
    return page(data, Content_Encoding="gzip")


def gzip_bomb(decompressed_size: int) -> Fault:
    return gzipped(b"\0" * decompressed_size)

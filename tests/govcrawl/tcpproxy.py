"""A TCP proxy on 127.0.0.1 that can cut the line: a crawl talks to PostgreSQL through it, and a test takes
the database away from that crawl (every open connection reset, new ones refused) without stopping the shared
server. (Not in conftest.py: test modules import it by a unique name.)"""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class CuttableProxy:
    def __init__(self, target_port: int, *, cut_on: bytes, cut_seconds: float) -> None:
        """Forward 127.0.0.1:<port> to 127.0.0.1:<target_port>. The first time a client sends `cut_on`, that
        message is dropped and the line is cut for `cut_seconds` (float('inf'): until `restore()`)."""
        self.target_port = target_port
        self.cut_on = cut_on
        self.cut_seconds = cut_seconds
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut_at: float | None = None
        self.refused = 0
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._stopping = False

    def url(self, database_url: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(database_url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def start(self) -> CuttableProxy:
        self._spawn(self._accept)
        return self

    def is_cut(self) -> bool:
        return self.cut_at is not None and time.monotonic() < self.cut_at + self.cut_seconds

    def restore(self) -> None:
        self.cut_seconds = 0

    def stop(self) -> None:
        self._stopping = True
        self.listener.close()
        self._close_all()
        for thread in self._threads:
            thread.join(timeout=5)

    def _spawn(self, target, *args, **kwargs) -> None:
        thread = threading.Thread(target=target, args=args, kwargs=kwargs, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self) -> None:
        while not self._stopping:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.is_cut():
                self.refused += 1
                client.close()
                continue
            server = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._sockets |= {client, server}
            self._spawn(self._pump, client, server, from_client=True)
            self._spawn(self._pump, server, client, from_client=False)

    def _pump(self, source: socket.socket, sink: socket.socket, *, from_client: bool) -> None:
        try:
            while data := source.recv(65536):
                if from_client and self.cut_at is None and self.cut_on in data:
                    self.cut_at = time.monotonic()
                    self._close_all()
                    return
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                self._close(sock)

    def _close_all(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            self._close(sock)

    def _close(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

"""A local HTTP server for the saved portal site (tests and demos).

It answers both ordinary requests (by Host header) and proxy-style requests with an absolute URI, so a crawl
pointed at it with `http_proxy=http://127.0.0.1:PORT` fetches the portals' real URLs and archives them under
those URLs, exactly as a crawl of the real portals would.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url

from govcrawl.seedsite.site import Resource, load_site, render


class PortalSiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: dict[str, Resource], host: str = "127.0.0.1", port: int = 0) -> None:
        self.site = site
        self.requests_seen: list[str] = []
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="portal-site", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: PortalSiteServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        target = self.path
        if target.startswith(("http://", "https://")):
            url = target
        else:
            url = urlunsplit(("http", self.headers.get("Host", ""), urlsplit(target).path,
                              urlsplit(target).query, ""))
        self.server.requests_seen.append(url)
        resource = self.server.site.get(canonicalize_url(url))
        if resource is None:
            body = b"<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>"
            self.send_response(404, "Not Found")
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        rendered = render(resource, accept_encoding=self.headers.get("Accept-Encoding", ""),
                          if_none_match=self.headers.get("If-None-Match"))
        self.send_response_only(rendered.status, rendered.reason)
        for name, value in rendered.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(rendered.body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's signature; silent: quiet tests
        pass


def serve(site_dir: str | Path | None = None, port: int = 0) -> PortalSiteServer:
    return PortalSiteServer(load_site(site_dir), port=port)

"""The saved portal site in readable form: seeds/site/<host>/<path> body files, each with a
`<file>.headers.json` sidecar {url, status, headers[, gzip]} (the fixtures' format).

`render` is what the site answers to one GET; the live test server and the seed-archive generator both use
it, so the archive in seeds/ is exactly what a crawl of the served site receives.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import gzip
import hashlib
import json
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

from w3lib.url import canonicalize_url

SIDECAR = ".headers.json"


class SiteError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Resource:
    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body_file: Path
    gzip: bool

    @property
    def body(self) -> bytes:
        return self.body_file.read_bytes()

    @property
    def date(self) -> dt.datetime:
        """When the saved copy was fetched: its Date header."""
        for name, value in self.headers:
            if name.lower() == "date":
                return email.utils.parsedate_to_datetime(value).astimezone(dt.UTC).replace(tzinfo=None)
        return dt.datetime(2024, 1, 1)


@dataclass(frozen=True, slots=True)
class Rendered:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


def load_site(root: str | Path | None = None) -> dict[str, Resource]:
    """canonical URL -> Resource, for every sidecar under `root` (default: the demo's saved site)."""
    from govcrawl.demo import DEMO_SITE

    root = Path(root) if root is not None else DEMO_SITE
    resources: dict[str, Resource] = {}
    for sidecar in sorted(root.rglob("*" + SIDECAR)):
        body_file = sidecar.with_name(sidecar.name[: -len(SIDECAR)])
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
            url, status = meta["url"], int(meta["status"])
            headers = tuple((str(k), str(v)) for k, v in meta["headers"].items())
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise SiteError(f"{sidecar}: bad sidecar ({type(exc).__name__}: {exc})") from exc
        if not body_file.is_file():
            raise SiteError(f"{sidecar}: body file {body_file.name} is missing")
        key = canonicalize_url(url)
        if key in resources:
            raise SiteError(f"{sidecar}: url {url} is already served by {resources[key].body_file}")
        resources[key] = Resource(url, status, headers, body_file, bool(meta.get("gzip", False)))
    if not resources:
        raise SiteError(f"{root}: no saved pages (*{SIDECAR}) found")
    return resources


def render(resource: Resource, *, accept_encoding: str = "", if_none_match: str | None = None) -> Rendered:
    """The response to one GET: the saved status and headers, Content-Length for the bytes actually sent,
    a strong ETag when the saved copy had none, gzip when asked for and the resource is served gzipped."""
    body = resource.body
    headers = [(k, v) for k, v in resource.headers if k.lower() not in ("content-length", "content-encoding")]
    names = {k.lower() for k, _ in headers}
    etag = next((v for k, v in headers if k.lower() == "etag"), None)
    if etag is None and resource.status == 200 and "last-modified" in names:
        etag = '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest()[:16] + '"'
        headers.append(("ETag", etag))
    if if_none_match and etag and if_none_match == etag:
        kept = [(k, v) for k, v in headers if k.lower() in ("date", "etag", "server")]
        return Rendered(304, "Not Modified", kept, b"")
    if resource.gzip and "gzip" in accept_encoding.lower():
        body = gzip.compress(body, mtime=0)
        headers.append(("Content-Encoding", "gzip"))
        headers.append(("Vary", "Accept-Encoding"))
    headers.append(("Content-Length", str(len(body))))
    return Rendered(resource.status, HTTPStatus(resource.status).phrase, headers, body)

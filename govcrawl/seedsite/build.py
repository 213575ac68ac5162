"""Build seeds/archive/seeds.warc.gz from the readable site in seeds/site.

Each saved page becomes the exchange a crawl of the served site records: govcrawl's request headers, the
response as `render` sends it (gzip where the page is served gzipped), dated by the page's Date header.
Record ids are derived from the URL and nothing varies between runs, so the output is byte-for-byte
reproducible and the test suite can rebuild it and compare.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from govcrawl.archive.warc import Exchange, WarcFile
from govcrawl.seedsite.site import load_site, render
from govcrawl.settings import USER_AGENT

REQUEST_HEADERS = [
    ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    ("Accept-Language", "en"),
    ("User-Agent", USER_AGENT),
    ("Accept-Encoding", "gzip, deflate"),
]
CREATED = dt.datetime(2024, 6, 1)


def build_archive(site_dir: str | Path, out: str | Path) -> Path:
    out = Path(out)
    if out.exists():
        out.unlink()
    site = load_site(site_dir)
    archive = WarcFile(out, software="govcrawl seedsite builder", created=CREATED,
                       warcinfo_id=f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'govcrawl-seeds')}>",
                       info={"description": "saved copy of a small portal site carrying the seed reports"})
    for resource in sorted(site.values(), key=lambda r: (r.date, r.url)):
        rendered = render(resource, accept_encoding="gzip, deflate")
        archive.write(Exchange(
            url=resource.url,
            method="GET",
            request_headers=REQUEST_HEADERS,
            status=rendered.status,
            reason=rendered.reason,
            response_headers=rendered.headers,
            body=rendered.body,
            fetched_at=resource.date,
            record_id=f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, resource.url)}>",
        ))
    archive.close()
    return out.resolve()

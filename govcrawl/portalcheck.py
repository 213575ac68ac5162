"""`govcrawl portal check URL`: what the crawl would do with one column page, before a portal is added.

Fetches the page (live, or from a WARC archive), runs the portal's platform adapter on it and prints which
links it takes as reports, which it skips and why, and which pagination it found. The same adapter code the
spider runs, so what this shows is what a crawl does.
"""

from __future__ import annotations

import gzip
import os
import socket
import sys
import urllib.error
import urllib.request
import zlib
from collections import defaultdict
from itertools import islice
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.http import HtmlResponse

from govcrawl.adapters import adapter_for
from govcrawl.adapters.base import SKIPPED_SCHEMES, Link, is_attachment_url
from govcrawl.config import REGISTRY_ENV, resolve_replay
from govcrawl.demo import DEMO_NAMES, DEMO_REGISTRY
from govcrawl.netguard import address_kind
from govcrawl.registry import PortalEntry, load_registry
from govcrawl.settings import USER_AGENT

FETCH_TIMEOUT = 30
MAX_PAGES_SHOWN = 500  # the crawl's default GOVCRAWL_MAX_LIST_PAGES


def check_column(url: str, *, archive: str | None = None, registry: str | None = None,
                 portal_id: str | None = None, out=None) -> int:
    out = out or sys.stdout
    portal = find_portal(url, registry, portal_id)
    status, headers, body = read_archived(url, archive) if archive else fetch(url, portal)
    response = HtmlResponse(url=url, status=status, headers=headers, body=body)
    adapter = adapter_for(portal)
    taken = adapter.report_links(response)
    # A TRS page names its own page count (10,000,000 has been seen): show what the crawl's limit would take.
    pages = list(islice(adapter.next_pages(response), MAX_PAGES_SHOWN))
    skipped = skipped_links(adapter, response, {link.url for link in taken}, set(pages))

    print(f"{url}: HTTP {status}, {len(body)} bytes, read {'from ' + archive if archive else 'live'}", file=out)
    print(f"portal {portal.id} ({portal.source or 'not in a registry: a generic entry for this host'}), "
          f"platform {portal.platform}" + (f", report_link_pattern {portal.report_link_pattern!r}"
                                           if portal.report_link_pattern else ""), file=out)
    print(f"\ntaken as reports: {len(taken)}", file=out)
    for link in taken:
        refused = "" if portal.allows(link.url) else "  (refused by the crawl: not on allowed_hosts)"
        print(f"  {link.text or '(no text)'}  {link.url}{refused}", file=out)
    print(f"\npagination: {len(pages)}", file=out)
    for page in pages:
        print(f"  {page}", file=out)
    print(f"\nskipped: {sum(map(len, skipped.values()))}", file=out)
    for reason, links in skipped.items():
        print(f"  {reason}: {len(links)}", file=out)
        for link in links:
            print(f"    {link.text or '(no text)'}  {link.url}", file=out)
    return 0


def skipped_links(adapter, response: HtmlResponse, taken: set[str], pages: set[str]) -> dict[str, list[Link]]:
    """Every other anchor of the page, grouped by why the crawl does not follow it as a report."""
    area = adapter._list_area()  # noqa: SLF001 - what the crawl itself takes as the list area
    in_area = {link.url for link in adapter.links(response, area)}
    skipped: dict[str, list[Link]] = defaultdict(list)
    seen = set(taken) | set(pages)
    for node in response.css("a[href]"):
        href = (node.attrib.get("href") or "").strip()
        if not href or href.lower().startswith(SKIPPED_SCHEMES):
            continue  # script, mail and in-page anchors: not pages at all
        link = adapter._link(response, node)  # noqa: SLF001 - as the crawl reads a link
        if link is None or link.url in seen:
            continue
        seen.add(link.url)
        if not adapter.portal.allows(link.url):
            reason = "not on the portal's hosts (allowed_hosts)"
        elif "report_links" in adapter.selectors:
            reason = f"not matched by the portal's selector report_links = {adapter.selectors['report_links']!r}"
        elif link.url not in in_area:
            reason = f"outside the list area (selectors.list_area = {adapter.selectors.get('list_area')!r})"
        elif is_attachment_url(link.url) and not adapter.takes(link):
            reason = "an attachment whose text does not name a report"
        else:
            reason = adapter.skip_reason(link)
        skipped[reason].append(link)
    return dict(skipped)


def find_portal(url: str, registry: str | None, portal_id: str | None) -> PortalEntry:
    """The registry entry that lists this column (or the one named), else a generic entry for its host."""
    root = registry or os.environ.get(REGISTRY_ENV)
    path = DEMO_REGISTRY if not root or (root in DEMO_NAMES and not Path(root).exists()) else Path(root)
    portals = load_registry(path)
    # Also with --portal: fetch() must never be handed a file: (or any other) URL.
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r}: not an http(s) URL")
    if portal_id:
        if portal_id not in portals:
            raise ValueError(f"--portal {portal_id}: not in registry {path} (known: {', '.join(sorted(portals))})")
        return portals[portal_id]
    for portal in portals.values():
        if url in portal.column_urls:
            return portal
    for portal in portals.values():
        if portal.allows(url):
            return portal
    return PortalEntry(id="000000-check", name=parts.hostname, agency="", region="", platform="generic",
                       column_urls=(url,), allowed_hosts=(parts.netloc.lower(),))


def refuse_private_address(url: str, portal: PortalEntry) -> None:
    """Like the crawl (govcrawl.netguard), never fetch a private, loopback or link-local address directly unless
    the portal entry allows it; a proxy, when the environment names one for this URL, does its own resolving."""
    host = urlsplit(url).hostname or ""
    if portal.private_addresses_reason or (
            urllib.request.getproxies().get(urlsplit(url).scheme) and not urllib.request.proxy_bypass(host)):
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError as exc:
        raise ValueError(f"{url}: cannot resolve {host}: {exc.strerror or exc}") from None
    for address in sorted(addresses):
        kind = address_kind(address.split("%", 1)[0])
        if kind is not None:
            raise ValueError(f"{url}: {host} is a {kind} address ({address}); portal check fetches public "
                             f"portals only (a registry entry can allow private addresses)")


def fetch(url: str, portal: PortalEntry) -> tuple[int, dict[str, str], bytes]:
    """One polite GET (our User-Agent, no cookies); HTTP errors still show their page."""
    refuse_private_address(url, portal)
    request_headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}
    request = urllib.request.Request(url, headers=request_headers)  # noqa: S310 - find_portal() admits only http(s)
    try:
        # A fresh opener reads the proxy environment now (urlopen's shared one keeps what it saw first).
        with urllib.request.build_opener().open(request, timeout=FETCH_TIMEOUT) as response:
            status, headers, body = response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as exc:
        status, headers, body = exc.code, dict(exc.headers.items()), exc.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ValueError(f"{url}: cannot fetch: {getattr(exc, 'reason', exc)}") from None
    return status, headers, _decoded(headers, body)


def read_archived(url: str, archive: str) -> tuple[int, dict[str, str], bytes]:
    from govcrawl.archive.warc import ArchiveIndex, warc_files

    source = resolve_replay(archive)
    index = ArchiveIndex(warc_files(source))
    try:
        found = index.next_response(url)
    finally:
        index.close()
    if found is None:
        raise ValueError(f"{url}: not in the archive {source}")
    headers = dict(found.headers)
    return found.status, headers, _decoded(headers, found.body)


def _decoded(headers: dict[str, str], body: bytes) -> bytes:
    encoding = next((v for k, v in headers.items() if k.lower() == "content-encoding"), "").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body, -zlib.MAX_WBITS if body[:1] != b"\x78" else zlib.MAX_WBITS)
    return body

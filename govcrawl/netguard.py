"""Every request stays inside its own portal: the one place that decides whether a URL may be fetched.

A downloader middleware, first in the chain, so it sees every request the downloader is asked for: the spider's
links, redirect hops and meta refreshes (which come back through the scheduler as new requests), retries and the
robots.txt requests `govcrawl.robots` makes. A request is refused, with the reason as the page row's error, when

- its scheme is not http(s);
- it is longer than URLLENGTH_LIMIT (Scrapy's own UrlLengthMiddleware only logs such links at INFO);
- its host is not one of its portal's `allowed_hosts` (the portal's own, not the union of all portals);
- its host is, or resolves to, a private, loopback, link-local, reserved, multicast or unspecified address, unless
  the portal's registry entry allows private addresses with a written reason.

Addresses are checked by resolving the host through the reactor's resolver, Scrapy's caching resolver
(TWISTED_DNS_RESOLVER), whose cache also answers the connection: the address checked is the address connected to
(the guard refuses to start with another resolver or with DNSCACHE_ENABLED off; an entry evicted from the
10,000-name cache between check and connection is the remaining window). With an
HTTP proxy the proxy, not the crawler, resolves the target; the crawler still resolves it itself and refuses a
private answer, and a host it cannot resolve is refused unless GOVCRAWL_PROXY_CHECKS_ADDRESSES says the proxy
enforces that rule (a proxy whose DNS differs from ours is then trusted to refuse private destinations itself).
"""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import load_object
from twisted.internet.error import DNSLookupError

from govcrawl.registry import PortalEntry

logger = logging.getLogger(__name__)

# Address kinds refused by default, most specific first (a loopback address is also "private" to ipaddress).
REFUSED_KINDS = (("loopback", "is_loopback"), ("link-local", "is_link_local"), ("multicast", "is_multicast"),
                 ("unspecified", "is_unspecified"), ("reserved", "is_reserved"), ("private", "is_private"))


class Refused(IgnoreRequest):
    """The crawl will not fetch this URL; the message ("refused: ...") is the page row's reason."""


def address_kind(address: str) -> str | None:
    """Why an IP address is not a public one ("loopback", "private", ...), or None when it is public."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    for kind, attribute in REFUSED_KINDS:
        if getattr(ip, attribute):
            return kind
    return None if ip.is_global else "non-public"


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def describe_hop(request: Request) -> str:
    """How the request came about, for the reason: 'redirect to URL', 'meta refresh to URL' or the URL."""
    reasons = request.meta.get("redirect_reasons") or []
    if not reasons:
        return request.url
    return f"{'meta refresh' if reasons[-1] == 'meta refresh' else 'redirect'} to {request.url}"


class PortalGuardMiddleware:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        resolver = load_object(settings["TWISTED_DNS_RESOLVER"])
        if not (issubclass(resolver, CachingThreadedResolver) and settings.getbool("DNSCACHE_ENABLED")):
            # The address checked must be the address connected to: both come from this resolver's cache.
            raise ValueError("the portal guard needs TWISTED_DNS_RESOLVER = scrapy.resolver.CachingThreadedResolver "
                             f"(or a subclass) with DNSCACHE_ENABLED (got {settings['TWISTED_DNS_RESOLVER']}, "
                             f"DNSCACHE_ENABLED={settings.getbool('DNSCACHE_ENABLED')}): otherwise a host could "
                             "resolve to a public address when checked and to a private one when connected to")
        self.url_limit = settings.getint("URLLENGTH_LIMIT")
        # Replay answers from the archive: nothing is resolved or connected to.
        self.check_addresses = not settings.get("GOVCRAWL_REPLAY")
        self.proxy_checks_addresses = settings.getbool("GOVCRAWL_PROXY_CHECKS_ADDRESSES")
        self.proxies = getproxies() if settings.getbool("HTTPPROXY_ENABLED") else {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        portal = self.crawler.spider.portal_for(request)
        what = describe_hop(request)
        reason = static_refusal(portal, request.url, self.url_limit)
        if reason is None and self.check_addresses and portal.private_addresses_reason is None:
            reason = await self._address_refusal(request)
        if reason is not None:
            self.crawler.stats.inc_value("govcrawl/refused")
            raise Refused(f"refused: {what} {reason}")

    async def _address_refusal(self, request: Request) -> str | None:
        host = urlsplit(request.url).hostname or ""
        if is_ip_literal(host):
            address = host
        else:
            from twisted.internet import reactor

            try:
                address = await maybe_deferred_to_future(reactor.resolve(host))
            except DNSLookupError as exc:
                if not self._proxied(request, host) or self.proxy_checks_addresses:
                    return None  # a direct download fails on the same lookup, recorded as DNSLookupError
                return (f"cannot be checked: {host} does not resolve here ({exc}) and the HTTP proxy would "
                        "resolve it unchecked (set GOVCRAWL_PROXY_CHECKS_ADDRESSES if the proxy refuses private "
                        "addresses)")
        kind = address_kind(address)
        if kind is None:
            return None
        return (f"resolves to {address}, a {kind} address (allowed only for portals whose registry entry sets "
                "private_addresses)")

    def _proxied(self, request: Request, host: str) -> bool:
        scheme = urlsplit(request.url).scheme
        return bool(request.meta.get("proxy")) or (scheme in self.proxies and not proxy_bypass(host))


def static_refusal(portal: PortalEntry | None, url: str, url_limit: int) -> str | None:
    """The part of the rule that needs no network: portal, scheme, length, hosts."""
    parts = urlsplit(url)
    if portal is None:
        return "belongs to no portal of the registry"
    if parts.scheme not in ("http", "https"):
        return f"has scheme {parts.scheme or '(none)'!r}: only http and https are fetched"
    if url_limit and len(url) > url_limit:
        return f"is {len(url)} characters long, over URLLENGTH_LIMIT ({url_limit})"
    if not portal.allows(url):
        return f"leaves the portal's hosts ({', '.join(portal.allowed_hosts)})"
    return None

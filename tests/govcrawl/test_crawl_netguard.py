"""The portal guard's rules that need no crawl: which addresses are private, and its resolver precondition."""

from __future__ import annotations

import pytest
from scrapy.utils.test import get_crawler

from govcrawl.netguard import PortalGuardMiddleware, address_kind


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
    ("::ffff:127.0.0.1", "loopback"),  # an IPv4-mapped IPv6 address is the IPv4 address
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("fd00::1", "private"),
    ("0.0.0.0", "unspecified"), ("224.0.0.1", "multicast"), ("240.0.0.1", "reserved"),  # noqa: S104 - to classify
    ("100.64.0.1", "non-public"),  # carrier-grade NAT: neither private nor global
    ("202.108.22.5", None), ("2400:da00::6666", None),
])
def test_address_kinds(address, kind):
    assert address_kind(address) == kind


def test_guard_refuses_to_start_when_the_checked_address_could_differ_from_the_connected_one():
    from govcrawl import settings

    project = {name: getattr(settings, name) for name in dir(settings) if name.isupper()}
    with pytest.raises(ValueError, match="DNSCACHE_ENABLED"):
        PortalGuardMiddleware.from_crawler(get_crawler(settings_dict={**project, "DNSCACHE_ENABLED": False}))
    with pytest.raises(ValueError, match="CachingHostnameResolver"):
        PortalGuardMiddleware.from_crawler(get_crawler(settings_dict={
            **project, "TWISTED_DNS_RESOLVER": "scrapy.resolver.CachingHostnameResolver"}))
    assert PortalGuardMiddleware.from_crawler(get_crawler(settings_dict=project)).url_limit == 2083

"""The portal registry: one TOML file per portal in a folder the user names (GOVCRAWL_REGISTRY; the demo's is
seeds/portals/), validated on load.

A bad entry fails the load with an error naming the file, the portal and the field, so a typo in one entry
never turns into a silent half-crawl.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cssselect import GenericTranslator, SelectorError

PORTAL_ID = re.compile(r"^(?P<division>\d{6})-(?P<organ>[a-z0-9]+(?:-[a-z0-9]+)*)$")
HOSTNAME = re.compile(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::\d+)?$")
SELECTOR_KEYS = frozenset({"list_area", "report_links", "next_page"})
REQUIRED = ("id", "name", "agency", "region", "platform", "columns", "allowed_hosts")
OPTIONAL = ("selectors", "robots", "private_addresses", "notes", "report_link_pattern")


class RegistryError(ValueError):
    """A registry entry is missing, malformed or inconsistent; the message names where."""


@dataclass(frozen=True, slots=True)
class RobotsException:
    reason: str


@dataclass(frozen=True, slots=True)
class PortalEntry:
    id: str
    name: str
    agency: str
    region: str
    platform: str
    column_urls: tuple[str, ...]
    allowed_hosts: tuple[str, ...]
    selectors: dict[str, str] = field(default_factory=dict)
    robots_exception: RobotsException | None = None
    # Why this portal may be fetched from private, loopback or link-local addresses (None: it may not).
    private_addresses_reason: str | None = None
    source: str = ""
    # A regular expression that also marks a list link as a report, matched against its text and its URL
    # (widens the platform adapter's own rule for a portal whose titles say e.g. 政务公开情况).
    report_link_pattern: str | None = None

    @property
    def division_code(self) -> str:
        return self.id.split("-", 1)[0]

    def allows(self, url: str) -> bool:
        return (urlsplit(url).hostname or "") in self.allowed_hosts or urlsplit(url).netloc in self.allowed_hosts


def load_registry(path: str | Path | None = None) -> dict[str, PortalEntry]:
    """Load a directory of portal files (or one file), validating every entry."""
    from govcrawl.adapters import ADAPTERS
    from govcrawl.demo import DEMO_REGISTRY

    root = Path(path) if path is not None else DEMO_REGISTRY
    if root.is_dir():
        files = sorted(root.glob("*.toml"))
        if not files:
            raise RegistryError(f"{root}: no portal files (*.toml) in the registry directory")
    elif root.is_file():
        files = [root]
    else:
        raise RegistryError(f"{root}: registry not found (expected a directory of portal .toml files)")
    portals: dict[str, PortalEntry] = {}
    for file in files:
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise RegistryError(f"{file}: not valid TOML: {exc}") from exc
        entry = parse_entry(data, source=str(file), platforms=ADAPTERS.keys())
        if root.is_dir() and file.stem != entry.id:
            raise RegistryError(f"{file}: portal {entry.id!r}: field 'id' must match the file name {file.stem!r}")
        if entry.id in portals:
            raise RegistryError(f"{file}: portal {entry.id!r}: field 'id' duplicates {portals[entry.id].source}")
        portals[entry.id] = entry
    return portals


def parse_entry(data: dict[str, Any], *, source: str, platforms) -> PortalEntry:
    label = f"{source}: portal {data.get('id')!r}"

    def fail(field_name: str, problem: str) -> RegistryError:
        return RegistryError(f"{label}: field {field_name!r}: {problem}")

    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise fail(unknown[0], f"unknown field (allowed: {', '.join(REQUIRED + OPTIONAL)})")
    for name in REQUIRED:
        if name not in data:
            raise fail(name, "missing")
    for name in ("id", "name", "agency", "region", "platform"):
        if not isinstance(data[name], str) or not data[name].strip():
            raise fail(name, "must be a non-empty string")
    if not PORTAL_ID.match(data["id"]):
        raise fail("id", "must be a 6-digit division code, '-', and a lowercase organ slug, e.g. '220200-kjj'")
    if data["platform"] not in platforms:
        raise fail("platform", f"unknown platform adapter {data['platform']!r} (known: {', '.join(sorted(platforms))})")
    hosts = data["allowed_hosts"]
    if not isinstance(hosts, list) or not hosts or not all(isinstance(h, str) and HOSTNAME.match(h) for h in hosts):
        raise fail("allowed_hosts", "must be a non-empty list of lowercase host names")
    columns = data["columns"]
    if not isinstance(columns, list) or not columns:
        raise fail("columns", "must be a non-empty list of column URLs")
    for url in columns:
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise fail("columns", f"{url!r} is not an http(s) URL")
        if parts.hostname not in hosts and parts.netloc not in hosts:
            raise fail("columns", f"{url!r} is on host {parts.netloc!r}, which is not in allowed_hosts")
    selectors = data.get("selectors", {})
    if not isinstance(selectors, dict) or not all(isinstance(v, str) and v for v in selectors.values()):
        raise fail("selectors", "must be a table of non-empty CSS selector strings")
    if set(selectors) - SELECTOR_KEYS:
        raise fail("selectors", f"unknown selector {min(set(selectors) - SELECTOR_KEYS)!r} "
                                f"(allowed: {', '.join(sorted(SELECTOR_KEYS))})")
    for key, css in selectors.items():
        try:
            GenericTranslator().css_to_xpath(css)
        except SelectorError as exc:
            raise fail("selectors", f"{key} = {css!r} is not a valid CSS selector ({exc})") from exc
    pattern = data.get("report_link_pattern")
    if pattern is not None:
        if not isinstance(pattern, str) or not pattern:
            raise fail("report_link_pattern", "must be a non-empty regular expression string")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise fail("report_link_pattern", f"{pattern!r} is not a valid regular expression ({exc})") from exc
    robots_exception = None
    if "robots" in data:
        robots = data["robots"]
        if not isinstance(robots, dict) or set(robots) - {"obey", "reason"} or not isinstance(robots.get("obey"), bool):
            raise fail("robots", 'must be a table {obey = false, reason = "why"}')
        if not robots["obey"]:
            reason = robots.get("reason")
            if not isinstance(reason, str) or len(reason.strip()) < 10:
                raise fail("robots", 'ignoring robots.txt needs a written reason (reason = "...")')
            robots_exception = RobotsException(reason.strip())
    private_addresses_reason = None
    if "private_addresses" in data:
        private = data["private_addresses"]
        if (not isinstance(private, dict) or set(private) - {"allow", "reason"}
                or not isinstance(private.get("allow"), bool)):
            raise fail("private_addresses", 'must be a table {allow = true, reason = "why"}')
        if private["allow"]:
            reason = private.get("reason")
            if not isinstance(reason, str) or len(reason.strip()) < 10:
                raise fail("private_addresses", "fetching from private addresses needs a written reason "
                                                '(reason = "...")')
            private_addresses_reason = reason.strip()
    return PortalEntry(
        id=data["id"],
        name=data["name"].strip(),
        agency=data["agency"].strip(),
        region=data["region"].strip(),
        platform=data["platform"],
        column_urls=tuple(columns),
        allowed_hosts=tuple(hosts),
        selectors=dict(selectors),
        robots_exception=robots_exception,
        private_addresses_reason=private_addresses_reason,
        source=source,
        report_link_pattern=pattern,
    )


def select_portals(registry: dict[str, PortalEntry], wanted: str | None) -> list[PortalEntry]:
    """`-a portal=ID[,ID...]`; all portals when not given. Unknown ids are an error naming them."""
    if not wanted:
        return list(registry.values())
    ids = [part.strip() for part in wanted.split(",") if part.strip()]
    unknown = [i for i in ids if i not in registry]
    if unknown:
        raise RegistryError(f"unknown portal id(s) {', '.join(unknown)} (known: {', '.join(sorted(registry))})")
    return [registry[i] for i in dict.fromkeys(ids)]

"""What a crawl is told to do, checked before it starts: spider arguments, registry, portals, replay source,
database and archive folder. Every mistake is a ConfigError whose one-line message names the input and the
cause (the crawl command prints it and exits 2, no traceback)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from govcrawl.demo import DEMO_NAMES, DEMO_REGISTRY, DEMO_ROOT, is_demo
from govcrawl.registry import PortalEntry, RegistryError, load_registry, select_portals

# The `-a NAME=VALUE` arguments of the portals spider: anything else is refused (a typo such as
# `-a replays=seeds` must not quietly start a live crawl).
SPIDER_ARGS = {
    "portal": "one portal id or a comma list (default: every portal of the registry)",
    "registry": "folder of portal .toml files, or one file; `demo` for the demo portals "
                "(default: setting or environment variable GOVCRAWL_REGISTRY)",
    "replay": "answer every request from a WARC file or folder instead of the network; `demo` (or `seeds`) "
              "for the demo's saved harvest",
}
REGISTRY_ENV = "GOVCRAWL_REGISTRY"


class ConfigError(ValueError):
    """A crawl's configuration is wrong; the message is one line naming the input and the cause."""


@dataclass(frozen=True, slots=True)
class CrawlPlan:
    registry: Path
    portals: list[PortalEntry]
    replay: str | None


def check_spider_args(args: dict[str, str]) -> None:
    # Names with a leading underscore are a scheduler's own (Scrapyd passes `_job`), not the user's.
    unknown = sorted(name for name in set(args) - set(SPIDER_ARGS) if not name.startswith("_"))
    if unknown:
        given = ", ".join(f"-a {name}={args[name]}" for name in unknown)
        raise ConfigError(f"unknown spider argument {given} (known: {', '.join(f'-a {k}=' for k in SPIDER_ARGS)})")


def resolve_replay(value: str | None) -> str | None:
    """A replay source as an absolute path; `demo`/`seeds` mean the demo's archive when no such path exists."""
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.exists() and value in DEMO_NAMES:
        path = DEMO_ROOT
    if not path.exists():
        raise ConfigError(f"replay source {value!r}: no such file or folder")
    from govcrawl.archive.warc import warc_files

    if not warc_files(path):
        raise ConfigError(f"replay source {value!r}: holds no .warc or .warc.gz files")
    return str(path.resolve())


def resolve_registry(value: str | None, replay: str | None) -> Path:
    """The registry to crawl: -a registry= or the GOVCRAWL_REGISTRY setting; else the demo registry when replaying
    the demo's own archive; else the GOVCRAWL_REGISTRY environment variable. A live crawl with none of these is
    refused rather than crawling the demo portals for real."""
    if not value and replay and is_demo(replay):
        return DEMO_REGISTRY
    value = value or os.environ.get(REGISTRY_ENV)
    if value in DEMO_NAMES and not Path(value).exists():
        return DEMO_REGISTRY
    if value:
        return Path(value).expanduser().resolve()
    raise ConfigError("no portal registry: pass -a registry=FOLDER or set GOVCRAWL_REGISTRY (environment variable "
                      "or -s setting); `-a registry=demo` names the demo portals (README: Adding a portal)")


def plan_crawl(args: dict[str, str], registry_setting: str | None, replay_setting: str | None) -> CrawlPlan:
    """Spider arguments and settings → what to crawl; raises ConfigError."""
    check_spider_args(args)
    replay = resolve_replay(args.get("replay") or replay_setting)
    registry = resolve_registry(args.get("registry") or registry_setting, replay)
    try:
        portals = load_registry(registry)
    except RegistryError as exc:
        raise ConfigError(str(exc)) from None  # names the file, the portal and the field
    try:
        selected = select_portals(portals, args.get("portal"))
    except RegistryError as exc:
        raise ConfigError(f"-a portal={args.get('portal')}: {exc} in registry {registry}") from None
    return CrawlPlan(registry, selected, replay)


def check_database(url_setting: str | None) -> str:
    """Connect once to the database the crawl will write to; the resolved URL, or ConfigError."""
    from govcrawl.db.engine import describe, make_engine, resolve_database_url

    url = resolve_database_url(url_setting)
    try:
        engine = make_engine(url)
    except (ArgumentError, SQLAlchemyError, ValueError, ImportError) as exc:
        raise ConfigError(f"database URL {masked_url(url)!r}: {one_line(exc)}") from None
    try:
        with engine.connect():
            pass
    except SQLAlchemyError as exc:
        raise ConfigError(f"database {describe(url)}: cannot connect: {one_line(exc)}") from None
    finally:
        engine.dispose()
    return url


def check_archive_dir(folder: str | None) -> Path:
    path = Path(folder or "archive").expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"archive folder {str(path)!r}: cannot create it: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK):
        raise ConfigError(f"archive folder {str(path)!r}: not writable")
    return path


def masked_url(url: str) -> str:
    """A database URL without its password, even when it does not parse as one."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (SQLAlchemyError, ValueError):
        return re.sub(r"(//[^/:@]*:)[^/@]*@", r"\1***@", url)


def one_line(exc: Exception) -> str:
    """An exception as one line: a database driver's own message, without SQLAlchemy's background link."""
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).split("(Background on this error at:")[0]
    return " ".join(text.split()) or type(cause).__name__

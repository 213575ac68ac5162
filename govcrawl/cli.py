"""`govcrawl`: crawl portals, export and browse the stored reports, check a portal's column page.

Exit status: 0 done; 1 the crawl lost pages; 2 a configuration mistake (database URL, registry, portal id,
replay source, archive folder, missing file), told in one line naming the input and the cause.
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import nullcontext
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from govcrawl.config import masked_url, one_line
from govcrawl.demo import DEMO_ARCHIVE, DEMO_SITE

EXIT_CONFIG = 2
DB_HELP = "SQLAlchemy database URL (default: $GOVCRAWL_DATABASE_URL, else sqlite:///govcrawl.db in this folder)"
EXPORT_FORMATS = {
    "jsonl": "one JSON object per report (extract-output.md's fields plus portal, region, fetched_at)",
    "csv": "one row per cell with Chinese labels (UTF-8 with BOM, for Excel)",
    "csv-wide": "one row per report, every canonical cell a column (UTF-8 with BOM)",
    "parquet": "one row per cell, typed (needs --out)",
}


def _version() -> str:
    try:
        return version("govcrawl")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govcrawl", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--version", action="version", version=f"govcrawl {_version()}",
                        help="print the version and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    crawl = commands.add_parser("crawl", help="crawl the registry's portals (or replay an archive) into the database",
                                description="Runs `scrapy crawl portals` with govcrawl's settings, from any folder.")
    crawl.add_argument("--portal", help="one portal id or a comma list (default: every portal of the registry)")
    crawl.add_argument("--registry", help="folder of portal .toml files, or `demo` (default: $GOVCRAWL_REGISTRY)")
    crawl.add_argument("--replay", metavar="PATH", help="answer every request from this WARC file or folder, never "
                                                        "the network; `demo` replays the demo's saved harvest")
    crawl.add_argument("--db", help=DB_HELP)
    crawl.add_argument("--archive", metavar="FOLDER",
                       help="where a live crawl writes its WARC files (default: ./archive)")
    crawl.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                       help="any other Scrapy or govcrawl setting (may be repeated)")
    crawl.add_argument("-L", "--loglevel", help="log level (default INFO; DEBUG shows Scrapy's own lines)")

    export = commands.add_parser("export", help="write the stored reports as JSON Lines, CSV or Parquet")
    export.add_argument("--db", help=DB_HELP)
    export.add_argument("--format", choices=tuple(EXPORT_FORMATS), default="jsonl",
                        help="; ".join(f"{k}: {v}" for k, v in EXPORT_FORMATS.items()) + " (default: jsonl)")
    export.add_argument("--labels", action="store_true",
                        help="csv-wide: add a second header row of Chinese labels")
    export.add_argument("--out", help="output file (default: standard output; required for parquet)")

    browse = commands.add_parser("browse", help="open the (SQLite) database in Datasette, labelled from the "
                                                "data dictionary")
    browse.add_argument("--db", help=DB_HELP)
    browse.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    browse.add_argument("--port", type=int, default=8001, help="port to listen on (default: 8001; 0 picks a free one)")

    portal = commands.add_parser("portal", help="work on a portal entry")
    portal_commands = portal.add_subparsers(dest="portal_command", required=True, metavar="SUBCOMMAND")
    check = portal_commands.add_parser("check", help="show which links of a column page are taken as reports, "
                                                     "which are skipped and why, and the pagination found")
    check.add_argument("url", help="the column (list) page URL")
    check.add_argument("--archive", metavar="PATH", help="read the page from this WARC file or folder instead of "
                                                         "the network (`demo`: the demo's saved harvest)")
    check.add_argument("--registry", help="registry holding the portal (default: $GOVCRAWL_REGISTRY, else the demo's)")
    check.add_argument("--portal", help="portal id whose hosts, platform and selectors apply (default: the entry "
                                        "listing this column, else a generic entry for the URL's host)")

    dictionary = commands.add_parser("dictionary", help="write the data dictionary (Markdown and JSON)")
    dictionary.add_argument("--out", default="docs", help="folder to write into (default: docs)")

    migrate = commands.add_parser("migrate", help="create or upgrade the database schema")
    migrate.add_argument("--db", help=DB_HELP)

    build = commands.add_parser("build-seeds", help="rebuild the demo's WARC archive from its saved site")
    build.add_argument("--site", default=str(DEMO_SITE), help="saved site folder (default: the demo's)")
    build.add_argument("--out", default=str(DEMO_ARCHIVE / "seeds.warc.gz"), help="WARC file to write")

    serve = commands.add_parser("serve-seeds", help="serve the demo's saved site over HTTP (also as an HTTP proxy)")
    serve.add_argument("--site", default=str(DEMO_SITE), help="saved site folder (default: the demo's)")
    serve.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (default: 8080)")

    from govcrawl.harvest.commands import add_commands as add_harvest_commands

    HANDLERS.update(add_harvest_commands(commands))  # harvest, runs, reextract
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    name = args.command if args.command != "portal" else f"portal {args.portal_command}"
    try:
        return HANDLERS[args.command](args)
    except BrokenPipeError:
        # `govcrawl export | head`: the reader has all it wanted; not an error.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the interpreter's final flush quiet
        return 0
    except SQLAlchemyError as exc:
        # Unreachable server, missing database, unknown dialect or malformed URL: one line, no traceback.
        print(f"govcrawl {name}: cannot use database {_masked_url(getattr(args, 'db', None))}: {one_line(exc)}",
              file=sys.stderr)
        return EXIT_CONFIG
    except (OSError, ValueError) as exc:
        print(f"govcrawl {name}: {exc}", file=sys.stderr)
        return EXIT_CONFIG


def _masked_url(url_arg: str | None) -> str:
    from govcrawl.db.engine import resolve_database_url

    return masked_url(resolve_database_url(url_arg))


def open_engine(url_arg: str | None, *, must_exist: bool):
    from govcrawl.db.engine import describe, make_engine, resolve_database_url

    url = resolve_database_url(url_arg)
    parsed = make_url(url)
    if (must_exist and parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")
            and not Path(parsed.database).is_file()):
        raise ValueError(f"no database at {describe(url)} (run a crawl first, or pass --db)")
    engine = make_engine(url)
    if must_exist and "reports" not in inspect(engine).get_table_names():
        raise ValueError(f"{describe(url)} holds no govcrawl tables (run `govcrawl migrate` or a crawl first)")
    return engine


def _crawl(args) -> int:
    """Hands over to Scrapy's command line (and our crawl command), which exits with the crawl's status."""
    from scrapy.cmdline import execute

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "govcrawl.settings")  # a project from any folder
    argv = ["scrapy", "crawl", "portals"]
    for name in ("portal", "registry", "replay"):
        if getattr(args, name):
            argv += ["-a", f"{name}={getattr(args, name)}"]
    settings = list(args.set)
    if args.db:
        settings.append(f"DATABASE_URL={args.db}")
    if args.archive:
        settings.append(f"GOVCRAWL_ARCHIVE_DIR={args.archive}")
    for setting in settings:
        argv += ["-s", setting]
    if args.loglevel:
        argv += ["-L", args.loglevel]
    try:
        execute(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    return 0


def _export(args) -> int:
    from govcrawl.export import write_jsonl
    from govcrawl.tabular import write_long_csv, write_parquet, write_wide_csv

    if args.format == "parquet" and not args.out:
        raise ValueError("--format parquet needs --out FILE (Parquet is not written to a terminal)")
    engine = open_engine(args.db, must_exist=True)
    try:
        if args.format == "parquet":
            count = write_parquet(engine, args.out)
        else:
            writer = {"jsonl": write_jsonl, "csv": write_long_csv,
                      "csv-wide": lambda e, o: write_wide_csv(e, o, labels=args.labels)}[args.format]
            encoding = "utf-8" if args.format == "jsonl" else "utf-8-sig"
            if args.out:
                target = open(args.out, "w", encoding=encoding, newline="")  # noqa: SIM115 - entered just below
            else:
                sys.stdout.reconfigure(encoding=encoding, newline="")
                target = nullcontext(sys.stdout)
            with target as out:
                count = writer(engine, out)
    finally:
        engine.dispose()
    print(f"exported {count} report(s)", file=sys.stderr)
    return 0


def _browse(args) -> int:
    from govcrawl.browse import browse

    return browse(args.db, host=args.host, port=args.port)


def _portal(args) -> int:
    from govcrawl.portalcheck import check_column

    return check_column(args.url, archive=args.archive, registry=args.registry, portal_id=args.portal)


def _dictionary(args) -> int:
    from extractors.dictionary import write

    for path in write(Path(args.out)):
        print(f"wrote {path}", file=sys.stderr)
    return 0


def _migrate(args) -> int:
    from govcrawl.db.engine import describe, resolve_database_url, upgrade

    engine = open_engine(args.db, must_exist=False)
    upgrade(engine)
    engine.dispose()
    print(f"{describe(resolve_database_url(args.db))} is at the latest schema", file=sys.stderr)
    return 0


def _build(args) -> int:
    from govcrawl.seedsite.build import build_archive

    out = build_archive(args.site, args.out)
    print(f"wrote {out}", file=sys.stderr)
    return 0


def _serve(args) -> int:
    from govcrawl.seedsite.server import serve

    if not Path(args.site).is_dir():
        raise ValueError(f"--site {args.site}: no such folder")
    server = serve(args.site, port=args.port)
    print(f"serving {args.site} at {server.url} (use it as http_proxy to crawl the portals' real URLs)",
          file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


HANDLERS = {"crawl": _crawl, "export": _export, "browse": _browse, "portal": _portal, "dictionary": _dictionary,
            "migrate": _migrate, "build-seeds": _build, "serve-seeds": _serve}

if __name__ == "__main__":
    sys.exit(main())

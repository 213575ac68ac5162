"""`govcrawl` command: export stored reports, migrate a database, build or serve the seed site.

Crawling itself is `scrapy crawl portals [-a portal=ID[,ID]] [-a replay=PATH]`.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from contextlib import nullcontext
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.engine import make_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="govcrawl", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    export = commands.add_parser("export", help="write stored reports as JSON Lines or CSV")
    export.add_argument("--db", help="SQLAlchemy URL (default: $GOVCRAWL_DATABASE_URL or sqlite:///govcrawl.db)")
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument("--out", help="output file (default: standard output)")

    migrate = commands.add_parser("migrate", help="create or upgrade the database schema")
    migrate.add_argument("--db")

    build = commands.add_parser("build-seeds", help="rebuild the seed archive from seeds/site")
    build.add_argument("--site", default="seeds/site")
    build.add_argument("--out", default="seeds/archive/seeds.warc.gz")

    serve = commands.add_parser("serve-seeds", help="serve seeds/site over HTTP (also as an HTTP proxy)")
    serve.add_argument("--site", default="seeds/site")
    serve.add_argument("--port", type=int, default=8080)

    from govcrawl.harvest.commands import add_commands as add_harvest_commands

    handlers = {"export": _export, "migrate": _migrate, "build-seeds": _build, "serve-seeds": _serve,
                **add_harvest_commands(commands)}
    args = parser.parse_args(argv)
    try:
        handler = handlers[args.command]
        return handler(args)
    except BrokenPipeError:
        # `govcrawl export | head`: the reader has all it wanted; not an error.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the interpreter's final flush quiet
        return 0
    except SQLAlchemyError as exc:
        # Unreachable server, missing database, unknown dialect or malformed URL: one line, no traceback.
        url = _masked_url(getattr(args, "db", None))
        print(f"govcrawl {args.command}: cannot use database {url}: {_cause(exc)}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        print(f"govcrawl {args.command}: {exc}", file=sys.stderr)
        return 1


def _masked_url(url_arg: str | None) -> str:
    from govcrawl.db.engine import resolve_database_url

    url = resolve_database_url(url_arg)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (SQLAlchemyError, ValueError):
        # Not even parseable as a URL: still hide anything between "user:" and "@".
        return re.sub(r"(//[^/:@]*:)[^/@]*@", r"\1***@", url)


def _cause(exc: SQLAlchemyError) -> str:
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = str(cause).split("(Background on this error at:")[0]
    return " ".join(text.split()) or type(cause).__name__


def _engine(url_arg: str | None, *, must_exist: bool):
    from govcrawl.db.engine import describe, make_engine, resolve_database_url

    url = resolve_database_url(url_arg)
    parsed = make_url(url)
    if must_exist and parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        if not Path(parsed.database).is_file():
            raise ValueError(f"no database at {describe(url)} (run a crawl first, or pass --db)")
    engine = make_engine(url)
    if must_exist and "reports" not in inspect(engine).get_table_names():
        raise ValueError(f"{describe(url)} holds no govcrawl tables (run `govcrawl migrate` or a crawl first)")
    return engine


def _export(args) -> int:
    from govcrawl.export import write_csv, write_jsonl

    engine = _engine(args.db, must_exist=True)
    encoding = "utf-8-sig" if args.format == "csv" else "utf-8"
    if args.out:
        target = open(args.out, "w", encoding=encoding, newline="")  # noqa: SIM115
    else:
        sys.stdout.reconfigure(encoding=encoding, newline="")
        target = nullcontext(sys.stdout)
    with target as out:
        count = (write_csv if args.format == "csv" else write_jsonl)(engine, out)
    engine.dispose()
    print(f"exported {count} report(s)", file=sys.stderr)
    return 0


def _migrate(args) -> int:
    from govcrawl.db.engine import describe, resolve_database_url, upgrade

    engine = _engine(args.db, must_exist=False)
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


if __name__ == "__main__":
    sys.exit(main())

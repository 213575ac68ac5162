"""Helpers for the harvest tests: a writable copy of the saved portal site served on loopback, edits to it
as a portal's editors would make them, and `govcrawl harvest` run in a subprocess from another directory."""

from __future__ import annotations

import email.utils
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from crawlkit import SEEDS, crawl_env
from sqlalchemy import create_engine, text

# The portal server answers every host itself (as a proxy): there is no address for the guard to check.
FAST = ("-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_START_DELAY=0", "-s", "GOVCRAWL_RETRY_BACKOFF_BASE=0",
        "-s", "GOVCRAWL_PROXY_CHECKS_ADDRESSES=True")


class Site:
    """seeds/site copied to `root`, served by the portal server; edits take effect on `reload()`."""

    def __init__(self, root: Path, delay: float = 0.0, slow: dict[str, float] | None = None) -> None:
        """`delay`: seconds before every answer; `slow`: more seconds for URLs ending with a key."""
        from govcrawl.seedsite.server import _Handler, serve

        class SlowHandler(_Handler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                # a slow portal: a harvest can be stopped in the middle
                time.sleep(delay + sum(v for k, v in (slow or {}).items() if self.path.endswith(k)))
                super().do_GET()

        shutil.copytree(SEEDS / "site", root)
        self.root = root
        self.server = serve(root)
        if delay or slow:
            self.server.RequestHandlerClass = SlowHandler
        self.server.start_in_thread()

    def file(self, url: str) -> Path:
        host, _, path = url.split("://", 1)[1].partition("/")
        path = path.replace("?", "@")
        if not path or path.endswith("/"):
            path += "index.html"
        return self.root / host / path

    def edit(self, url: str, old: str, new: str) -> None:
        """Replace text everywhere in a page; the server then sends a new Last-Modified and ETag, as a CMS does."""
        body = self.file(url)
        content = body.read_text(encoding="utf-8")
        assert old in content, f"{old!r} not in {body}"
        body.write_text(content.replace(old, new), encoding="utf-8")
        self._touch(body)

    def add(self, url: str, copy_of: str) -> None:
        source, target = self.file(copy_of), self.file(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
        meta = json.loads(Path(f"{source}.headers.json").read_text(encoding="utf-8"))
        meta["url"] = url
        Path(f"{target}.headers.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        self._touch(target)

    def remove(self, url: str) -> None:
        body = self.file(url)
        body.unlink()
        Path(f"{body}.headers.json").unlink()

    def _touch(self, body: Path) -> None:
        sidecar = Path(f"{body}.headers.json")
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
        meta["headers"] = {k: v for k, v in meta["headers"].items() if k.lower() not in ("etag", "content-length")}
        meta["headers"]["Last-Modified"] = email.utils.formatdate(time.time(), usegmt=True)
        sidecar.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    def reload(self) -> None:
        from govcrawl.seedsite.site import load_site

        self.server.site = load_site(self.root)
        self.server.requests_seen.clear()

    def stop(self) -> None:
        self.server.stop()


def harvest_command(workdir: Path, site: Site, database_url: str, *args: str) -> dict:
    """subprocess arguments of `govcrawl harvest` with its data folder under `workdir`, run from an unrelated
    directory."""
    elsewhere = workdir / "elsewhere"
    elsewhere.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-W", "error", "-m", "govcrawl.cli", "harvest", "--db", database_url,
               "--data", str(workdir / "data"), *FAST, *args]
    if "--registry" not in args:
        command[command.index("harvest") + 1:command.index("harvest") + 1] = ["--registry", "demo"]
    env = crawl_env(http_proxy=site.server.url)
    env.pop("SCRAPY_SETTINGS_MODULE")  # the command must find its settings itself
    return {"args": command, "cwd": elsewhere, "env": env}


def run_harvest(workdir: Path, site: Site, database_url: str, *args: str,
                timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(**harvest_command(workdir, site, database_url, *args), capture_output=True, text=True,
                          timeout=timeout, check=False)


def query(database_url: str, sql: str, **params) -> list[tuple]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


def row_counts(database_url: str) -> dict[str, int]:
    tables = ("pages", "reports", "report_cells", "report_sections", "check_results", "report_attachments",
              "attachment_files")
    return {t: query(database_url, f"select count(*) from {t}")[0][0] for t in tables}  # noqa: S608 - our tables

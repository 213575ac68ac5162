"""Helpers shared by the crawler's tests: where things are, and running `scrapy crawl` in a subprocess so
reactors never leak between tests. (Not in conftest.py: test modules import these by a unique name.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
FIXTURE_PAGES = REPO / "tests" / "fixtures" / "pages"
PROXY_VARS = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY", "all_proxy",
              "ALL_PROXY")


def crawl_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS and k != "GOVCRAWL_DATABASE_URL"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    env["SCRAPY_SETTINGS_MODULE"] = "govcrawl.settings"
    env.update(extra)
    return env


def run_crawl(cwd: Path, *args: str, env: dict[str, str] | None = None,
              timeout: float = 300) -> subprocess.CompletedProcess:
    """`python -m scrapy crawl portals ARGS` in `cwd`; fails the test with the log if the crawl fails."""
    command = [sys.executable, "-W", "error", "-m", "scrapy", "crawl", "portals", *args]
    result = subprocess.run(command, cwd=cwd, env=env or crawl_env(), capture_output=True, text=True,
                            timeout=timeout, check=False)
    if result.returncode != 0 or "Traceback" in result.stderr:
        pytest.fail(f"crawl failed ({result.returncode}): {' '.join(command)}\n{result.stderr[-6000:]}")
    return result

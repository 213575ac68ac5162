"""The systemd units and the cron line in deploy/ are valid and say the same schedule."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from crawlkit import REPO

DEPLOY = REPO / "deploy"
INSTALLED_PATH = "/opt/govcrawl/.venv/bin/govcrawl"


def _systemd_analyze() -> str:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true requires systemd-analyze (.ci/run installs systemd)")
        pytest.skip("systemd-analyze is not installed (install systemd, or CI=true to make this a failure)")
    return tool


def test_units_pass_systemd_analyze_verify(tmp_path):
    tool = _systemd_analyze()
    # verify checks that ExecStart's program exists: point it at this environment's govcrawl
    govcrawl = Path(sys.executable).with_name("govcrawl")
    assert govcrawl.is_file()
    for unit in ("govcrawl-harvest.service", "govcrawl-harvest.timer"):
        text = (DEPLOY / unit).read_text(encoding="utf-8")
        (tmp_path / unit).write_text(text.replace(INSTALLED_PATH, str(govcrawl)), encoding="utf-8")
    result = subprocess.run([tool, "verify", "--man=no", str(tmp_path / "govcrawl-harvest.timer"),
                             str(tmp_path / "govcrawl-harvest.service")],
                            capture_output=True, text=True, check=False)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if "govcrawl-harvest" in line]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr


def test_timer_is_nightly_persistent_and_randomised():
    timer = (DEPLOY / "govcrawl-harvest.timer").read_text(encoding="utf-8")
    assert re.search(r"^OnCalendar=\*-\*-\* 01:00:00$", timer, re.MULTILINE)
    assert re.search(r"^Persistent=true$", timer, re.MULTILINE)
    assert re.search(r"^RandomizedDelaySec=2h$", timer, re.MULTILINE)
    cron = [line for line in (DEPLOY / "govcrawl-harvest.cron").read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#") and "=" not in line.split()[0]]
    assert len(cron) == 1 and cron[0].startswith("0 1 * * * ") and "RANDOM \\% 7200" in cron[0]
    assert f"{INSTALLED_PATH} harvest" in cron[0]


def test_worker_unit_passes_systemd_analyze_verify_and_starts_a_worker(tmp_path):
    tool = _systemd_analyze()
    govcrawl = Path(sys.executable).with_name("govcrawl")
    text = (DEPLOY / "govcrawl-worker@.service").read_text(encoding="utf-8")
    assert re.search(rf"^ExecStart={re.escape(INSTALLED_PATH)} worker --name %H-%i$", text, re.MULTILINE)
    # verify reads an instance of the template: the instance name is what systemctl would give it
    instance = tmp_path / "govcrawl-worker@1.service"
    instance.write_text(text.replace(INSTALLED_PATH, str(govcrawl)), encoding="utf-8")
    result = subprocess.run([tool, "verify", "--man=no", str(instance)], capture_output=True, text=True, check=False)
    problems = [line for line in (result.stdout + result.stderr).splitlines() if "govcrawl-worker" in line]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr

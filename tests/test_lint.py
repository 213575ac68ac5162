"""The code passes `ruff check` under the rule set pyproject.toml states ([tool.ruff]): CI runs the whole suite,
so a lint finding fails it as a failing test does."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_ruff_check_passes():
    # The ruff of the [test] extra, as requirements.lock pins it: `select = ["ALL"]` means the rules of the version
    # that runs. --no-cache: the test writes nothing into the source tree.
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(REPO)],
                            cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"ruff check {REPO} failed:\n{result.stdout}{result.stderr}"

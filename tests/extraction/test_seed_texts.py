"""The five real report texts: the issue's acceptance values, read through the CLI as a user would."""

import json
import subprocess
import sys

import pytest

from extractors import Cell, Check, Report, Section
from tests.conftest import TEXTS
from tests.extraction.seed_values import SEEDS


def _report(obj: dict) -> Report:
    return Report(
        **{k: v for k, v in obj.items() if k not in ("path", "cells", "checks", "sections", "attachments")},
        cells=[Cell(**c) for c in obj["cells"]],
        checks=[Check(**c) for c in obj["checks"]],
        sections=[Section(**s) for s in obj["sections"]],
    )


@pytest.fixture(scope="module")
def cli_reports() -> dict[str, Report]:
    paths = sorted(TEXTS.glob("*.txt"))
    run = subprocess.run([sys.executable, "-m", "extractors", *map(str, paths)], capture_output=True, check=True)
    lines = run.stdout.decode("utf-8").splitlines()
    assert len(lines) == len(paths)
    return {json.loads(line)["path"].rsplit("/", 1)[-1][:3]: _report(json.loads(line)) for line in lines}


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_seed_text_values(cli_reports, seed):
    SEEDS[seed](cli_reports[seed])


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_every_seed_is_a_report_with_its_sections(cli_reports, seed):
    report = cli_reports[seed]
    assert report.is_report
    assert report.sections[0].heading.startswith("一、")
    assert all(s.text for s in report.sections[:-1])


def test_seed_004_sections_skip_the_missing_heading(cli_reports):
    headings = [s.heading for s in cli_reports["004"].sections]
    assert headings == ["一、总体情况", "二、主动公开政府信息情况", "四、政府信息公开行政复议、行政诉讼情况",
                        "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]


def test_seed_002_list_items_numbered_like_sections_stay_inside_their_section(cli_reports):
    sections = cli_reports["002"].sections
    assert [s.heading for s in sections][:2] == ["一、概述", "二、主动公开政府信息情况"]
    assert "三、采取措施推进工作任务的落实" in sections[0].text

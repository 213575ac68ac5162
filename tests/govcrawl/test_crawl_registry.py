"""The portal registry: the shipped seeds load, and every kind of bad entry is named with its field."""

from __future__ import annotations

import pytest
from crawlkit import SEEDS

from govcrawl.registry import RegistryError, load_registry, select_portals

GOOD = """
id = "220200-kjj"
name = "吉林市科学技术局 年度报告"
agency = "吉林市科学技术局"
region = "吉林省吉林市"
platform = "trs"
columns = ["http://kjj.jlcity.gov.cn/zwgk/ndbg/index.html"]
allowed_hosts = ["kjj.jlcity.gov.cn"]
"""


def write(tmp_path, text: str, name: str = "220200-kjj"):
    folder = tmp_path / "portals"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.toml").write_text(text, encoding="utf-8")
    return folder


def test_seed_registry_loads_with_two_platforms():
    registry = load_registry(SEEDS / "portals")
    assert len(registry) >= 5
    assert {p.platform for p in registry.values()} == {"generic", "trs"}
    portal = registry["220200-szf"]
    assert portal.division_code == "220200"
    assert portal.allows("http://www.jlgxj.gov.cn/zwgk/ndbg/201501/t20150120_1129.html")
    assert not portal.allows("http://www.example.com/")


def test_a_good_entry_loads(tmp_path):
    registry = load_registry(write(tmp_path, GOOD))
    assert registry["220200-kjj"].column_urls == ("http://kjj.jlcity.gov.cn/zwgk/ndbg/index.html",)


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        (lambda t: t.replace('agency = "吉林市科学技术局"\n', ""), "agency", "missing"),
        (lambda t: t.replace('"220200-kjj"', '"kjj-220200"'), "id", "6-digit division code"),
        (lambda t: t.replace('"trs"', '"dedecms"'), "platform", "unknown platform adapter 'dedecms'"),
        (lambda t: t.replace('["kjj.jlcity.gov.cn"]', '["www.jlcity.gov.cn"]'), "columns", "not in allowed_hosts"),
        (lambda t: t.replace("columns = [", 'columns = ["ftp://x", '), "columns", "not an http(s) URL"),
        (lambda t: t + "robots = { obey = false }\n", "robots", "written reason"),
        (lambda t: t + 'selectors = { items = "ul li a" }\n', "selectors", "unknown selector 'items'"),
        (lambda t: t + 'homepage = "x"\n', "homepage", "unknown field"),
        (lambda t: t + 'selectors = { list_area = "div.list >> a" }\n', "selectors", "not a valid CSS selector"),
        (lambda t: t + 'report_link_pattern = "政务公开(情况"\n', "report_link_pattern",
         "not a valid regular expression"),
    ],
)
def test_bad_entries_name_the_file_portal_and_field(tmp_path, change, field, problem):
    folder = write(tmp_path, change(GOOD))
    with pytest.raises(RegistryError) as info:
        load_registry(folder)
    message = str(info.value)
    assert "220200-kjj.toml" in message and f"field {field!r}" in message and problem in message


def test_robots_exception_with_a_reason_is_kept(tmp_path):
    reason = "robots.txt disallows / by mistake; operator agreed by mail 2024-05-02"
    folder = write(tmp_path, GOOD + f'robots = {{ obey = false, reason = "{reason}" }}\n')
    assert "operator agreed" in load_registry(folder)["220200-kjj"].robots_exception.reason


def test_file_name_must_match_id_and_toml_must_parse(tmp_path):
    with pytest.raises(RegistryError, match="must match the file name 'other'"):
        load_registry(write(tmp_path, GOOD, name="other"))
    broken = tmp_path / "broken"
    broken.mkdir()
    with pytest.raises(RegistryError, match=r"broken\.toml: not valid TOML"):
        load_registry(write(broken, "id = ", name="broken"))


def test_portal_selection():
    registry = load_registry(SEEDS / "portals")
    assert [p.id for p in select_portals(registry, "220300-szf,152501-szf")] == ["220300-szf", "152501-szf"]
    assert len(select_portals(registry, None)) == len(registry)
    with pytest.raises(RegistryError, match=r"unknown portal id.*999999-x"):
        select_portals(registry, "220300-szf,999999-x")


def test_private_addresses_are_shut_unless_an_entry_opens_them_with_a_reason(tmp_path):
    assert load_registry(write(tmp_path, GOOD))["220200-kjj"].private_addresses_reason is None
    reason = "the portal's intranet mirror, crawled from inside the agency's network"
    opened = tmp_path / "opened"
    opened.mkdir()
    entry = load_registry(write(opened, GOOD + f'private_addresses = {{ allow = true, reason = "{reason}" }}\n'))
    assert entry["220200-kjj"].private_addresses_reason == reason
    for bad, problem in (("{ allow = true }", "fetching from private addresses needs a written reason"),
                         ("true", "must be a table"), ('{ allow = "yes", reason = "x" }', "must be a table")):
        folder = tmp_path / f"bad{len(problem)}{len(bad)}"
        folder.mkdir()
        with pytest.raises(RegistryError, match=f"field 'private_addresses': {problem}"):
            load_registry(write(folder, GOOD + f"private_addresses = {bad}\n"))

"""Report files in a real crawl, live and replayed: an attachment-only page gets its cells from its file, a
page with its own table is cross-checked against its file, a file the column links is a report, a missing
file is a failed page. The files here are HTML saved under office names (Word's and Excel's "save as web
page", which portals serve as .doc/.xls), so this runs whatever binary readers the extractor has; the seed
site's PDF and DOCX reports are tested in test_crawl_replay_seeds.py."""

from __future__ import annotations

import io
import json
import zipfile

from crawlkit import FIXTURE_PAGES, crawl_one_portal, run_crawl
from dbstate import snapshot
from test_crawl_failures import HOST, save

from extractors import extract
from govcrawl.cli import main

BASE = f"http://{HOST}/zwgk/ndbg/"
SHELL_TITLE = "某区教育局2020年政府信息公开工作年度报告"
COLUMN_FILE_TITLE = "某县农业农村局2022年政府信息公开工作年度报告"
LIST = f"""<html><head><meta charset="utf-8"><title>年度报告</title></head><body><ul class="list">
<li><a href="./t20210125_1.html">{SHELL_TITLE}</a></li>
<li><a href="./t20230120_2.html">临朐县自然资源和规划局2022年政府信息公开工作年度报告</a></li>
<li><a href="./P020230119_3.doc">{COLUMN_FILE_TITLE}</a></li>
</ul></body></html>"""
SHELL = f"""<html><head><meta charset="utf-8"><title>{SHELL_TITLE}</title>
<meta name="ArticleTitle" content="{SHELL_TITLE}"><meta name="PubDate" content="2021-01-25 14:20">
<meta name="ContentSource" content="某区教育局"></head><body><div id="zoom">
<p>{SHELL_TITLE}详见附件。</p>
<p>附件：<a href="./P020210125_1.pdf">{SHELL_TITLE}.pdf</a></p>
<p><a href="./P020210125_1.doc">{SHELL_TITLE}.doc</a></p>
<p><a href="./P020210125_1.ofd">{SHELL_TITLE}.ofd</a></p>
</div></body></html>"""


def build_site(tmp_path):
    site = tmp_path / "site"
    save(site, f"http://{HOST}/robots.txt", b"User-agent: *\nDisallow:\n", content_type="text/plain")
    save(site, BASE + "index.html", LIST.encode())
    save(site, BASE + "t20210125_1.html", SHELL.encode())  # its PDF is missing (404); its .doc is the report
    save(site, BASE + "P020210125_1.doc", (FIXTURE_PAGES / "004_varied.html").read_bytes(),
         content_type="application/msword")
    ofd = io.BytesIO()
    with zipfile.ZipFile(ofd, "w") as archive:  # China's fixed-layout format: no reader
        archive.writestr("OFD.xml", '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0"/>')
    save(site, BASE + "P020210125_1.ofd", ofd.getvalue(), content_type="application/ofd")
    table_page = (FIXTURE_PAGES / "006_2021_format.html").read_bytes()
    save(site, BASE + "t20230120_2.html",
         table_page.replace(b"</body>", '<p>附件：<a href="./P020230120_2.xls">统计表.xls</a></p></body>'.encode()))
    # the attached sheet says 4068.209 where the page says 4068.208
    save(site, BASE + "P020230120_2.xls", table_page.replace(b"4068.208", b"4068.209"),
         content_type="application/vnd.ms-excel")
    save(site, BASE + "P020230119_3.doc", table_page, content_type="application/octet-stream")
    return site


def test_report_files_live_and_replayed(tmp_path, capsys):
    site = build_site(tmp_path)
    database_url, _server, _result = crawl_one_portal(tmp_path, site, BASE + "index.html", HOST)
    state = snapshot(database_url)
    pages, reports = state["pages"], state["reports"]

    shell = reports[BASE + "t20210125_1.html"]
    assert (shell["title"], shell["published_date"].isoformat(), shell["source"]) == (
        SHELL_TITLE, "2021-01-25", "某区教育局")  # metadata from the page
    assert shell["documents"] == [BASE + "P020210125_1.doc"]  # cells from the file
    read = extract((FIXTURE_PAGES / "004_varied.html").read_bytes(), url=BASE + "P020210125_1.doc")
    assert shell["cells"] == {(c.table, c.row, c.col): (None if c.value is None else float(c.value),
                                                         None if c.value is None else isinstance(c.value, int),
                                                         c.raw, c.unit) for c in read.cells}
    assert len(shell["cells"]) == 198 and shell["format"] == read.format
    assert [heading for heading, _ in shell["sections"]] == [s.heading for s in read.sections]
    # files that could not be had or read are pages with the reason; the report stands without them
    assert pages[BASE + "P020210125_1.pdf"]["error"] == "HTTP 404 Not Found"
    assert pages[BASE + "P020210125_1.ofd"]["error"].startswith("attachment not readable (ofd): OFD")
    assert pages[BASE + "P020210125_1.doc"]["kind"] == "attachment"
    assert pages[BASE + "P020210125_1.doc"]["parent_url"] == BASE + "t20210125_1.html"

    table = reports[BASE + "t20230120_2.html"]
    assert table["documents"] == [BASE + "t20230120_2.html"] and table["format"] == "html"  # the page stays primary
    assert table["cells"][("active", "fees", "amount")][2] == "4068.208"
    assert table["checks"][-1] == ("attachment_vs_page", "active.fees.amount", "warn",
                                   "page '4068.208' ≠ P020230120_2.xls '4068.209'")
    assert sum(c[0] == "attachment_vs_page" for c in table["checks"]) == 1

    column_file = reports[BASE + "P020230119_3.doc"]
    # titled as the column lists it; the rest of the metadata is the file's own
    assert column_file["title"] == COLUMN_FILE_TITLE and column_file["agency"] == "临朐县自然资源和规划局"
    assert column_file["documents"] == [BASE + "P020230119_3.doc"] and len(column_file["cells"]) == 200
    assert set(reports) == {BASE + "t20210125_1.html", BASE + "t20230120_2.html", BASE + "P020230119_3.doc"}

    # replaying what the crawl archived re-extracts the files the same way
    replay_db = f"sqlite:///{tmp_path / 'replayed.db'}"
    run_crawl(tmp_path, "-a", f"replay={tmp_path / 'archive'}", "-s", f"GOVCRAWL_REGISTRY={tmp_path / 'portals'}",
              "-s", f"DATABASE_URL={replay_db}")
    replayed = snapshot(replay_db)
    assert replayed["reports"] == reports and replayed["pages"] == pages

    # re-extracting judges pages as the crawl does: the attachment-only page is still a report, the column's
    # file keeps its link text as title; the same extractor finds nothing changed
    capsys.readouterr()
    assert main(["reextract", "--db", replay_db, "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "0 new version(s)" in out and " unchanged, 0 no longer taken for a report" in out, out
    assert snapshot(replay_db)["reports"] == reports

    # the export carries the file's cells, the format and the finding
    out = tmp_path / "reports.jsonl"
    assert main(["export", "--db", replay_db, "--out", str(out)]) == 0
    exported = {r["url"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert len(exported[BASE + "t20210125_1.html"]["cells"]) == 198
    assert {"rule": "attachment_vs_page", "scope": "active.fees.amount", "status": "warn",
            "detail": "page '4068.208' ≠ P020230120_2.xls '4068.209'"} in exported[BASE + "t20230120_2.html"]["checks"]

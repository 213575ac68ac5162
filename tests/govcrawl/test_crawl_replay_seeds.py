"""`scrapy crawl portals -a replay=seeds`, run exactly as documented, from the repository root."""

from __future__ import annotations

import hashlib
import json

from crawlkit import REPO, SEEDS, crawl_env, run_crawl
from dbstate import snapshot
from seedfacts import ATTACHMENT_PDF_URL, FIXTURE_PAGES, REPORT_FILES, assert_seed_reports_stored, site_file
from sqlalchemy import select

from govcrawl.archive.warc import ArchiveIndex, Exchange, WarcFile, read_response, warc_files
from govcrawl.cli import main
from govcrawl.db import models as m
from govcrawl.db.engine import make_engine
from govcrawl.items import WarcLocation


def test_replaying_the_seeds_stores_the_five_reports_and_is_idempotent(database_url):
    first = run_crawl(REPO, "-a", "replay=seeds", "-s", f"DATABASE_URL={database_url}")
    state = snapshot(database_url)
    assert_seed_reports_stored(state)
    assert "Replay finished: 7 portal(s)" in first.stderr and "0 replay miss(es)" in first.stderr

    # every page row points at its WARC record, and that record holds the page's bytes
    for page in state["pages"].values():
        if page["warc_file"] is None:
            continue
        archived = read_response(WarcLocation(page["warc_file"], page["warc_offset"], page["warc_length"],
                                              page["warc_record_id"]))
        assert archived.url == page["url"] or archived.url == page["final_url"]
    # the 二连浩特 page is archived gzip-encoded, as served; it is hashed and extracted decoded
    elht = state["pages"]["http://www.elht.gov.cn/zwgk/zfxxgk/xxgknb/201503/t20150318_1290521.html"]
    assert ("Content-Encoding", "gzip") in [tuple(h) for h in elht["headers"]]
    assert elht["content_hash"] == hashlib.sha256((FIXTURE_PAGES / "002_jiyue.html").read_bytes()).hexdigest()
    gbk = state["pages"]["http://www.jlgxj.gov.cn/zwgk/ndbg/201501/t20150120_1129.html"]
    assert gbk["encoding"] == "gb18030" and ["Content-Type", "text/html; charset=ISO-8859-1"] in gbk["headers"]

    # the PDF's bytes are kept once, in the WARC; the database keeps what was read from them
    pdf = state["pages"][ATTACHMENT_PDF_URL]
    archived = read_response(WarcLocation(pdf["warc_file"], pdf["warc_offset"], pdf["warc_length"],
                                          pdf["warc_record_id"]))
    assert archived.body == site_file(ATTACHMENT_PDF_URL)
    assert pdf["content_hash"] == hashlib.sha256(site_file(ATTACHMENT_PDF_URL)).hexdigest()
    engine = make_engine(database_url)
    with engine.connect() as conn:
        size, fmt = conn.execute(select(m.AttachmentFile.size, m.AttachmentFile.format)
                                 .where(m.AttachmentFile.content_hash == pdf["content_hash"])).one()
    engine.dispose()
    assert (size, fmt) == (len(site_file(ATTACHMENT_PDF_URL)), "pdf")

    run_crawl(REPO, "-a", "replay=seeds", "-s", f"DATABASE_URL={database_url}")
    again = snapshot(database_url)
    assert again["counts"] == {**state["counts"], "crawl_runs": state["counts"]["crawl_runs"] + 1}
    assert again["reports"] == state["reports"]


def test_the_main_job_exports_the_reports_read_from_files(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'govcrawl.db'}"
    run_crawl(REPO, "-a", "replay=seeds", "-s", f"DATABASE_URL={database_url}")
    out = tmp_path / "reports.jsonl"
    assert main(["export", "--db", database_url, "--out", str(out)]) == 0
    exported = {r["url"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    for url, (_file, fmt, _fixture, title, year, _generation, _published) in REPORT_FILES.items():
        record = exported[url]
        assert (record["title"], record["report_year"], record["format"]) == (title, year, fmt)
        assert len(record["cells"]) == {"pdf": 198, "docx": 200}[fmt] and record["sections"]


def test_a_request_missing_from_the_archive_is_a_replay_miss_not_a_fetch(tmp_path, portal_server):
    # an archive holding only the 二连浩特 column page, not the report it lists
    partial = WarcFile(tmp_path / "partial" / "part.warc.gz")
    index = ArchiveIndex(warc_files(SEEDS / "archive"))
    column = index.next_response("http://www.elht.gov.cn/zwgk/zfxxgk/xxgknb/")
    partial.write(Exchange(url=column.url, method="GET", request_headers=[], status=column.status, reason="OK",
                           response_headers=column.headers, body=column.body, fetched_at=column.fetched_at))
    partial.close()
    index.close()
    database_url = f"sqlite:///{tmp_path / 'replay.db'}"
    # were anything to leave the process, it would go through this proxy and be counted
    result = run_crawl(tmp_path, "-a", "portal=152501-szf", "-a", f"replay={tmp_path / 'partial'}",
                       "-s", f"DATABASE_URL={database_url}", "-s", f"GOVCRAWL_REGISTRY={SEEDS / 'portals'}",
                       env=crawl_env(http_proxy=portal_server.url))
    assert portal_server.requests_seen == []
    pages = snapshot(database_url)["pages"]
    report_url = "http://www.elht.gov.cn/zwgk/zfxxgk/xxgknb/201503/t20150318_1290521.html"
    assert pages[report_url]["error"].startswith("ReplayMiss: replay miss: " + report_url)
    assert pages[report_url]["content_hash"] == "" and pages[report_url]["status"] is None
    assert "2 replay miss(es)" in result.stderr  # the report and the host's robots.txt


def test_unknown_portal_id_is_named(tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "portals", "-a", "portal=999999-nope",
                             "-a", "replay=seeds", "-s", f"DATABASE_URL=sqlite:///{tmp_path / 'x.db'}"],
                            cwd=REPO, env=crawl_env(), capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode != 0
    assert "unknown portal id(s) 999999-nope" in result.stderr


def test_column_pagination_is_bounded(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'x.db'}"
    run_crawl(REPO, "-a", "replay=seeds", "-a", "portal=220200-szf,371703-zxqyj",
              "-s", "GOVCRAWL_MAX_LIST_PAGES=1", "-s", f"DATABASE_URL={database_url}")
    pages = snapshot(database_url)["pages"]
    beyond = pages["http://www.jlcity.gov.cn/zwgk/zfxxgkndbg/bmndbg/index_1.html"]  # a row, not a fetch
    assert beyond["status"] is None and beyond["error"] == (
        "refused: column http://www.jlcity.gov.cn/zwgk/zfxxgkndbg/bmndbg/index.html reached GOVCRAWL_MAX_LIST_PAGES "
        "(1 list pages); this and any further list pages are not fetched")
    assert "http://www.jlcity.gov.cn/zwgk/zfxxgkndbg/bmndbg/202001/t20200114_687214.html" in pages


def test_thread_and_process_extraction_store_the_same_rows(tmp_path):
    by_process, by_thread = f"sqlite:///{tmp_path / 'process.db'}", f"sqlite:///{tmp_path / 'thread.db'}"
    run_crawl(REPO, "-a", "replay=seeds", "-s", f"DATABASE_URL={by_process}")
    run_crawl(REPO, "-a", "replay=seeds", "-s", f"DATABASE_URL={by_thread}", "-s", "GOVCRAWL_EXTRACT_EXECUTOR=thread")
    process_state, thread_state = snapshot(by_process), snapshot(by_thread)
    assert thread_state["reports"] == process_state["reports"]
    assert thread_state["pages"] == process_state["pages"]

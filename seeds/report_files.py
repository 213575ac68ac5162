"""Make the seed site's report files (PDF, DOCX) from the fixture report pages, with LibreOffice.

    python seeds/report_files.py        # needs `soffice` and the Noto CJK fonts (Debian: fonts-noto-cjk)

Each file is the report body (the content container) of a fixture page in tests/fixtures/pages, under the
agency the seed site lists it for, as a standalone document with its title on top, converted by
`soffice --headless --convert-to pdf|docx` as an office would export it. The statistics tables and their
numbers are the fixture's, so the cells the crawl stores can be checked against the fixture's expected file.
Then run `govcrawl build-seeds` to record them into seeds/archive/seeds.warc.gz.

LibreOffice stamps each export with its date, so the files differ from run to run: they are generated once
and committed; the archive built from them is reproducible byte for byte.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lxml import html as lxml_html

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "pages"
SITE = REPO / "seeds" / "site"
CONTAINERS = ('//*[@id="zoom"]', '//*[contains(@class, "TRS_UEDITOR")]')
STYLE = """body { font-family: "Noto Serif CJK SC"; font-size: 12pt; }
h1 { font-family: "Noto Sans CJK SC"; font-size: 18pt; text-align: center; }
table { border-collapse: collapse; width: 100%; } td, th { border: 1px solid #000; font-size: 9pt; }"""


@dataclass(frozen=True)
class ReportFile:
    fixture: str  # tests/fixtures/pages/<fixture>.html
    renames: dict[str, str]  # the fixture's agency -> the agency the seed site lists the file for
    title: str
    path: str  # under seeds/site
    url: str
    content_type: str
    date: str  # the HTTP Date of the saved response
    last_modified: str


FILES = [
    # The attachment-only report of 四平市铁东区教育局 (its page: tiedong t20210125_780413.html).
    ReportFile("004_varied", {"四平市城市管理行政执法局": "四平市铁东区教育局"},
               "四平市铁东区教育局2020年政府信息公开工作年度报告",
               "www.tiedong.gov.cn/xxgk/zfxxgknb/202101/P020210125583127615802.pdf",
               "http://www.tiedong.gov.cn/xxgk/zfxxgknb/202101/P020210125583127615802.pdf",
               "application/pdf", "Tue, 26 Jan 2021 00:41:20 GMT", "Mon, 25 Jan 2021 09:12:40 GMT"),
    # A Word file the 临朐 column links directly, sent as application/octet-stream as many portals do.
    ReportFile("006_2021_format", {"临朐县自然资源和规划局": "临朐县农业农村局"},
               "临朐县农业农村局2022年政府信息公开工作年度报告",
               "www.linqu.gov.cn/zwgk/zfxxgknb/202301/P020230119385216704223.docx",
               "http://www.linqu.gov.cn/zwgk/zfxxgknb/202301/P020230119385216704223.docx",
               "application/octet-stream", "Mon, 30 Jan 2023 01:52:39 GMT", "Thu, 19 Jan 2023 07:30:12 GMT"),
]


def document_html(spec: ReportFile) -> str:
    page = lxml_html.fromstring((FIXTURES / f"{spec.fixture}.html").read_bytes())
    container = next(found[0] for xpath in CONTAINERS if (found := page.xpath(xpath)))
    body = lxml_html.tostring(container, encoding="unicode")
    for old, new in spec.renames.items():
        body = body.replace(old, new)
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{spec.title}</title>'
            f"<style>{STYLE}</style></head><body><h1>{spec.title}</h1>{body}</body></html>")


def convert(source: Path, fmt: str, out_dir: Path) -> Path:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
                        "--infilter=HTML (StarWriter)", "--convert-to", fmt, "--outdir", str(out_dir), str(source)],
                       check=True, capture_output=True, timeout=300)
    return out_dir / f"{source.stem}.{fmt}"


def main() -> int:
    if shutil.which("soffice") is None:
        print("soffice (LibreOffice) is not installed: apt-get install libreoffice-writer fonts-noto-cjk",
              file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as work:
        for spec in FILES:
            source = Path(work) / f"{spec.fixture}.html"
            source.write_text(document_html(spec), encoding="utf-8")
            made = convert(source, spec.path.rsplit(".", 1)[1], Path(work))
            target = SITE / spec.path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(made, target)
            size = target.stat().st_size
            headers = {"Server": "nginx/1.16.1", "Date": spec.date, "Content-Type": spec.content_type,
                       "Last-Modified": spec.last_modified, "ETag": f'"63c8f1e4-{size:x}"', "Accept-Ranges": "bytes"}
            sidecar = target.with_name(target.name + ".headers.json")
            sidecar.write_text(json.dumps({"url": spec.url, "status": 200, "headers": headers}, ensure_ascii=False,
                                          indent=2) + "\n", encoding="utf-8")
            print(f"{target.relative_to(REPO)}: {size} bytes from {spec.fixture}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

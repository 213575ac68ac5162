"""What the crawl makes of an extracted page beyond the extractor's verdict on the page alone.

An attachment-only page (its text only points at the attached files) stands for a report when its title,
or the column's link to it, announces one: data-dictionary.md §2, "in the crawl, an attachment-only page and
the attached report file together form one report". It stays a report when its file cannot be had (404,
scanned, unsupported), with the page's metadata and no cells. An attached file the extractor could not read text
from is a failed page carrying the extractor's reason. A file the column links itself is a report of its own,
titled as the column lists it (the file's first lines are often only 政府信息公开工作年度报告).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from extractors import metadata
from extractors.metadata import names_a_report

if TYPE_CHECKING:
    from govcrawl.items import FetchedPage

EXTRACTED_KINDS = ("document", "attachment")


def judge(page: FetchedPage) -> bool:
    """Returns whether the judgement changed the report (its fingerprint must then be computed again)."""
    report = page.report
    if report is None:
        return False
    if page.kind == "attachment":
        if not report.text.strip():
            reasons = "; ".join(report.warnings) or "no text"
            page.error = f"attachment not readable ({report.format}): {reasons}"
        elif page.parent_kind == "list" and _full_title(page.link_text):
            report.title = page.link_text
            report.agency = report.agency or metadata.title_agency(page.link_text)
            report.report_year = report.report_year or metadata.report_year(page.link_text, "")
            return True
    elif (not report.is_report and report.text == "" and report.attachments
          and (names_a_report(report.title) or names_a_report(page.link_text))):
        report.is_report = True
        return True
    return False


def _full_title(text: str | None) -> bool:
    """A link text that is a report's whole title (columns cut long ones short with an ellipsis)."""
    return names_a_report(text) and not text.rstrip().endswith(("...", "…", "。。。"))

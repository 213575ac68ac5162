"""Report-level fields (data dictionary §2) from meta tags, the 信息索引表, the info line, the title and the text."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

from lxml import html as lxml_html

from .normalize import no_space, squash

REPORT_PHRASE = re.compile(r"(?:政府信息公开|政务公开)(?:工作)?(?:年度)?(?:报告|年报)|年度报告")
NOT_REPORT_TITLE = re.compile(r"(?:的函|复函|通知|公告|通报|意见|要点|落实情况|指南|目录|解读|征求|格式"
                              r"|模板|样表|范本)$"
                              r"|对比|比对|对照")
_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_DATE_TEXT = r"\s*[:：]?\s*((?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2})"
_PUBLISHED = re.compile(r"(?:发布日期|发布时间|公开日期|发文日期|发表时间|发布于)" + _DATE_TEXT)
# A bare 日期/时间 is the publication date only when nothing better is said, and never 成文日期 or 填报日期;
# 更新时间 only when nothing else is said (a page is updated after it is published).
_BARE_DATE = re.compile(r"(?<!成文)(?<!生成)(?<!印发)(?<!填报)(?<!更新)(?:日期|时间)" + _DATE_TEXT)
_UPDATED = re.compile(r"更新(?:日期|时间)" + _DATE_TEXT)
_SOURCE = re.compile(r"(?:信息来源|文章来源|来源)\s*[:：]\s*([^\s|:：]{2,40})")
_FILLER = re.compile(r"填报单位\s*(?:\(盖章\))?\s*[:：]\s*([^\s|]{2,40})")
_TITLE_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_PERIOD = re.compile(r"((?:19|20)\d{2})\s*年\s*1\s*月\s*(?:1\s*日)?\s*(?:起)?\s*"
                     r"(?:至|到|-|—|–|~|，?\s*截止(?:到)?)\s*(?:(?:19|20)\d{2}\s*年\s*)?12\s*月\s*(?:31\s*日)?")
_REPORT_YEAR_PHRASE = re.compile(r"((?:19|20)\d{2})\s*年度?\s*(?:政府信息公开|政务公开)(?:工作)?(?:年度)?(?:报告|年报)")
_TABLE_YEAR = re.compile(r"[(（]\s*((?:19|20)\d{2})\s*年度?\s*[)）]")
_ANY_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_ORGAN_BEFORE_YEAR = re.compile(r"^(.{2,40}?)(?:关于)?(?:19|20)\d{2}\s*年")
_INDEX_FIELDS = {
    "索引号": "index", "发布机构": "agency", "发文机关": "agency", "所属机构": "agency", "发布单位": "agency",
    "公开日期": "date", "发布日期": "date", "发文日期": "date", "生成日期": "written", "成文日期": "written",
    "名称": "title", "标题": "title", "文件名称": "title", "信息名称": "title", "来源": "source",
}
_LONG = 4 * 120  # characters without whitespace that NFKC cannot bring down to 120
_INDEX_WORDS = ("索引号", "发布机构", "公开日期")
_INDEX_LABEL = re.compile(r"^(" + "|".join(sorted(_INDEX_FIELDS, key=len, reverse=True)) + r")\s*[:：]?\s*(.*)$")
MIN_YEAR = 2007
_PREFACE = 600


def iso_date(text: str | None) -> str | None:
    if not text:
        return None
    m = _DATE.search(text)
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None


def meta_tags(root: lxml_html.HtmlElement) -> dict[str, str]:
    tags = {}
    for meta in root.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip()
        content = squash(meta.get("content") or "")
        if name and content and name.lower() not in tags:
            tags[name.lower()] = content
    return tags


def index_table(root: lxml_html.HtmlElement) -> dict[str, str]:
    """The 信息索引表 (索引号 / 发布机构 / 公开日期 / 名称) that 集约化 platforms put above an article."""
    found: dict[str, str] = {}
    # The whole text first (one C-level pass): no page without these words in it has them in one text node.
    whole = root.text_content()
    if not any(word in whole for word in _INDEX_WORDS):
        return found
    if not root.xpath('boolean(//text()[contains(., "索引号") or contains(., "发布机构") or contains(., "公开日期")])'):
        return found
    for cell in root.iter("td", "th", "li", "span", "dt", "label", "p", "div"):
        if len(cell) > 6:
            continue
        raw = cell.text_content()
        if len(raw) > _LONG and len("".join(raw.split())) > _LONG:
            continue  # a wrapper around the page: its text is far over 120 characters (squash is the cost)
        text = squash(raw)
        if not text or len(text) > 120:
            continue
        m = _INDEX_LABEL.match(text.replace(" ", "") if len(text) < 12 else text)
        if not m:
            continue
        field, value = _INDEX_FIELDS[m.group(1)], m.group(2).strip(" :：")
        if not value:
            sibling = cell.getnext()
            value = squash(sibling.text_content()) if sibling is not None else ""
        if value and field not in found and not _INDEX_LABEL.match(value):
            found[field] = value
    return found if "index" in found or len(found) >= 3 else {}


def published_date(*candidates: str | None) -> str | None:
    for pattern in (_PUBLISHED, _BARE_DATE, _UPDATED):
        for text in candidates:
            m = pattern.search(text or "")
            date = iso_date(m.group(1)) if m else None
            if date:
                return date
    return None


def source(text: str) -> str | None:
    m = _SOURCE.search(text)
    return m.group(1) if m else None


def filler_agency(text: str) -> str | None:
    for line in text.splitlines():  # line by line: the next line (a PDF table's header) is not the agency
        m = _FILLER.search(no_space(line).replace("：", ":"))
        if m:
            return m.group(1).strip("|")
    return None


def title_agency(title: str | None) -> str | None:
    if not title:
        return None
    m = _ORGAN_BEFORE_YEAR.match(no_space(title))
    organ = m.group(1).removesuffix("关于") if m else ""
    return organ if len(organ) >= 2 and not organ.startswith("关于") else None


def report_year(title: str | None, text: str, today: dt.date | None = None) -> int | None:
    """The year the report covers: title, then the 统计期限 sentence, then what the text says it reports on."""
    last = (today or dt.date.today()).year  # noqa: DTZ011 - only its year is used, as the newest a report can cover
    ok = lambda y: MIN_YEAR <= y <= last  # noqa: E731
    flat = no_space(text)
    if title:
        years = [int(y) for y in _TITLE_YEAR.findall(no_space(title)) if ok(int(y))]
        if years:
            return years[0]
    # A report names its own year up front; later mentions of "2019年度…报告" are usually last year's report.
    for pattern, scope in ((_PERIOD, flat), (_REPORT_YEAR_PHRASE, flat[:_PREFACE]), (_TABLE_YEAR, flat)):
        years = [int(y) for y in pattern.findall(scope) if ok(int(y))]
        if years:
            return Counter(years).most_common(1)[0][0]
    years = [int(y) for y in _ANY_YEAR.findall(flat) if ok(int(y))]
    if not years:
        return None
    counts = Counter(years).most_common()
    best = counts[0][1]
    return max(y for y, n in counts if n == best)


_TITLE_TAIL = re.compile(r"^(?:(?:19|20)\d{2}年度?)?(?:关于)?[政府信息公开务工作年度的]*(?:报告|年报)$")
_TITLE_HEAD = re.compile(r"(?:局|委|办|厅|府|院|会|部|室|中心|所|站|处|司|署|馆|区|县|市|州|盟|旗|镇|乡|街道"
                         r"|公司|集团|队)$|"
                         r"(?:19|20)\d{2}\s*年")
_NOT_TITLE = re.compile(r"[。，；;:：,|]|^附件|^[一二三四五六七八九十]+、")


def title_from_text(text: str) -> str | None:
    """The first short line naming a 报告, joined to the line above when the title was set over two lines
    (`某市某局` / `2020年政府信息公开工作年度报告`)."""
    previous = ""
    for line in text.splitlines()[:12]:
        s = squash(line)
        if not s:
            continue
        if "报告" in s and len(s) <= 60 and not _NOT_TITLE.search(s):
            head = previous if 2 <= len(previous) <= 40 and not _NOT_TITLE.search(previous) else ""
            if head and "报告" not in head and _TITLE_TAIL.match(no_space(s)) and _TITLE_HEAD.search(head):
                return head + s
            if len(s) >= 6:
                return s
        previous = s
    return None


def title_from_page(root: lxml_html.HtmlElement, metas: dict[str, str], index: dict[str, str]) -> str | None:
    """Meta tag or 信息索引表 first; then the page's own heading: h1 or a *title* element outside navigation,
    preferring one that the <title> repeats and that names a year (sidebars say `政府信息公开年度报告`)."""
    for candidate in (metas.get("articletitle"), index.get("title")):
        if candidate:
            return candidate
    page_title_el = root.find(".//title")
    page_title = squash(page_title_el.text_content()) if page_title_el is not None else ""
    best, best_score = None, None
    for el in root.iter("h1", "h2", "h3", "div", "td", "span", "p", "strong"):
        ident = f"{el.get('class', '')} {el.get('id', '')}".lower()
        if not (el.tag in ("h1", "h2", "h3") or "title" in ident or ident.strip() == "bt") or len(el) > 4:
            continue
        text = squash(el.text_content())
        if not (6 <= len(text) <= 80 and "报告" in text) or _in_navigation(el):
            continue
        score = (text in page_title, _TITLE_YEAR.search(text) is not None, el.tag == "h1")
        if best_score is None or score > best_score:
            best, best_score = text, score
    if best:
        return best
    parts = [p.strip() for p in re.split(r"[-_|—]+", page_title) if p.strip()]
    return next((p for p in parts if "报告" in p), None) or _emphasised_line(root)


_CENTRED = re.compile(r"text-align\s*:\s*center", re.IGNORECASE)
_BOLD = re.compile(r"font-weight\s*:\s*(?:bold|[6-9]00)", re.IGNORECASE)


def _emphasised_line(root: lxml_html.HtmlElement) -> str | None:
    """A body-only fragment's title (no <title>, no meta tags): its first centred or bold line, one naming a
    报告 first."""
    lines = []
    for el in root.iter("p", "div", "h4", "h5", "h6", "strong", "b", "span", "font", "td", "center"):
        style = el.get("style") or ""
        centred = (el.get("align") or "").lower() == "center" or _CENTRED.search(style) or el.tag == "center"
        if not (centred or el.tag in ("strong", "b") or _BOLD.search(style)) or _in_navigation(el):
            continue
        text = squash(el.text_content())
        if 6 <= len(text) <= 80 and not _NOT_TITLE.search(text):
            lines.append(text)
        if len(lines) >= 20:
            break
    return next((t for t in lines if "报告" in t or "年报" in t), lines[0] if lines else None)


_NAVIGATION = re.compile(r"nav|menu|left|side|crumb|lanmu|column|list|relat|xgwz|xglj|foot")


def _in_navigation(el: lxml_html.HtmlElement) -> bool:
    for node in (el, *el.iterancestors()):
        if _NAVIGATION.search(f"{node.get('class', '')} {node.get('id', '')}".lower()):
            return True
    return False


def names_a_report(title: str | None) -> bool:
    """Whether a title announces an annual report: how the crawl tells that an attachment-only page (whose
    own text is only a pointer to its files) stands for a report."""
    return bool(title) and not NOT_REPORT_TITLE.search(title) and REPORT_PHRASE.search(title) is not None

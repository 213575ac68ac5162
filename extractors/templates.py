"""The official statistics tables as data: canonical keys (data dictionary §3) and the labels that name them.

Labels are written as `label_core` gives them (no ordinals, no notes, no whitespace), so one entry
covers `（一）予以公开`, `1、予以公开` and a Word cell split over three spans.
"""

from __future__ import annotations

from dataclasses import dataclass

from .normalize import label_core

# Each table's key, its heading in the official template, and the generations that have it (dictionary §3).
TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "active": ("二、主动公开政府信息情况", ("2019", "2021")),
    "applications": ("三、收到和处理政府信息公开申请情况", ("2019", "2021")),
    "appeals": ("四、政府信息公开行政复议、行政诉讼情况", ("2019", "2021")),
    "legacy": ("政府信息公开情况统计表", ("pre2019",)),
}
GENERATIONS: dict[str, str] = {"pre2019": "2008-2018", "2019": "2019-2020", "2021": "2021-"}

# ---------------------------------------------------------------- table `active` (2019, 2021)

ACTIVE_ROWS: dict[str, tuple[str, ...]] = {
    "regulations": ("规章",),
    "normative_docs": ("规范性文件", "行政规范性文件"),
    "licensing": ("行政许可",),
    "other_services": ("其他对外管理服务事项",),
    "penalties": ("行政处罚",),
    "enforcement": ("行政强制",),
    "fees": ("行政事业性收费",),
    "procurement": ("政府集中采购",),
}

ACTIVE_COLS: dict[str, tuple[str, ...]] = {
    "made": ("本年新制作数量", "本年制作数量"),
    "published": ("本年新公开数量", "本年公开数量"),
    "published_total": ("对外公开总数量",),
    "items_prev_year": ("上一年项目数量",),
    "items_change": ("本年增/减", "本年增减", "本年增加/减少"),
    "decisions": ("处理决定数量", "本年处理决定数量"),
    "procurement_items": ("采购项目数量",),
    "procurement_amount": ("采购总金额",),
    "issued": ("本年制发件数",),
    "repealed": ("本年废止件数",),
    "in_force": ("现行有效件数",),
    "amount": ("本年收费金额",),
}

# The official column order of each row, used when a table's own header cannot be read.
ACTIVE_LAYOUT: dict[str, dict[str, tuple[str, ...]]] = {
    "2019": {
        "regulations": ("made", "published", "published_total"),
        "normative_docs": ("made", "published", "published_total"),
        "licensing": ("items_prev_year", "items_change", "decisions"),
        "other_services": ("items_prev_year", "items_change", "decisions"),
        "penalties": ("items_prev_year", "items_change", "decisions"),
        "enforcement": ("items_prev_year", "items_change", "decisions"),
        "fees": ("items_prev_year", "items_change"),
        "procurement": ("procurement_items", "procurement_amount"),
    },
    "2021": {
        "regulations": ("issued", "repealed", "in_force"),
        "normative_docs": ("issued", "repealed", "in_force"),
        "licensing": ("decisions",),
        "penalties": ("decisions",),
        "enforcement": ("decisions",),
        "fees": ("amount",),
    },
}

ACTIVE_UNITS = {
    "made": "件", "published": "件", "published_total": "件", "issued": "件", "repealed": "件",
    "in_force": "件", "items_prev_year": "项", "items_change": "项", "decisions": "件",
    "procurement_items": "项", "procurement_amount": "万元", "amount": "万元",
}
MONEY_COLS = {"procurement_amount", "amount"}

# ---------------------------------------------------------------- table `applications`

APPLICANT_COLS: dict[str, tuple[str, ...]] = {
    "natural_person": ("自然人",),
    "commercial": ("商业企业",),
    "research": ("科研机构",),
    "social_org": ("社会公益组织",),
    "legal_service": ("法律服务机构",),
    "other_org": ("其他",),
    "total": ("总计",),
}
APPLICANT_ORDER = tuple(APPLICANT_COLS)
APPLICATIONS_UNIT = "件"
APPLICANT_SUBTOTAL_WORDS = frozenset({"小计", "法人小计", "法人或其他组织小计", "合计"})
APPLICATION_HEADER_WORDS = {"申请人情况", "法人或其他组织", *(a for v in APPLICANT_COLS.values() for a in v)}

# Rows that head a group of numbered sub-rows: the group decides what an ambiguous sub-row means.
APPLICATION_GROUPS: dict[str, tuple[str, ...]] = {
    "results": ("本年度办理结果",),
    "denied": ("不予公开",),
    "unable": ("无法提供",),
    "not_processed": ("不予处理",),
    "other": ("其他处理",),
}

APPLICATION_ROWS: dict[str, tuple[str, ...]] = {
    "new": ("本年新收政府信息公开申请数量", "本年新收", "本年新收申请数量"),
    "carried_over": ("上年结转政府信息公开申请数量", "上年结转", "上年结转申请数量"),
    "granted": ("予以公开",),
    "partial": ("部分公开",),
    "denied.state_secret": ("属于国家秘密",),
    "denied.law_prohibited": ("其他法律行政法规禁止公开",),
    "denied.security_stability": ("危及三安全一稳定",),
    "denied.third_party": ("保护第三方合法权益",),
    "denied.internal_affairs": ("属于三类内部事务信息",),
    "denied.process_info": ("属于四类过程性信息",),
    "denied.enforcement_file": ("属于行政执法案卷",),
    "denied.admin_query": ("属于行政查询事项",),
    "unable.not_held": ("本机关不掌握相关政府信息",),
    "unable.needs_creation": ("没有现成信息需要另行制作",),
    "unable.unclear": ("补正后申请内容仍不明确",),
    "not_processed.petition": ("信访举报投诉类申请",),
    "not_processed.repeat": ("重复申请",),
    "not_processed.publication": ("要求提供公开出版物",),
    "not_processed.excessive": ("无正当理由大量反复申请",),
    "not_processed.confirmation": ("要求行政机关确认或重新出具已获取信息",),
    "other": ("其他处理",),
    "other.no_correction": ("申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",),
    "other.unpaid_fee": ("申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",),
    "total": ("总计",),
    "carried_forward": ("结转下年度继续办理", "结转下一年度继续办理"),
}
# `3.其他` under （六）其他处理 (2021) has a label too common to index: the group resolves it.
OTHER_OTHER_LABEL = "其他"
_ROWS = tuple(APPLICATION_ROWS)
APPLICATION_ROW_ORDER = {
    "2019": tuple(r for r in _ROWS if not r.startswith("other.")),
    "2021": (*_ROWS[: _ROWS.index("other.unpaid_fee") + 1], "other.other", *_ROWS[_ROWS.index("total"):]),
}
APPLICATION_ROW_ORDER["2021"] = tuple(r for r in APPLICATION_ROW_ORDER["2021"] if r != "other")

# ---------------------------------------------------------------- table `appeals`

APPEAL_ROWS: dict[str, tuple[str, ...]] = {
    "review": ("行政复议",),
    "litigation_direct": ("未经复议直接起诉",),
    "litigation_after_review": ("复议后起诉",),
}
APPEAL_COLS: dict[str, tuple[str, ...]] = {
    "upheld": ("结果维持",),
    "corrected": ("结果纠正",),
    "other": ("其他结果",),
    "pending": ("尚未审结",),
    "total": ("总计",),
}
APPEAL_HEADER_WORDS = {"行政诉讼", *(a for v in (*APPEAL_ROWS.values(), *APPEAL_COLS.values()) for a in v)}
APPEAL_ORDER = tuple((r, c) for r in APPEAL_ROWS for c in APPEAL_COLS)
APPEALS_UNIT = "件"

# ---------------------------------------------------------------- table `legacy` (pre2019)


@dataclass(frozen=True, slots=True)
class LegacyRow:
    key: str
    section: str
    labels: tuple[str, ...]
    unit: str | None


# Section heading rows: (section, key of the heading row itself, labels, unit).
LEGACY_SECTIONS: tuple[tuple[str, str, tuple[str, ...], str | None], ...] = (
    ("active", "active", ("主动公开情况",), "条"),
    ("response", "response", ("回应解读情况",), "次"),
    ("requests", "requests", ("依申请公开情况",), "件"),
    ("review", "review.total", ("行政复议数量", "行政复议数", "行政复议情况"), "件"),
    ("litigation", "litigation.total", ("行政诉讼数量", "行政诉讼数", "行政诉讼情况"), "件"),
    ("complaints", "complaints.total", ("举报投诉数量", "被举报投诉数量", "行政申诉数", "接受行政诉讼、举报数"), "件"),
    ("fees", "fees.total", ("依申请公开信息收取的费用", "政府信息公开收费减免金额", "收费减免金额"), "万元"),
    ("archives", "archives.total", ("向图书馆、档案馆等查阅场所报送信息数",), "条"),
    ("org", "org", ("机构建设和保障经费情况",), None),
    ("meetings", "meetings", ("政府信息公开会议和培训情况",), None),
)

_LEGACY_CHILDREN: dict[str, tuple[tuple[str, tuple[str, ...], str | None], ...]] = {
    "active": (
        ("active.total", ("主动公开政府信息数", "主动公开信息数", "主动公开文件数"), "条"),
        ("active.normative_docs", ("主动公开规范性文件数",), "条"),
        ("active.normative_docs_issued", ("制发规范性文件总数",), "件"),
        ("active.via", ("通过不同渠道和方式公开政府信息的情况",), "条"),
        ("active.via.gazette", ("政府公报公开政府信息数", "政府公报公开数", "政府公报公开"), "条"),
        ("active.via.website", ("政府网站公开政府信息数", "政府网站公开数", "政府网站公开", "网站公开"), "条"),
        ("active.via.weibo", ("政务微博公开政府信息数",), "条"),
        ("active.via.wechat", ("政务微信公开政府信息数",), "条"),
        ("active.via.other", ("其他方式公开政府信息数",), "条"),
    ),
    "response": (
        ("response.hot_topics", ("回应公众关注热点或重大舆情数",), "次"),
        ("response.via", ("通过不同渠道和方式回应解读的情况",), "次"),
        ("response.press_conferences", ("参加或举办新闻发布会总次数",), "次"),
        ("response.press_conferences_heads", ("主要负责同志参加新闻发布会次数",), "次"),
        ("response.online_interviews", ("政府网站在线访谈次数",), "次"),
        ("response.online_interviews_heads", ("主要负责同志参加政府网站在线访谈次数",), "次"),
        ("response.interpretations", ("政策解读稿件发布数",), "篇"),
        ("response.social_media", ("微博微信回应事件数",), "次"),
        ("response.other", ("其他方式回应事件数",), "次"),
    ),
    "requests": (
        ("requests.received", ("收到申请数", "受理政府信息依申请公开总数", "受理依申请公开信息总数", "申请总数"), "件"),
        ("requests.received.in_person", ("当面申请数",), "件"),
        ("requests.received.fax", ("传真申请数",), "件"),
        ("requests.received.online", ("网络申请数", "网上申请数"), "件"),
        ("requests.received.email", ("电子邮件申请数",), "件"),
        ("requests.received.letter", ("信函申请数",), "件"),
        ("requests.received.other", ("其他形式", "其他形式申请数", "其它形式申请数", "其它形式"), "件"),
        ("requests.closed", ("申请办结数",), "件"),
        ("requests.closed.on_time", ("按时办结数",), "件"),
        ("requests.closed.extended", ("延期办结数",), "件"),
        ("requests.answered", ("申请答复数", "对申请的答复总数", "对申请的答复数", "本年度对申请的答复总数"), "件"),
        ("requests.answered.already_public", ("属于已主动公开范围数",), "件"),
        ("requests.answered.granted", ("同意公开答复数",), "件"),
        ("requests.answered.partial", ("同意部分公开答复数",), "件"),
        ("requests.answered.denied",
         ("不同意公开答复数", "不予公开答复数", "否决公开答复数", "否决公开答复总数"), "件"),
        ("requests.answered.denied.state_secret", ("涉及国家秘密",), "件"),
        ("requests.answered.denied.trade_secret", ("涉及商业秘密",), "件"),
        ("requests.answered.denied.privacy", ("涉及个人隐私",), "件"),
        ("requests.answered.denied.security_stability", ("危及国家安全、公共安全、经济安全和社会稳定",), "件"),
        ("requests.answered.denied.not_gov_info", ("不是条例所指政府信息",), "件"),
        ("requests.answered.denied.other_law", ("法律法规规定的其他情形",), "件"),
        ("requests.answered.not_this_agency", ("不属于本行政机关公开数", "不属于本行政机关公开"), "件"),
        ("requests.answered.not_exist", ("申请信息不存在数", "申请信息不存在"), "件"),
        ("requests.answered.change_advised", ("告知作出更改补充数", "告知作出更改补充"), "件"),
        ("requests.answered.other_channel", ("告知通过其他途径办理数", "告知通过其他途径办理"), "件"),
        ("requests.answered.other", ("其他类型答复数",), "件"),
    ),
    "review": (
        ("review.upheld", ("维持具体行政行为数",), "件"),
        ("review.corrected", ("被依法纠错数", "被纠错数"), "件"),
        ("review.other", ("其他情形数",), "件"),
    ),
    "litigation": (
        ("litigation.upheld", ("维持具体行政行为或者驳回原告诉讼请求数", "维持具体行政行为数"), "件"),
        ("litigation.corrected", ("被依法纠错数", "被纠错数"), "件"),
        ("litigation.other", ("其他情形数",), "件"),
    ),
    "complaints": (
        ("complaints.upheld", ("维持具体行政行为数",), "件"),
        ("complaints.corrected", ("被纠错数", "被依法纠错数"), "件"),
        ("complaints.other", ("其他情形数",), "件"),
    ),
    "fees": (),
    "archives": (
        ("archives.paper", ("纸质文件数",), "条"),
        ("archives.electronic", ("电子文件数",), "条"),
    ),
    "org": (
        ("org.units", ("政府信息公开工作专门机构数",), "个"),
        ("org.reading_points", ("设置政府信息公开查阅点数",), "个"),
        ("org.reading_point_visitors", ("查阅点接待人数",), "人"),
        ("org.staff", ("从事政府信息公开工作人员数",), "人"),
        ("org.staff.full_time", ("专职人员数",), "人"),
        ("org.staff.part_time", ("兼职人员数",), "人"),
        ("org.budget", ("政府信息公开专项经费",), "万元"),
    ),
    "meetings": (
        ("meetings.conferences", ("召开政府信息公开工作会议或专题会议数",), "次"),
        ("meetings.trainings", ("举办各类培训班数",), "次"),
        ("meetings.trainees", ("接受培训人员数",), "人次"),
    ),
}

LEGACY_ROWS: tuple[LegacyRow, ...] = tuple(
    [LegacyRow(key, section, labels, unit) for section, key, labels, unit in LEGACY_SECTIONS]
    + [LegacyRow(key, section, labels, unit)
       for section, rows in _LEGACY_CHILDREN.items() for key, labels, unit in rows]
)
LEGACY_SECTION_KEYS = {key for _, key, _, _ in LEGACY_SECTIONS}
LEGACY_MONEY = {"fees.total", "org.budget"}

# The legacy table's value columns: 统计数 (or a year's column), and a local variant's running total.
LEGACY_COLS: dict[str, str] = {"value": "统计数", "cumulative": "历年累计"}

# Header cells of a legacy table and the column each names.
LEGACY_HEADER_COLS: dict[str, str] = {
    "统计指标": "label", "指标名称": "label", "项目": "label",
    "单位": "unit", "计量单位": "unit",
    "统计数": "value", "本年度": "value", "本期实际": "value", "本年实际": "value", "数量": "value",
    "历年累计": "cumulative", "本年累计": "cumulative", "累计": "cumulative",
    "序号": "skip", "代码": "skip",
}

# ---------------------------------------------------------------- generation markers (dictionary §1)

MARKERS_2021 = {"本年制发件数", "本年废止件数", "现行有效件数", "本年处理决定数量", "本年收费金额"}
MARKERS_2019 = {"本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "本年增/减", "采购项目数量"}
MARKERS_PRE2019 = {"统计指标", "统计数", "指标名称", "计量单位", "主动公开政府信息数", "收到申请数", "申请答复数"}


def _index(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {label_core(label): key for key, labels in table.items() for label in labels}


ACTIVE_ROW_INDEX = _index(ACTIVE_ROWS)
ACTIVE_COL_INDEX = _index(ACTIVE_COLS)
APPLICANT_COL_INDEX = _index(APPLICANT_COLS)
APPLICATION_ROW_INDEX = _index(APPLICATION_ROWS)
APPLICATION_GROUP_INDEX = _index(APPLICATION_GROUPS)
APPEAL_ROW_INDEX = _index(APPEAL_ROWS)
APPEAL_COL_INDEX = _index(APPEAL_COLS)

LEGACY_SECTION_INDEX: dict[str, str] = {label_core(label): s for s, _, labels, _ in LEGACY_SECTIONS for label in labels}
LEGACY_CHILD_INDEX: dict[tuple[str, str], LegacyRow] = {
    (row.section, label_core(label)): row
    for row in LEGACY_ROWS if row.key not in LEGACY_SECTION_KEYS for label in row.labels
}
LEGACY_SECTION_ROW: dict[str, LegacyRow] = {row.section: row for row in LEGACY_ROWS if row.key in LEGACY_SECTION_KEYS}

KNOWN_LABELS: frozenset[str] = frozenset(
    [*ACTIVE_ROW_INDEX, *ACTIVE_COL_INDEX, *APPLICANT_COL_INDEX, *APPLICATION_ROW_INDEX, *APPLICATION_GROUP_INDEX,
     *APPEAL_ROW_INDEX, *APPEAL_COL_INDEX, *APPLICATION_HEADER_WORDS, *APPEAL_HEADER_WORDS, *LEGACY_SECTION_INDEX,
     *(label for _, label in LEGACY_CHILD_INDEX), *LEGACY_HEADER_COLS, "信息内容"]
)

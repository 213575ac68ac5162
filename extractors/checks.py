"""Consistency checks (勾稽关系, data dictionary §4). A failed check is a finding; it never drops data."""

from __future__ import annotations

import re
from collections.abc import Sequence

from . import templates as T  # noqa: N812 - T.ACTIVE_ROW_INDEX: a namespace of constants
from .model import Cell, Check
from .normalize import no_space

Number = int | float

# Every rule this module can report: (statement, generations it applies to, status when the numbers disagree).
# The data dictionary (extractors.dictionary) is generated from this table.
CHECK_RULES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "applications.balance": (("new + carried_over = total + carried_forward, per column (printed in the table's "
                             "own header)"), ("2019", "2021"), "fail"),
    "applications.results_sum": (("total = granted + partial + Σdenied.* + Σunable.* + Σnot_processed.* + other "
                                 "(2019) or Σother.* (2021), per column"), ("2019", "2021"), "fail"),
    "applications.row_sum": (("total = natural_person + commercial + research + social_org + legal_service + "
                             "other_org, per row"), ("2019", "2021"), "fail"),
    "appeals.sum": ("total = upheld + corrected + other + pending, per row", ("2019", "2021"), "fail"),
    "active.published_total": ("published_total ≥ published (对外公开总数量 is a running count)", ("2019",), "warn"),
    "legacy.received_sum": ("requests.received = Σ requests.received.*", ("pre2019",), "fail"),
    "legacy.closed_sum": ("requests.closed = on_time + extended", ("pre2019",), "fail"),
    "legacy.answered_sum": ("requests.answered = Σ its numbered children", ("pre2019",), "fail"),
    "legacy.denied_sum": ("requests.answered.denied = Σ its reasons", ("pre2019",), "fail"),
    "legacy.review_sum": ("review.total = upheld + corrected + other", ("pre2019",), "fail"),
    "legacy.litigation_sum": ("litigation.total = upheld + corrected + other", ("pre2019",), "fail"),
    "legacy.staff_sum": ("org.staff = full_time + part_time", ("pre2019",), "fail"),
    "prose_vs_table": ("a figure the prose states (公开政府信息…条, 收到申请…件, 未收到申请) equals the table's cell",
                       ("pre2019", "2019", "2021"), "warn"),
    "applications.carried_over_vs_last_year": (("this year's carried_over = the same agency's carried_forward of "
                                               "the year before (made by the export and the browser, across reports)"),
                                               ("2019", "2021"), "warn"),
    "attachment_vs_page": (("a cell of the page's own table = the same cell read from the attached file of the same "
                           "report (made by the store, govcrawl.db.attachments; scope table.row.col)"),
                           ("pre2019", "2019", "2021"), "warn"),
    "attachment_vs_attachment": (("a cell read from the first attached file = the same cell of a second attached file "
                                 "(made by the store for attachment-only pages; scope table.row.col)"),
                                 ("pre2019", "2019", "2021"), "warn"),
}


def _fmt(n: Number) -> str:
    return str(round(n, 6)).removesuffix(".0") if isinstance(n, float) else str(n)


def _equation(rule: str, scope: str, left: Sequence[Number | None], right: Sequence[Number | None]) -> Check:
    if any(v is None for v in (*left, *right)):
        return Check(rule, scope, "not_assessable", "operand missing or blank")
    lhs, rhs = sum(left), sum(right)  # type: ignore[arg-type]
    ok = abs(lhs - rhs) < 1e-6
    text = f"{' + '.join(map(_fmt, left))} {'=' if ok else '≠'} {' + '.join(map(_fmt, right))}"
    return Check(rule, scope, "pass" if ok else "fail", text)


class _Values:
    def __init__(self, cells: Sequence[Cell]):
        self.present = {(c.table, c.row, c.col): c.value for c in cells}

    def has(self, table: str, row: str, col: str) -> bool:
        return (table, row, col) in self.present

    def get(self, table: str, row: str, col: str) -> Number | None:
        return self.present.get((table, row, col))


def run_checks(cells: Sequence[Cell], generation: str | None, text: str) -> list[Check]:
    values = _Values(cells)
    checks: list[Check] = []
    if generation in ("2019", "2021"):
        checks += _applications(values, generation)
        checks += _appeals(values)
        checks += _active(values)
    checks += _legacy(values)
    checks += _prose(values, text)
    return checks


def _applications(v: _Values, generation: str) -> list[Check]:
    rows = _application_rows(v, generation)
    present_rows = [r for r in rows if any(v.has("applications", r, c) for c in T.APPLICANT_ORDER)]
    if not present_rows:
        return []
    results = [r for r in rows
               if r in ("granted", "partial") or r.split(".")[0] in ("denied", "unable", "not_processed", "other")]
    out = []
    for col in T.APPLICANT_ORDER:
        def get(row: str, col: str = col) -> Number | None:
            return v.get("applications", row, col)

        out.append(_equation("applications.balance", col, [get("new"), get("carried_over")],
                             [get("total"), get("carried_forward")]))
        out.append(_equation("applications.results_sum", col, [get("total")], [get(r) for r in results]))
    for row in present_rows:
        parts = [v.get("applications", row, c) for c in T.APPLICANT_ORDER[:-1]]
        out.append(_equation("applications.row_sum", row, [v.get("applications", row, "total")], parts))
    return out


def _application_rows(v: _Values, generation: str) -> tuple[str, ...]:
    """The rows of the layout the table really has: the two generations differ only in （六）其他处理, and a
    2021 report whose table still has the single 2019 row (a hybrid) is summed with that row."""
    def has(row: str) -> bool:
        return any(v.has("applications", row, c) for c in T.APPLICANT_ORDER)

    if any(has(r) for r in T.APPLICATION_ROW_ORDER["2021"] if r.startswith("other.")):
        return T.APPLICATION_ROW_ORDER["2021"]
    return T.APPLICATION_ROW_ORDER["2019" if has("other") else generation]


def _appeals(v: _Values) -> list[Check]:
    out = []
    for row in T.APPEAL_ROWS:
        if not any(v.has("appeals", row, c) for c in T.APPEAL_COLS):
            continue
        parts = [v.get("appeals", row, c) for c in ("upheld", "corrected", "other", "pending")]
        out.append(_equation("appeals.sum", row, [v.get("appeals", row, "total")], parts))
    return out


def _active(v: _Values) -> list[Check]:
    out = []
    for row in ("regulations", "normative_docs"):
        published, total = v.get("active", row, "published"), v.get("active", row, "published_total")
        if published is not None and total is not None and total < published:
            out.append(Check("active.published_total", row, "warn",
                             f"对外公开总数量 {_fmt(total)} < 本年新公开数量 {_fmt(published)}"))
    return out


_LEGACY_SUMS = (
    ("legacy.received_sum", "requests.received", ("in_person", "fax", "online", "email", "letter", "other")),
    ("legacy.closed_sum", "requests.closed", ("on_time", "extended")),
    ("legacy.answered_sum", "requests.answered",
     ("already_public", "granted", "partial", "denied", "not_this_agency", "not_exist", "change_advised",
      "other_channel", "other")),
    ("legacy.denied_sum", "requests.answered.denied",
     ("state_secret", "trade_secret", "privacy", "security_stability", "not_gov_info", "other_law")),
    ("legacy.review_sum", "review.total", ()),
    ("legacy.litigation_sum", "litigation.total", ()),
    ("legacy.staff_sum", "org.staff", ("full_time", "part_time")),
)


def _legacy(v: _Values) -> list[Check]:
    out = []
    for rule, total, children in _LEGACY_SUMS:
        if not v.has("legacy", total, "value"):
            continue
        if total.endswith(".total"):
            prefix = total.removesuffix(".total")
            keys = [f"{prefix}.{c}" for c in ("upheld", "corrected", "other")]
        else:
            keys = [f"{total}.{c}" for c in children]
        keys = [k for k in keys if v.has("legacy", k, "value")]
        if not keys:
            continue
        out.append(_equation(rule, "value", [v.get("legacy", total, "value")],
                             [v.get("legacy", k, "value") for k in keys]))
    return out


# Figures the prose states and the cell that should say the same.
_PROSE_FIGURES = (
    (re.compile(r"(?:共|累计)?(?:主动)?公开(?:政府|各类)?信息(?:总数为|总数|共计|共)?(\d+)条"),
     (("legacy", "active.total", "value"),)),
    (re.compile(r"未收到(?:任何形式的)?(?:政府信息公开|依申请公开|信息公开)?申请"),
     (("legacy", "requests.received", "value"), ("applications", "new", "total"))),
    (re.compile(r"(?:共|累计)?(?:收到|受理)(?:政府信息公开|依申请公开)?申请(?:共计|共)?(\d+)件"),
     (("legacy", "requests.received", "value"), ("applications", "new", "total"))),
)


def _prose(v: _Values, text: str) -> list[Check]:
    prose = no_space("\n".join(line for line in text.splitlines() if "|" not in line))
    out = []
    for pattern, targets in _PROSE_FIGURES:
        m = pattern.search(prose)
        if not m:
            continue
        said = int(m.group(1)) if m.groups() else 0
        for table, row, col in targets:
            cell = v.get(table, row, col)
            if cell is None:
                continue
            scope = f"{table}.{row}.{col}"
            if cell == said:
                out.append(Check("prose_vs_table", scope, "pass",
                                 f"prose {m.group(0)!r} agrees with the table ({_fmt(cell)})"))
            else:
                out.append(Check("prose_vs_table", scope, "warn",
                                 f"prose {m.group(0)!r} says {said}, the table says {_fmt(cell)}"))
    return out


def carried_over_against_last_year(this_year: Sequence[Cell], last_year: Sequence[Cell]) -> list[Check]:
    """Soft finding across two reports of one agency: this year's 上年结转 should equal last year's 结转下年度.

    Agencies re-count, so a difference is a `warn`, never a `fail`."""
    over = {c.col: c.value for c in this_year if (c.table, c.row) == ("applications", "carried_over")}
    forward = {c.col: c.value for c in last_year if (c.table, c.row) == ("applications", "carried_forward")}
    checks = []
    for col in T.APPLICANT_ORDER:
        if col not in over or col not in forward:
            continue
        now, before = over[col], forward[col]
        if now is None or before is None:
            checks.append(Check("applications.carried_over_vs_last_year", col, "not_assessable",
                                "operand missing or blank"))
        elif now == before:
            checks.append(Check("applications.carried_over_vs_last_year", col, "pass", f"{_fmt(now)} = {_fmt(before)}"))
        else:
            checks.append(Check("applications.carried_over_vs_last_year", col, "warn",
                                f"上年结转 {_fmt(now)} ≠ last year's 结转下年度 {_fmt(before)}"))
    return checks

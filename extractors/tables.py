"""Logical rows to canonical cells (data dictionary §3): recognise each table by its labels, key every value."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher

from . import templates as T  # noqa: N812 - T.ACTIVE_ROW_INDEX: a namespace of constants
from .model import Cell
from .normalize import label_core, no_space, ordinal_kind
from .rows import Row
from .values import UNIT_WORDS, is_absurd, is_blank, parse_value

_BLOCK = re.compile(r"^第二十条第\(?[一二三四五六七八九十]+\)?项")
_YEAR_COLUMN = re.compile(r"^(?:19|20)\d{2}年度?$")
_MAX_UNMAPPED_LABEL = 40
_STATISTICAL_TABLE = 6  # figures in a table the reader found no key for: worth a warning
# Typo tolerance: labels of 6+ characters, a similarity ratio of 0.8 (one wrong character in 6, three dropped in
# 12) and a clear lead over the next key, so `本年新收…` never becomes `上年结转…`.
_FUZZY_MIN_LENGTH = 6
_FUZZY_RATIO = 0.8
_FUZZY_MARGIN = 0.1


def detect_generation(blocks: Sequence[Sequence[Row]], text: str, report_year: int | None) -> str | None:
    """Labels first, year last (data dictionary §1)."""
    cores = {label_core(cell.text) for rows in blocks for row in rows for cell in row.labels}
    if cores & T.MARKERS_2021 or "国办公开办函〔2021〕30号" in text:
        return "2021"
    if cores & T.MARKERS_2019:
        return "2019"
    app_rows = {T.APPLICATION_ROW_INDEX.get(c) for c in cores}
    if {"other.no_correction", "other.unpaid_fee"} & app_rows:
        return "2021"
    if {"new", "carried_forward"} & app_rows:
        return "2019"
    legacy_hits = sum(1 for c in cores if c in T.LEGACY_SECTION_INDEX or any(c == k[1] for k in T.LEGACY_CHILD_INDEX))
    if cores & T.MARKERS_PRE2019 or legacy_hits >= 3:
        return "pre2019"
    if report_year is None:
        return None
    return "pre2019" if report_year <= 2018 else "2019" if report_year <= 2020 else "2021"


def lookup(index: dict[str, str], core: str | None) -> str | None:
    """Exact label first; then the longest known label of four or more characters inside this one (or the
    reverse), when only one key fits — `结转下年度继续办理的申请` is still `carried_forward`."""
    if not core:
        return None
    if core in index:
        return index[core]
    fits = [(len(label), key) for label, key in index.items()
            if len(label) >= 4 and (label in core or (len(core) >= 4 and core in label))]
    if not fits:
        return _closest(index, core)
    longest = max(fits)[0]
    keys = {key for n, key in fits if n == longest}  # `其他处理1.申请人无正当理由…` is the sub-row, not its group
    return keys.pop() if len(keys) == 1 else None


def _closest(index: dict[str, str], core: str) -> str | None:
    """A long label with a typo or a dropped word (`其他法律行政止公开`): the one known label it is clearly
    closest to. Short labels never: `其他` and `总计` are one character from too much."""
    if len(core) < _FUZZY_MIN_LENGTH:
        return None
    scored = sorted(((SequenceMatcher(None, core, label).ratio(), key) for label, key in index.items()
                     if len(label) >= _FUZZY_MIN_LENGTH), reverse=True)
    if not scored or scored[0][0] < _FUZZY_RATIO:
        return None
    best, key = scored[0]
    runner_up = next((ratio for ratio, other in scored[1:] if other != key), 0.0)
    return key if best - runner_up >= _FUZZY_MARGIN else None


_SKIP = "skip"  # a column the dictionary has no key for, e.g. the 法人小计 some reports add


def _last_word(index: dict[str, str], skip: frozenset[str] = frozenset()):
    def key_of(stack: list[str]):
        for word in reversed(stack):
            if word in skip:
                return _SKIP
            if word in index:
                return index[word]
        return None
    return key_of


def _appeal_key(stack: list[str]) -> tuple[str, str] | None:
    """行政复议/结果维持 → (review, upheld); 行政诉讼/复议后起诉/总计 → (litigation_after_review, total)."""
    rows = [T.APPEAL_ROW_INDEX[w] for w in stack if w in T.APPEAL_ROW_INDEX]
    cols = [T.APPEAL_COL_INDEX[w] for w in stack if w in T.APPEAL_COL_INDEX]
    return (rows[-1], cols[-1]) if rows and cols else None


class TableReader:
    """Walks logical rows in document order, keeping the context real tables rely on:
    which table we are in, its header columns, the legacy section and the application sub-row group."""

    def __init__(self, generation: str | None):
        self.generation = generation
        self.layout_generation = generation if generation in ("2019", "2021") else "2019"
        self.cells: dict[tuple[str, str, str], Cell] = {}
        self.warnings: list[str] = []
        self.table: str | None = None
        self.header_cols: dict[int, list[str]] = {}
        self.header_seq: list[str] = []
        self.legacy_columns: list[str] | None = None
        self.legacy_section: str | None = None
        self.group: str | None = None

    # ------------------------------------------------------------ driving

    def read(self, blocks: Iterable[Sequence[Row]]) -> list[Cell]:
        for number, rows in enumerate(blocks, 1):
            self.header_cols = {}
            before = len(self.cells)
            for row in rows:
                self._row(row)
            figures = sum(1 for row in rows for v in row.values if parse_value(v.text) is not None)
            if len(self.cells) == before and figures >= _STATISTICAL_TABLE:
                first = next((c.text for row in rows for c in row.labels), "")
                self.warnings.append(f"table {number} not recognised ({figures} figures, first label {first[:30]!r})")
        return list(self.cells.values())

    def _row(self, row: Row) -> None:
        row_label = self._scan_labels(row)
        if not row.values:
            self._record_header(row)
            return
        if self.table == "active":
            self._active(row_label, row)
        elif self.table == "applications":
            self._applications(row_label, row)
        elif self.table == "appeals":
            self._appeals(row_label, row)
        elif self.table == "legacy":
            self._legacy(row_label, row)

    def _scan_labels(self, row: Row) -> str | None:
        """Update the context from the row's labels; return the core of the label that names the row."""
        row_label = None
        for position, cell in enumerate(row.labels):
            core = label_core(cell.text)
            flat = no_space(cell.text)
            if _BLOCK.match(flat):
                self._enter("active")
                continue
            if flat.startswith("(本列数据的勾稽关系") or core == "申请人情况":
                self._enter("applications")
                continue
            if core in ("行政复议", "行政诉讼", "未经复议直接起诉", "复议后起诉") and self.table != "appeals":
                self._enter("appeals")
            if T.LEGACY_HEADER_COLS.get(core) == "label":
                self._enter("legacy")
                self.legacy_columns = self._legacy_header([label_core(c.text) for c in row.labels[position + 1 :]])
                continue
            if core == "信息内容":
                self.header_seq = []
                continue
            if core in T.LEGACY_SECTION_INDEX and self.table in (None, "legacy"):
                self._enter("legacy")
            if core in T.APPLICATION_ROW_INDEX and self.table in (None, "active") and core not in ("总计", "其他处理"):
                self._enter("applications")
            if core in T.ACTIVE_ROW_INDEX and self.table != "active":
                self._enter("active")
            if self.table == "applications":
                if core in T.APPLICATION_GROUP_INDEX and position < len(row.labels) - 1:
                    self.group = T.APPLICATION_GROUP_INDEX[core]
                elif core == T.OTHER_OTHER_LABEL and ordinal_kind(cell.text) == "paren":
                    self.group = "other"
            if self.table == "active" and row.values and core in T.ACTIVE_COL_INDEX:
                self.header_seq.append(core)
            elif (self.table == "active" and row.values and core not in T.ACTIVE_ROW_INDEX
                  and position < len(row.labels) - 1):
                self.header_seq.append(core)  # an unreadable header cell still holds its column's place
            row_label = core
        return row_label

    def _enter(self, table: str) -> None:
        if table != self.table or table == "active":
            self.header_cols = {}
            self.header_seq = []
            self.group = None
        self.table = table

    def _record_header(self, row: Row) -> None:
        for cell in row.labels:
            if cell.col is not None:
                for col in range(cell.col, cell.col + cell.span):
                    self.header_cols.setdefault(col, []).append(label_core(cell.text))
        if self.table == "active" and all(c.col is None for c in row.labels):
            self.header_seq = [label_core(c.text) for c in row.labels if label_core(c.text) in T.ACTIVE_COL_INDEX]

    def _put(self, table: str, row: str, col: str, raw: str, unit: str | None, *, money: bool = False,
             stated_unit: str | None = None) -> None:
        key = (table, row, col)
        if key in self.cells and not (is_blank(self.cells[key].raw) and not is_blank(raw)):
            if self.cells[key].raw != raw:
                self.warnings.append(
                    f"duplicate cell {table}.{row}.{col}: kept {self.cells[key].raw!r}, ignored {raw!r}")
            return
        if is_absurd(raw):
            self.warnings.append(f"cell {table}.{row}.{col}: {raw[:30]}… ({len(raw)} characters) is not a sane number: "
                                 "kept raw, value null")
        self.cells[key] = Cell(table, row, col, parse_value(raw, money=money, unit=stated_unit), raw, unit)

    def _header_keys(self, row: Row, key_of) -> list[tuple] | None:
        """Key each value by the header words stacked above its column (`key_of(stack)`); None when a filled
        value has no readable header or two values claim one key, so the caller falls back to the official order."""
        keyed, seen = [], set()
        for value in row.values:
            key = key_of(self.header_cols.get(value.col, []) if value.col is not None else [])
            if key is _SKIP:
                continue
            if key is None or key in seen:
                if is_blank(value.text):
                    continue
                return None
            seen.add(key)
            keyed.append((key, value.text))
        return keyed or None

    # ------------------------------------------------------------ tables

    def _active(self, label: str | None, row: Row) -> None:
        key = lookup(T.ACTIVE_ROW_INDEX, label)
        if key is None:
            return
        allowed = {c for layout in T.ACTIVE_LAYOUT.values() for c in layout.get(key, ())}
        layout = T.ACTIVE_LAYOUT[self.layout_generation].get(key) or T.ACTIVE_LAYOUT["2019"].get(key, ())
        keyed = self._header_keys(row, _last_word(T.ACTIVE_COL_INDEX))
        if keyed is None and self.header_seq and all(h in T.ACTIVE_COL_INDEX for h in self.header_seq):
            keyed = [(T.ACTIVE_COL_INDEX[h], v.text) for h, v in zip(self.header_seq, row.values, strict=False)]
        if keyed is None or any(col not in allowed for col, _ in keyed):
            keyed = list(zip(layout, (v.text for v in row.values), strict=False))
        for col, raw in keyed:
            self._put("active", key, col, raw, T.ACTIVE_UNITS[col], money=col in T.MONEY_COLS)

    def _applications(self, label: str | None, row: Row) -> None:
        key = lookup(T.APPLICATION_ROW_INDEX, label)
        if label == T.OTHER_OTHER_LABEL:
            # `3.其他` is the 2021 sub-row even where the （六） group label was lost (PDF text); `（六）其他` is
            # the single row some reports write instead of `（六）其他处理`.
            numbered = bool(row.labels) and ordinal_kind(row.labels[-1].text) == "digit"
            key = "other.other" if self.group == "other" or numbered else "other"
        if key is None:
            if label:
                self.warnings.append(f"applications row not recognised: {label}")
            return
        heading = T.APPLICATION_GROUP_INDEX.get(label or "")
        if (heading and all(is_blank(v.text) for v in row.values)
                and (heading != "other" or self.layout_generation == "2021")):
            self.group = heading  # a group heading on a row of its own, its cells left empty
            return
        if key in ("new", "carried_over", "total", "carried_forward", "granted", "partial"):
            self.group = None
        keyed = self._header_keys(row, _last_word(T.APPLICANT_COL_INDEX, T.APPLICANT_SUBTOTAL_WORDS))
        if keyed is None:
            values = [v.text for v in row.values]
            if len(values) >= 8 and not is_blank(values[7]):
                del values[6]  # an 8th figure is the 法人小计 column before 总计
            keyed = list(zip(T.APPLICANT_ORDER, values, strict=False))
        for col, raw in keyed:
            self._put("applications", key, col, raw, "件")

    def _appeals(self, label: str | None, row: Row) -> None:
        row_key = T.APPEAL_ROW_INDEX.get(label or "")
        if row_key is not None and len(row.values) <= len(T.APPEAL_COLS) + 1:
            for col, value in zip(T.APPEAL_COLS, row.values, strict=False):
                self._put("appeals", row_key, col, value.text, "件")
            return
        keyed = self._header_keys(row, _appeal_key)
        if keyed is None:
            values = [v.text for v in row.values]
            while values and is_blank(values[0]) and len(values) > len(T.APPEAL_ORDER):
                values.pop(0)  # padding of the header row above, in flattened text
            keyed = list(zip(T.APPEAL_ORDER, values, strict=False))
        for (r, c), raw in keyed:
            self._put("appeals", r, c, raw, "件")

    # ------------------------------------------------------------ legacy

    @staticmethod
    def _legacy_header(cores: list[str]) -> list[str]:
        columns = []
        for core in cores:
            kind = T.LEGACY_HEADER_COLS.get(core) or ("value" if _YEAR_COLUMN.match(core) else None)
            if kind is None or kind == "label":
                break
            columns.append(kind)
        return columns

    def _legacy(self, label: str | None, row: Row) -> None:
        if not label:
            return
        entry = self._legacy_row(label)
        if entry is not None:
            key, unit = entry.key, entry.unit
        elif self._worth_keeping(label, row):
            key, unit = f"unmapped.{label}", None
        else:
            return
        for kind, raw in self._legacy_columns(row):
            if kind == "unit":
                if raw in UNIT_WORDS:
                    unit = raw
                continue
            money = key in T.LEGACY_MONEY or unit in ("万元", "元")
            self._put("legacy", key, kind, raw, "万元" if money else unit, money=money, stated_unit=unit)

    @staticmethod
    def _worth_keeping(label: str, row: Row) -> bool:
        """An unknown row is data when it holds a figure; `填报人：…` form lines are not."""
        return (
            len(label) <= _MAX_UNMAPPED_LABEL
            and ":" not in label
            and not _YEAR_COLUMN.match(label)
            and any(not is_blank(v.text) and v.text not in UNIT_WORDS for v in row.values)
        )

    def _legacy_columns(self, row: Row) -> list[tuple[str, str]]:
        values = [v.text for v in row.values]
        columns = self.legacy_columns
        if not columns:
            has_unit = bool(values) and (values[0] in UNIT_WORDS or (values[0] == "" and len(values) > 1))
            columns = ["unit", "value", "cumulative"] if has_unit else ["value", "cumulative"]
        pairs = [(kind, raw) for kind, raw in zip(columns, values, strict=False) if kind != "skip"]
        if not any(kind == "value" for kind, _ in pairs):
            pairs.append(("value", ""))
        return pairs

    def _legacy_row(self, core: str) -> T.LegacyRow | None:
        section = T.LEGACY_SECTION_INDEX.get(core)
        if section is not None:
            self.legacy_section = section
            return T.LEGACY_SECTION_ROW[section]
        if self.legacy_section and (self.legacy_section, core) in T.LEGACY_CHILD_INDEX:
            return T.LEGACY_CHILD_INDEX[(self.legacy_section, core)]
        elsewhere = [row for (s, label), row in T.LEGACY_CHILD_INDEX.items() if label == core]
        if len({row.key for row in elsewhere}) == 1:
            self.legacy_section = elsewhere[0].section
            return elsewhere[0]
        if self.legacy_section:
            near = [row for (s, label), row in T.LEGACY_CHILD_INDEX.items()
                    if s == self.legacy_section and len(label) >= 4 and (label in core or core in label)]
            if len({row.key for row in near}) == 1:
                return near[0]
        return None

"""Text normalisation shared by every stage: NFKC, whitespace, and the label core used for matching."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACE = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")
_ORDINAL = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.]|\(?[一二三四五六七八九十]+\)[、.]?|\(?\d{1,2}\)|\d{1,2}[、.](?!\d)|其中[:,]?|[●•·\-])"
)
_PAREN = re.compile(r"\([^()]*\)")
_OPEN_PAREN_TAIL = re.compile(r"\([^()]*$")
# Reports write the same label with `、`, `，` or nothing between its clauses.
_PUNCTUATION = re.compile(r"[:;,.、。!?·…\s]")
_QUOTES = str.maketrans("", "", "\"'“”‘’「」《》<>")


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def squash(text: str) -> str:
    """NFKC, runs of whitespace folded to one space, trimmed."""
    return _SPACE.sub(" ", nfkc(text)).strip()


def no_space(text: str) -> str:
    return _SPACE.sub("", nfkc(text))


@lru_cache(maxsize=8192)  # table labels repeat on every page of a template: read each once per process
def label_core(label: str) -> str:
    """The part of a table label that names the thing: no whitespace, ordinals, `其中：`, notes or quotes.

    `（二）部分公开（区分处理的，只计这一情形）` and `2、部分公开` both give `部分公开`.
    """
    core = no_space(label).translate(_QUOTES).replace("：", ":")
    for _ in range(3):
        stripped = _ORDINAL.sub("", core)
        if stripped == core:
            break
        core = stripped
    while True:
        stripped = _PAREN.sub("", core)
        if stripped == core:
            break
        core = stripped
    core = _OPEN_PAREN_TAIL.sub("", core)
    return _PUNCTUATION.sub("", core)


def ordinal_kind(label: str) -> str | None:
    """`chinese` for 一、, `paren` for （一）, `digit` for 1. / 1、 — the level a row sits at."""
    s = no_space(label)
    if re.match(r"^[一二三四五六七八九十]+[、.]", s):
        return "chinese"
    if re.match(r"^\(?[一二三四五六七八九十]+\)", s):
        return "paren"
    if re.match(r"^\d{1,2}[、.](?!\d)", s):
        return "digit"
    return None

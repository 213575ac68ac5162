"""Bytes to text, trusting the page over the server (servers send ISO-8859-1 or utf-8 for GBK pages)."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_META = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_HEADER = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-:.]+)", re.IGNORECASE)
# GB2312 and GBK pages routinely hold characters only GB18030 has (喆, 昇, 镕): decode them as its superset.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030", "cp936": "gb18030",
              "big5": "big5hkscs", "ascii": "utf-8", "us-ascii": "utf-8"}
_WEAK_HEADER = {"iso8859-1", "latin-1", "cp1252", "iso-8859-1", "windows-1252"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class DecodeError(ValueError):
    """The bytes are not a text page (binary, or nothing to read)."""


def canonical(name: str | None) -> str | None:
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None
    return _SUPERSETS.get(codec, _SUPERSETS.get(name.strip().lower(), codec))


def header_charset(headers: dict[str, str] | None) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == "content-type" and value:
            m = _HEADER.search(value)
            return m.group(1) if m else None
    return None


def decode(body: bytes, headers: dict[str, str] | None = None,
           encoding: str | None = None) -> tuple[str, str, list[str]]:
    """Return (text, encoding used, warnings). Order: caller's encoding, BOM, <meta charset>, HTTP header, detection."""
    if not body or not body.strip():
        raise DecodeError("empty input")
    warnings: list[str] = []
    if encoding:
        chosen = canonical(encoding)
        if chosen is None:
            raise DecodeError(f"unknown encoding {encoding!r}")
        return _finish(body, chosen, warnings)
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return _finish(body, codec, warnings)
    if b"\x00" in body[:4096]:
        raise DecodeError("binary content (NUL bytes), not a text page")
    meta = _META.search(body[:8192])
    declared = canonical(meta.group(1).decode("ascii", "replace")) if meta else None
    from_header = canonical(header_charset(headers))
    if declared and from_header and declared != from_header:
        warnings.append(f"HTTP header says {from_header}, page says {declared}: trusted the page")
    if declared is None and from_header and from_header not in _WEAK_HEADER:
        declared = from_header
    if declared and _decodes(body, declared):
        return _finish(body, declared, warnings)
    if _decodes(body, "utf-8"):
        return _finish(body, "utf-8", warnings)
    guess = from_bytes(body[:65536]).best()
    chosen = canonical(guess.encoding) if guess else None
    if chosen is None or chosen == "utf-8":
        chosen = "gb18030" if _decodes(body, "gb18030") else (declared or "utf-8")
    if declared and chosen != declared:
        warnings.append(f"declared encoding {declared} does not decode the page: used {chosen}")
    else:
        warnings.append(f"encoding guessed: {chosen}")
    return _finish(body, chosen, warnings)


def _decodes(body: bytes, codec: str) -> bool:
    try:
        body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _finish(body: bytes, codec: str, warnings: list[str]) -> tuple[str, str, list[str]]:
    text = body.decode(codec, errors="replace")
    bad = text.count("\ufffd")
    if bad:
        warnings.append(f"{bad} byte sequence(s) not valid {codec}: replaced with U+FFFD")
        if bad > max(16, len(text) // 20):
            raise DecodeError(f"not text: {bad} of {len(text)} characters undecodable as {codec}")
    controls = len(_CONTROL.findall(text, 0, 65536))
    if controls > max(16, min(len(text), 65536) // 50):
        raise DecodeError("binary content (control bytes), not a text page")
    return text.lstrip("\ufeff"), codec, warnings

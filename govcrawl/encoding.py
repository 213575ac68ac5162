"""Which charset a page's bytes are in. Portals often send a wrong or default charset header (ISO-8859-1
for a GBK page), so a latin-1-family header never outranks the page's own <meta> declaration."""

from __future__ import annotations

import codecs
import re

META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-:.]+)", re.IGNORECASE)
DEFAULTISH = {"iso8859-1", "latin-1", "cp1252", "ascii"}
# Declared names -> the decoder that reads what portals actually send under that name.
SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030"}
BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class UndecodableBody(ValueError):
    pass


def _codec(name: str | bytes | None) -> str | None:
    if not name:
        return None
    if isinstance(name, bytes):
        name = name.decode("ascii", "ignore")
    name = name.strip().lower()
    name = SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def detect_encoding(body: bytes, content_type: str | None) -> str:
    """The codec that decodes `body` strictly, trying BOM, a specific header charset, <meta>, a default-ish
    header charset, then UTF-8 and GB18030. Raises UndecodableBody naming what was tried."""
    candidates: list[str] = []
    for bom, name in BOMS:
        if body.startswith(bom):
            candidates.append(name)
    header = _codec(HEADER_CHARSET.search(content_type).group(1)) if content_type and HEADER_CHARSET.search(
        content_type) else None
    meta_match = META_CHARSET.search(body[:4096])
    meta = _codec(meta_match.group(1)) if meta_match else None
    if header and header not in DEFAULTISH:
        candidates.append(header)
    if meta:
        candidates.append(meta)
    candidates += ["utf-8", "gb18030"]
    if header and header in DEFAULTISH:
        candidates.append(header)
    tried = []
    for name in dict.fromkeys(candidates):
        try:
            body.decode(name)
        except UnicodeDecodeError as exc:
            tried.append(f"{name} ({exc.reason} at byte {exc.start})")
            continue
        return name
    raise UndecodableBody("undecodable body: no charset decodes it; tried " + ", ".join(tried))

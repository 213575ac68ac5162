"""Office Open XML packages (DOCX, XLSX) opened safely: bounded sizes, no zip bombs, no DTDs, no entities.

Every part is read here once, with its size checked against both what the ZIP declares and what actually
comes out, before any parser sees it; a part with a DOCTYPE is refused (OOXML never carries one, and it is the
door for billion-laughs and external-entity attacks), and the XML parser resolves no entities and fetches
nothing.
"""

from __future__ import annotations

import io
import zipfile
import zlib

from lxml import etree

from .document import ExtractError

MAX_PART = 64 * 1024 * 1024  # a report's document.xml is a few MB; 64 MB of XML is already absurd
MAX_TOTAL = 128 * 1024 * 1024  # media included; each extraction worker holds at most this
MAX_RATIO = 200  # XML deflates 5-30x; a 1000x member is a bomb
MAX_MEMBERS = 5000

XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             huge_tree=False, remove_comments=True, remove_pis=True)


def open_package(body: bytes, name: str, wanted: frozenset[str] | None = None) -> dict[str, bytes]:
    """The package's members by name (only those `wanted`, when given), each checked; `name` (DOCX, XLSX) names
    the file in errors. Members not wanted are never inflated: their declared sizes still count."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ExtractError(f"{name} file is truncated or corrupt (not a readable ZIP package: {exc})") from None
    if len(members) > MAX_MEMBERS:
        raise ExtractError(f"{name} file holds {len(members)} parts: refused as a zip bomb")
    declared = sum(m.file_size for m in members)
    if declared > MAX_TOTAL:
        raise ExtractError(f"{name} file declares {declared} bytes uncompressed: refused as a zip bomb")
    parts: dict[str, bytes] = {}
    total = 0
    for member in members:
        if member.is_dir() or (wanted is not None and member.filename not in wanted):
            continue
        _check_ratio(member, name)
        data = _read_bounded(archive, member, name)
        total += len(data)
        if total > MAX_TOTAL:
            raise ExtractError(f"{name} file expands past {MAX_TOTAL} bytes: refused as a zip bomb")
        if member.filename.endswith((".xml", ".rels")) and (b"<!DOCTYPE" in data or b"<!doctype" in data):
            raise ExtractError(f"{name} file: part {member.filename} declares a DOCTYPE (entity expansion refused)")
        parts[member.filename] = data
    return parts


def member_names(body: bytes) -> list[str]:
    """The names in the package's directory."""
    try:
        return zipfile.ZipFile(io.BytesIO(body)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return []


def _check_ratio(member: zipfile.ZipInfo, name: str) -> None:
    if member.file_size > MAX_PART:
        raise ExtractError(
            f"{name} file: part {member.filename} declares {member.file_size} bytes: refused as a zip bomb")
    if member.compress_size and member.file_size > 1024 * 1024 and member.file_size / member.compress_size > MAX_RATIO:
        ratio = member.file_size // member.compress_size
        raise ExtractError(f"{name} file: part {member.filename} expands {ratio}x: refused as a zip bomb")


def _read_bounded(archive: zipfile.ZipFile, member: zipfile.ZipInfo, name: str) -> bytes:
    """The member's bytes, never more than MAX_PART even when its header lies about its size."""
    try:
        with archive.open(member) as stream:
            data = stream.read(MAX_PART + 1)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
        raise ExtractError(f"{name} file is truncated or corrupt (part {member.filename}: {exc})") from None
    if len(data) > MAX_PART:
        raise ExtractError(f"{name} file: part {member.filename} expands past {MAX_PART} bytes: refused as a zip bomb")
    return data


def parse_xml(data: bytes, part: str, name: str) -> etree._Element:
    try:
        return etree.fromstring(data, XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise ExtractError(f"{name} file is corrupt (part {part}: {exc})") from None


def rebuild(parts: dict[str, bytes]) -> bytes:
    """The checked parts as a fresh ZIP (for libraries that want a file: nothing unchecked reaches them)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for filename, data in parts.items():
            archive.writestr(filename, data)
    return out.getvalue()

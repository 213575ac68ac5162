"""What a file is, from its own bytes: never from its name or the server's Content-Type.

Portals send PDFs as `application/octet-stream`, `text/html` or `application/x-download` and name Word files
`.pdf`; only the signature at the start of the bytes (or the names inside a ZIP or OLE2 container) says what
a file is.
"""

from __future__ import annotations

import io
import struct
import zipfile

from xlrd.compdoc import CompDoc, CompDocError

from .document import ExtractError

# Human names for warnings, keyed by the format code a Report carries.
NAMES = {
    "pdf": "PDF file", "docx": "DOCX file", "xlsx": "XLSX file", "doc": "DOC file", "wps": "WPS file",
    "xls": "XLS file",
    "et": "ET file (WPS spreadsheet)", "ofd": "OFD file", "pptx": "PPTX file", "odf": "OpenDocument file",
    "zip": "ZIP archive", "rar": "RAR archive",
    "7z": "7z archive", "ole2": "OLE2 compound file", "png": "PNG image", "jpeg": "JPEG image", "gif": "GIF image",
    "tiff": "TIFF image", "bmp": "BMP image", "webp": "WebP image",
}
IMAGES = frozenset({"png", "jpeg", "gif", "tiff", "bmp", "webp"})

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PREFIXES = (
    (b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"), (_OLE2, "ole2"), (b"Rar!\x1a\x07", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"), (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"), (b"GIF87a", "gif"),
    (b"GIF89a", "gif"), (b"II*\x00", "tiff"), (b"MM\x00*", "tiff"),
)
# Kingsoft Office writes these into the OLE2 files it saves (.wps / .et are otherwise Word / Excel binaries).
_KINGSOFT = (b"KSOProductBuildVer", b"K\x00S\x00O\x00P\x00r\x00o\x00d\x00u\x00c\x00t\x00", b"WpsCustomData",
             b"W\x00p\x00s\x00C\x00u\x00s\x00t\x00o\x00m\x00")


def sniff(body: bytes) -> str:
    """The format code of `body`: one of NAMES, or `text` for anything else (HTML or plain text). Raises
    ExtractError for an OLE2 file (DOC, WPS, XLS) whose directory is unreadable: truncated or corrupt."""
    if b"%PDF-" in body[:1024]:
        return "pdf"
    for prefix, kind in _PREFIXES:
        if body.startswith(prefix):
            return _zip_kind(body) if kind == "zip" else _ole2_kind(body) if kind == "ole2" else kind
    if body[:2] == b"BM" and len(body) > 26 and body[6:10] == b"\x00\x00\x00\x00":
        return "bmp"
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "webp"
    return "text"


def _zip_kind(body: bytes) -> str:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(body)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        # A truncated DOCX has lost its central directory: the first member's local header still names it.
        head = body[:4096]
        return "docx" if b"word/" in head else "xlsx" if b"xl/" in head else "zip"
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "OFD.xml" in names or "ofd.xml" in {n.lower() for n in names}:
        return "ofd"
    if "ppt/presentation.xml" in names:
        return "pptx"
    if "mimetype" in names and "content.xml" in names:
        return "odf"
    return "zip"


def _ole2_kind(body: bytes) -> str:
    try:
        streams = {entry.name for entry in CompDoc(body, logfile=io.StringIO()).dirlist}
    except (CompDocError, IndexError, ValueError, EOFError, KeyError, AssertionError, struct.error) as exc:
        raise ExtractError(
            f"OLE2 file (DOC, WPS or XLS) is truncated or corrupt ({type(exc).__name__}: {exc})") from None
    if "EncryptedPackage" in streams:  # ECMA-376 encryption: the DOCX/XLSX is sealed inside an OLE2 file
        raise ExtractError("Office file is encrypted (password-protected): it cannot be read without the password")
    kingsoft = any(marker in body for marker in _KINGSOFT)
    if "WordDocument" in streams:
        return "wps" if kingsoft else "doc"
    if {"Workbook", "Book"} & streams:
        return "et" if kingsoft else "xls"
    if {"CONTENTS", "MatOST"} <= streams:  # Microsoft Works / old Kingsoft word processor
        return "wps"
    return "ole2"

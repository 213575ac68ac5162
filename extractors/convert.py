"""Binary Word (DOC) and Kingsoft WPS files, through LibreOffice headless converted to DOCX, then read by the
DOCX reader. No maintained Python library reads Word 97 tables with their merged cells; LibreOffice does.

Each conversion runs in its own temporary directory with a private LibreOffice profile (a shared profile lets
two conversions block each other, and the user's own profile must never be touched), under a timeout, and
everything it wrote is removed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from .document import Document, ExtractError
from .docx import read_docx

TIMEOUT_SECONDS = 120
_WORD_STREAM = "WordDocument".encode("utf-16-le")  # the OLE2 directory entry of a Word 97 binary
NOT_INSTALLED = "LibreOffice (soffice) is not installed, cannot convert; the file is kept"


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def read_word97(body: bytes, *, kind: str) -> Document:
    """A Document from DOC or WPS bytes; without LibreOffice, an empty Document whose warning says so."""
    name = kind.upper()
    program = soffice()
    if program is None:
        return Document(kind, "", warnings=[f"{name} file: {NOT_INSTALLED}"])
    with tempfile.TemporaryDirectory(prefix="govcrawl-soffice-") as work:
        # Kingsoft .wps files are Word 97 binaries: named .doc so LibreOffice does not try its MS Works filter.
        suffix = "doc" if _WORD_STREAM in body else kind
        source = Path(work, f"input.{suffix}")
        source.write_bytes(body)
        command = [program, f"-env:UserInstallation={Path(work, 'profile').as_uri()}", "--headless", "--norestore",
                   "--nolockcheck", "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(Path(work, "out")),
                   str(source)]
        _run(command, name, work)
        converted = Path(work, "out", "input.docx")
        if not converted.exists():
            raise ExtractError(f"{name} file is corrupt or unreadable: LibreOffice could not convert it")
        return read_docx(converted.read_bytes(), kind=kind)


def _run(command: list[str], name: str, work: str) -> None:
    # A new session so that the whole group (the soffice script, soffice.bin and what it started) can be ended;
    # HOME in the temporary directory so that nothing lands in the worker's home either.
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                               env={**os.environ, "HOME": work})
    try:
        process.wait(timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise ExtractError(
            f"{name} file: LibreOffice did not finish converting it within {TIMEOUT_SECONDS} s") from None
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # our own group only: nothing of it may outlive the conversion
        process.wait()

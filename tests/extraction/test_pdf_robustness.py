"""Mutated PDF bytes never escape as an unexpected exception: a Report, or ExtractError naming the cause."""

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors import ExtractError, Report, extract

PDFS = Path(__file__).resolve().parent.parent / "fixtures" / "pdf"
REAL_PDFS = [(PDFS / f"{name}.pdf").read_bytes() for name in ("006_2021", "000_pre2019", "bad_scanned")]


def _survives(body: bytes) -> None:
    """Through the one entry point, as the crawler calls it: the signature picks the PDF reader."""
    try:
        report = extract(body, headers={"Content-Type": "application/octet-stream"})
    except ExtractError as exc:
        assert str(exc)  # noqa: PT017 - raising is allowed, not required: the message must say why
        return
    assert isinstance(report, Report)
    json.dumps(report.to_dict(), ensure_ascii=False)


@st.composite
def mutated_pdfs(draw):
    body = bytearray(draw(st.sampled_from(REAL_PDFS)))
    for _ in range(draw(st.integers(1, 5))):
        op = draw(st.sampled_from(["truncate", "flip", "delete", "insert", "duplicate"]))
        at = draw(st.integers(0, max(len(body) - 1, 0)))
        if op == "truncate":
            del body[at:]
        elif op == "flip" and body:
            body[at] = draw(st.integers(0, 255))
        elif op == "delete":
            del body[at : at + draw(st.integers(1, 5000))]
        elif op == "insert":
            body[at:at] = draw(st.sampled_from([
                b"endobj", b"stream\n", b"endstream", b"/Length 999999999", b"xref\n0 1\n", b"trailer<</Root 1 0 R>>",
                b"%%EOF", b"\x00" * 64, b"/Type /Page", b"BT /F1 12 Tf (x) Tj ET", b"0 0 m 100 0 l S", b"<<", b">>"]))
        elif op == "duplicate":
            body[at:at] = body[at : at + draw(st.integers(1, 4000))]
    return bytes(body)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_pdfs())
def test_mutated_pdfs(body):
    _survives(body)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000))
def test_random_bytes_after_a_pdf_header(body):
    _survives(b"%PDF-1.7\n" + body)

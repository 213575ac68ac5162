"""PDF extraction speed on the PDF fixtures: the full extraction (PDFium characters and rules, tables, canonical
cells, checks) against pdfplumber's `extract_text()` alone on the same files.

    python benchmarks/pdf_bench.py [--rounds N]

CPU time (time.process_time), the two sides alternating round by round so both see the same machine load.
Prints ms per PDF page for each, their ratio and the process's peak memory; the last line is machine-readable.
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import time
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractors.core import from_document
from extractors.pdf import read_pdf

PDFS = sorted(p for p in (ROOT / "tests" / "fixtures" / "pdf").glob("*.pdf") if not p.name.startswith("bad_"))


def full_extraction(body: bytes) -> None:
    from_document(read_pdf(body), None)


def pdfplumber_text(body: bytes) -> None:
    with pdfplumber.open(io.BytesIO(body)) as pdf:
        for page in pdf.pages:
            page.extract_text()


def cpu_ms(fn, body: bytes) -> float:
    start = time.process_time()
    fn(body)
    return (time.process_time() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    bodies = [p.read_bytes() for p in PDFS]
    pages = []
    for body in bodies:
        pdf = pdfium.PdfDocument(body)
        pages.append(len(pdf))
        pdf.close()
    for body in bodies:  # warm-up: imports and caches on both sides
        full_extraction(body)
        pdfplumber_text(body)
    full = [0.0] * len(bodies)
    plumber = [0.0] * len(bodies)
    for round_ in range(args.rounds):
        for i, body in enumerate(bodies):
            if round_ % 2 == 0:
                full[i] += cpu_ms(full_extraction, body)
                plumber[i] += cpu_ms(pdfplumber_text, body)
            else:
                plumber[i] += cpu_ms(pdfplumber_text, body)
                full[i] += cpu_ms(full_extraction, body)
    total_pages = sum(pages) * args.rounds
    print(f"{len(bodies)} PDFs, {sum(pages)} pages, {args.rounds} rounds (CPU time)")
    for path, n, f, p in zip(PDFS, pages, full, plumber, strict=True):
        per = n * args.rounds
        print(f"  {path.name:44} {n} pages  full {f / per:6.1f} ms/page  pdfplumber {p / per:6.1f} ms/page  "
              f"ratio {f / p:5.2f}")
    full_ms = sum(full) / total_pages
    plumber_ms = sum(plumber) / total_pages
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"full extraction {full_ms:.1f} ms/page; pdfplumber extract_text {plumber_ms:.1f} ms/page; "
          f"peak RSS {peak_rss_mb:.0f} MB")
    print(f"pdf_ratio={full_ms / plumber_ms:.2f} full_ms_per_page={full_ms:.1f} "
          f"pdfplumber_ms_per_page={plumber_ms:.1f} peak_rss_mb={peak_rss_mb:.0f}")


if __name__ == "__main__":
    main()

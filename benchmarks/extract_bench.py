"""Extraction speed on the rendered portal pages: full `extract` against `trafilatura.extract` on the whole page.

    python benchmarks/extract_bench.py [--rounds N]

Prints ms/page for each, their ratio and the process's peak memory; the last line is machine-readable.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import trafilatura

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractors import extract  # noqa: E402
from extractors.decode import decode  # noqa: E402

PAGES = sorted((ROOT / "tests" / "fixtures" / "pages").glob("*.html"))


def per_page_ms(fn, bodies: list[bytes], rounds: int) -> float:
    for body in bodies:  # warm-up: imports, lxml and trafilatura caches
        fn(body)
    start = time.perf_counter()
    for _ in range(rounds):
        for body in bodies:
            fn(body)
    return (time.perf_counter() - start) * 1000 / (rounds * len(bodies))


def trafilatura_whole_page(body: bytes) -> None:
    text, _, _ = decode(body)  # trafilatura gets the same correctly decoded page
    trafilatura.extract(text, include_tables=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    bodies = [p.read_bytes() for p in PAGES]
    print(f"{len(bodies)} pages, {sum(map(len, bodies)) / 1024:.0f} KiB, {args.rounds} rounds")
    for path, body in zip(PAGES, bodies):
        full = per_page_ms(extract, [body], max(args.rounds // 4, 1))
        traf = per_page_ms(trafilatura_whole_page, [body], max(args.rounds // 4, 1))
        print(f"  {path.name:28} full {full:7.1f} ms  trafilatura {traf:7.1f} ms  ratio {full / traf:5.2f}")
    full_ms = per_page_ms(extract, bodies, args.rounds)
    trafilatura_ms = per_page_ms(trafilatura_whole_page, bodies, args.rounds)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"full extract: {full_ms:.1f} ms/page ({1000 / full_ms:.1f} pages/s); "
          f"trafilatura.extract on the whole page: {trafilatura_ms:.1f} ms/page; peak RSS {peak_rss_mb:.0f} MB")
    print(f"ratio={full_ms / trafilatura_ms:.2f} full_ms={full_ms:.1f} trafilatura_ms={trafilatura_ms:.1f} peak_rss_mb={peak_rss_mb:.0f}")


if __name__ == "__main__":
    main()

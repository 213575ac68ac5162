"""Extraction cost against the baseline a user would reach for: `trafilatura.extract(html_string)` with its
defaults on the whole page (and, for reference, the same with `fast=True`).

    python benchmarks/extract_bench.py [--rounds N] [--varied N] [--seed N]

Corpus: every HTML page layout the repository keeps (fixture pages, layout variants, the seed site's pages)
plus `--varied` copies of the seed report pages with every table number changed. The extractor's side is the
whole `extract(bytes, url, headers)`: decoding, parsing, text, metadata, tables, checks. trafilatura gets the
page already decoded to a string (its decoding is not timed), which favours the baseline.

Each round runs every side over every page, and the order of the sides rotates round by round, so a load
change on the machine hits all sides alike. CPU time (`time.process_time`) is the figure that counts; wall
time is shown beside it. Report pages and non-report pages (lists, notices, shells: as the extractor
classifies them) are reported separately. The last line is machine-readable:

    ratio_cpu=<extract / trafilatura, all pages> ratio_cpu_reports=<..> ratio_cpu_other=<..>
    ratio_cpu_fast=<extract / trafilatura fast=True> ratio_wall=<..> peak_rss_mb=<..> pages=<n> load=<1-min avg>
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import sys
import time
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import Page, html_layouts, varied_report_pages

from extractors import extract
from extractors.decode import decode


def sides(pages: list[Page]) -> dict[str, list]:
    """Per side, one zero-argument call per page."""
    texts = [decode(p.body, p.headers)[0] for p in pages]
    return {
        "extract": [lambda p=p: extract(p.body, url=p.url, headers=p.headers) for p in pages],
        "trafilatura": [lambda t=t: trafilatura.extract(t) for t in texts],
        "trafilatura_fast": [lambda t=t: trafilatura.extract(t, fast=True) for t in texts],
    }


def run(pages: list[Page], rounds: int) -> dict[str, list[tuple[float, float]]]:
    """side -> per page (cpu seconds, wall seconds), summed over the rounds."""
    calls = sides(pages)
    names = list(calls)
    for name in names:  # warm-up: imports, lxml and trafilatura caches
        for call in calls[name]:
            call()
    totals = {name: [(0.0, 0.0)] * len(pages) for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[: r % len(names)]:
            gc.collect()
            for i, call in enumerate(calls[name]):
                cpu, wall = time.process_time(), time.perf_counter()
                call()
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                totals[name][i] = (totals[name][i][0] + cpu, totals[name][i][1] + wall)
    return totals


def per_page_ms(totals: list[tuple[float, float]], which: list[int], rounds: int) -> tuple[float, float]:
    n = max(len(which), 1) * rounds
    return (sum(totals[i][0] for i in which) * 1000 / n, sum(totals[i][1] for i in which) * 1000 / n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--varied", type=int, default=24, help="varied-number copies of the seed report pages")
    parser.add_argument("--seed", type=int, default=20240301)
    parser.add_argument("--pages", action="store_true", help="also print each page's figures")
    args = parser.parse_args()
    pages = html_layouts() + varied_report_pages(args.varied, random.Random(args.seed))
    reports = [i for i, p in enumerate(pages) if extract(p.body, url=p.url, headers=p.headers).is_report]
    others = [i for i in range(len(pages)) if i not in set(reports)]
    load_before = os.getloadavg()[0]
    print(f"{len(pages)} pages ({len(reports)} reports, {len(others)} other), "
          f"{sum(len(p.body) for p in pages) / 1024:.0f} KiB, {args.rounds} rounds; load average {load_before:.2f}")
    totals = run(pages, args.rounds)
    load_after = os.getloadavg()[0]
    figures = {}
    for label, which in (("reports", reports), ("other", others), ("all", list(range(len(pages))))):
        ms = {name: per_page_ms(totals[name], which, args.rounds) for name in totals}
        figures[label] = ms
        print(f"{label:8} ({len(which):3} pages): " + "; ".join(
            f"{name} {cpu:.2f} ms cpu / {wall:.2f} ms wall" for name, (cpu, wall) in ms.items()))
        print(f"{'':8} extract/trafilatura: cpu {ms['extract'][0] / ms['trafilatura'][0]:.3f}, "
              f"wall {ms['extract'][1] / ms['trafilatura'][1]:.3f}; "
              f"extract/trafilatura(fast=True): cpu {ms['extract'][0] / ms['trafilatura_fast'][0]:.3f}")
    if args.pages:
        for i, page in enumerate(pages):
            ext = per_page_ms(totals["extract"], [i], args.rounds)
            traf = per_page_ms(totals["trafilatura"], [i], args.rounds)
            print(f"  {page.name[:70]:70} extract {ext[0]:7.2f} ms  trafilatura {traf[0]:7.2f} ms  "
                  f"ratio {ext[0] / traf[0]:5.2f}")
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def ratio(label: str, side: str = "trafilatura", k: int = 0) -> float:
        return figures[label]["extract"][k] / figures[label][side][k]

    print(f"load average {load_before:.2f} before, {load_after:.2f} after; peak RSS {peak_rss_mb:.0f} MB")
    print(f"ratio_cpu={ratio('all'):.3f} ratio_cpu_reports={ratio('reports'):.3f} ratio_cpu_other={ratio('other'):.3f} "
          f"ratio_cpu_fast={ratio('all', 'trafilatura_fast'):.3f} ratio_wall={ratio('all', k=1):.3f} "
          f"peak_rss_mb={peak_rss_mb:.0f} pages={len(pages)} load={load_after:.2f}")


if __name__ == "__main__":
    main()

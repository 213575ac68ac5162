"""The record corpus every extractor change is checked against: each fixture page, variant, seed text and
saved seed-site HTML page, and what the extractor records for it (everything but the free text).

    python -m tests.extraction.golden      # rewrite tests/fixtures/golden/records.json from the current code

Regenerate only for a change that is meant to alter records, and read the diff of the JSON before committing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from extractors import extract

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REPO = FIXTURES.parents[1]
GOLDEN = FIXTURES / "golden" / "records.json"


def corpus() -> Iterator[tuple[str, bytes, str | None, dict[str, str]]]:
    """(name, body, url, headers) for every HTML and text document the repository keeps."""
    for path in sorted((FIXTURES / "pages").glob("*.html")):
        meta = json.loads(path.with_suffix(".headers.json").read_text(encoding="utf-8"))
        yield f"pages/{path.name}", path.read_bytes(), meta["url"], meta["headers"]
    variants = json.loads((FIXTURES / "variants" / "expected.json").read_text(encoding="utf-8"))
    for name, spec in sorted(variants.items()):
        yield f"variants/{name}", (FIXTURES / "variants" / name).read_bytes(), spec["url"], spec["headers"]
    for path in sorted((FIXTURES / "texts").glob("*.txt")):
        yield f"texts/{path.name}", path.read_bytes(), None, {"Content-Type": "text/plain; charset=utf-8"}
    from govcrawl.seedsite.site import load_site

    for resource in sorted(load_site(REPO / "seeds" / "site").values(), key=lambda r: r.url):
        kind = next((v for k, v in resource.headers if k.lower() == "content-type"), "")
        if resource.status == 200 and "html" in kind:
            yield f"site/{resource.url}", resource.body, resource.url, dict(resource.headers)


def record(body: bytes, url: str | None, headers: dict[str, str]) -> dict:
    """The extractor's record without its free text (which a test of its own compares)."""
    data = extract(body, url=url, headers=headers).to_dict()
    del data["text"], data["path"]
    # one line per cell and check keeps the JSON file small and its diffs readable
    data["cells"] = [f"{c['table']}|{c['row']}|{c['col']}|{c['raw']}|{c['value']!r}|{c['unit']}" for c in data["cells"]]
    data["checks"] = [f"{c['rule']}|{c['scope']}|{c['status']}|{c['detail']}" for c in data["checks"]]
    return data


def records() -> dict[str, dict]:
    return {name: record(body, url, headers) for name, body, url, headers in corpus()}


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(records(), ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}")  # noqa: T201 - run as a script

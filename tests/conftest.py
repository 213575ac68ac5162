import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
TEXTS = FIXTURES / "texts"
PAGES = FIXTURES / "pages"


def seed_text(prefix: str) -> Path:
    (path,) = TEXTS.glob(f"{prefix}_*.txt")
    return path


def page(name: str) -> tuple[bytes, dict]:
    """A saved page's raw bytes and how the server sent it (url, headers)."""
    meta = json.loads((PAGES / f"{name}.headers.json").read_text(encoding="utf-8"))
    return (PAGES / f"{name}.html").read_bytes(), meta


@pytest.fixture
def extract_page():
    from extractors import extract

    def run(name: str):
        body, meta = page(name)
        return extract(body, url=meta["url"], headers=meta["headers"])

    return run

"""Where the demo lives: the saved portal site, its WARC archive and its registry, next to the package.

Found from the installed package (an editable install or a source checkout), never from the working
directory, so `govcrawl crawl --replay demo` and `govcrawl serve-seeds` work from any folder.
"""

from __future__ import annotations

from pathlib import Path

DEMO_ROOT = Path(__file__).resolve().parent.parent / "seeds"
DEMO_REGISTRY = DEMO_ROOT / "portals"
DEMO_SITE = DEMO_ROOT / "site"
DEMO_ARCHIVE = DEMO_ROOT / "archive"
# Names that mean the demo wherever the command runs (a folder of that name in the working directory wins).
DEMO_NAMES = ("demo", "seeds")


def is_demo(path: str | Path) -> bool:
    """Whether a replay source is (inside) the demo's saved harvest."""
    return Path(path).resolve().is_relative_to(DEMO_ROOT)

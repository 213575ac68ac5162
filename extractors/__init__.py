"""The shared extractor: a saved report page or report text in, the data dictionary's record out.

A pure library (no Scrapy, no I/O): the crawler's pipelines and `python -m extractors` run the same code.
"""

from .errors import ExtractError
from .model import Attachment, Cell, Check, Report, Section

# The version of what the extractor produces; stored with every report so a changed extraction is traceable
# (raise it when the output for some input changes).
__version__ = "1.0"

__all__ = ["Attachment", "Cell", "Check", "ExtractError", "Report", "Section", "__version__", "extract"]


def __getattr__(name: str):
    # `extract` loads every reader (PDF, Word, spreadsheets, trafilatura): the crawl process, which only
    # sniffs, decodes and stores, starts without them; its extraction workers import them.
    if name == "extract":
        from .core import extract

        return extract
    raise AttributeError(f"module 'extractors' has no attribute {name!r}")

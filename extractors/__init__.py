"""The shared extractor: a saved report page or report text in, the data dictionary's record out.

A pure library (no Scrapy, no I/O): the crawler's pipelines and `python -m extractors` run the same code.
"""

from .core import ExtractError, extract
from .model import Attachment, Cell, Check, Report, Section

# The version of what the extractor produces; stored with every report so a changed extraction is traceable
# (raise it when the output for some input changes).
__version__ = "1.0"

__all__ = ["Attachment", "Cell", "Check", "ExtractError", "Report", "Section", "extract", "__version__"]

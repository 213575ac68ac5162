"""The scheduled nightly harvest: `govcrawl harvest` (runner), conditional and skipped requests
(incremental), per-portal figures (figures), monitors (monitors), `govcrawl reextract` (reextract)."""

from scrapy.exceptions import IgnoreRequest


class AlreadyHarvested(IgnoreRequest):
    """The URL's stored outcome stands (known and not due for revalidation, or answered 304 Not Modified):
    nothing new to fetch or store, and not a failure."""

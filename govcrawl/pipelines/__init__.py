"""Item pipelines: extraction (off the reactor, in a process pool), then batched storage."""

from govcrawl.pipelines.extract import ExtractPipeline
from govcrawl.pipelines.store import StorePipeline

__all__ = ["ExtractPipeline", "StorePipeline"]

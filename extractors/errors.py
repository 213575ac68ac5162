"""The one exception the extractor raises."""


class ExtractError(ValueError):
    """The input cannot be read: empty, binary, undecodable, truncated, corrupt or hostile; the message names
    the cause."""

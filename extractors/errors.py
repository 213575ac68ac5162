"""The one error every reader raises for input it cannot read; its own module so format readers that `core`
imports can raise it without importing `core`."""


class ExtractError(ValueError):
    """The input is not a page, text or report file that can be read (empty, binary, undecodable, encrypted,
    truncated, over a limit); the message names the cause."""

"""govcrawl's `scrapy` commands (settings.COMMANDS_MODULE)."""

"""Scrapy commands of the project (COMMANDS_MODULE in settings): `crawl` replaces Scrapy's own."""

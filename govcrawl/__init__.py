"""Crawl government information-disclosure annual reports into SQL rows (Scrapy project)."""

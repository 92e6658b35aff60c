"""Crawl stage: the EarSense spider, its site profile, and the text side of each movement."""

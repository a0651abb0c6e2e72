"""Sections of the manual: their services, views, forms, selectors and the cached
navigation around a page."""

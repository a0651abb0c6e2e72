"""Listens to the manual's signals."""

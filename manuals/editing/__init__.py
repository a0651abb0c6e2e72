"""Editing together: the three-way merge every stale save goes through (sections,
blocks, FAQ answers)."""

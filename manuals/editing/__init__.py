"""Editing together: the one three-way merge (merge.py), drafts, presence, reviews,
scheduled publishing and review-by dates (services.py), and their pages (views.py:
reviews, the audit log, the trash)."""

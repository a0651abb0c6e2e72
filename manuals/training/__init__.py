"""Training: read confirmations that ask again only when the meaning changed, and
(coming) learning paths. Depends on the manual, never back."""

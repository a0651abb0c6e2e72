"""FAQ entries and the questions agents ask (see the FAQ issue)."""

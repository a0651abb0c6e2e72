"""Moving content in and out: the static portal export, Markdown and Word import."""

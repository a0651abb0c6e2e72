"""Article surveys, analytics events and reports for managers (see the feedback issue)."""

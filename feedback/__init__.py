"""Article surveys, analytics events and reports for managers."""

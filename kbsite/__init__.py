"""Project package: settings, root URLs, roles and the views that belong to no app."""

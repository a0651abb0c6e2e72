"""Demo content for `manage.py load_demo`."""

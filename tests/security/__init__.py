"""Permission suite: every URL pattern and POST endpoint for every role, with canaries."""

"""Transfer tests reuse the portal's canary fixtures."""

from tests.manuals.portal.conftest import portal, search_index  # noqa: F401

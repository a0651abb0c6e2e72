"""Transfer tests reuse the portal's canary fixtures."""

from tests.manuals.portal.conftest import (  # noqa: F401
    _portal_once,
    portal,
    search_index,
)

"""Transfer tests reuse the portal's canary fixtures."""

from tests.manuals.portal.conftest import (  # noqa: F401
    module_portal,
    portal,
    search_index,
)

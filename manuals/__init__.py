"""The manual: the section tree, revisions, rendering, search, blocks, export."""

"""The manual: the section tree, revisions, rendering, and (later) search, blocks, export."""

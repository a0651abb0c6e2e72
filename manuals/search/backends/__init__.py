"""Search backends: the interface (base) and its implementations."""

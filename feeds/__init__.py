"""Data in: the instrument registry, sources, the store, sessions and the quality gate."""

"""Stores: index data on disk. :mod:`dedup.store.segments` knows files and arrays, not documents or engines."""

"""Engines: the stages run over a corpus. :mod:`dedup.engines.local` runs them in this process and its workers."""

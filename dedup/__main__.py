"""``python -m dedup``: the ``dedup`` command, see :mod:`dedup.cli`."""

from .cli import entry_point

entry_point()

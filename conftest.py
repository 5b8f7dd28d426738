"""Doctest collection of the package: the optional compiled kernel needs numba (the test extra has it)."""

import importlib.util

collect_ignore = [] if importlib.util.find_spec("numba") else ["dedup/compiled.py"]

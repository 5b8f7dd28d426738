import os

from hypothesis import settings

# CI runs a fixed example sequence so a landing never depends on luck; locally
# every run explores new examples; HYPOTHESIS_PROFILE=thorough digs deeper.
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=60)
settings.register_profile("dev", deadline=None, max_examples=60)
settings.register_profile("thorough", deadline=None, max_examples=600)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))

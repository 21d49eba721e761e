"""Test-wide settings: hypothesis profiles.

Property tests must not go red at random in CI: the default profile ``ci`` is
derandomized (each test draws the same examples on every run, from a seed
derived from the test) and keeps no example database, so a run depends only
on the code. ``XBORDER_HYPOTHESIS_PROFILE=thorough`` searches with fresh
random seeds and many more examples (tests that fix ``max_examples`` in their
own ``@settings`` keep theirs): use it locally or in a nightly job, and turn
any counterexample it finds into an explicit ``@example`` or test.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile(
    "thorough",
    derandomize=False,
    max_examples=2_000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("XBORDER_HYPOTHESIS_PROFILE", "ci"))

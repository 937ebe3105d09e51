"""Test-wide configuration: Hypothesis profiles.

``ci`` (used when ``CI`` is set) runs more examples with no deadline, because CI machines are
shared; ``dev`` is the default; ``fast`` is for quick local loops.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("fast", max_examples=15, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# Property tests set their example counts relative to the profile's ``max_examples`` (see
# ``helpers.examples``): the default keeps ``make test-fast`` under a minute on two cores; the
# ``thorough`` profile (HYPOTHESIS_PROFILE=thorough) draws ten times as many cases; CI derandomizes.
settings.register_profile(
    "default", max_examples=10, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True)
settings.register_profile("thorough", parent=settings.get_profile("default"), max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "default"))


@pytest.fixture
def rng():
    return np.random.default_rng(12345)

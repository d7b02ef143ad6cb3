import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# Gradient checks are slow-ish per example: fewer, deadline-free examples; CI gets a fixed profile.
settings.register_profile(
    "default", max_examples=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.fixture
def rng():
    return np.random.default_rng(12345)

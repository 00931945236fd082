"""Registers the helpers in tests/support/ once, for every test module."""

import pytest

pytest.register_assert_rewrite("support")

pytest_plugins = [
    "support.app",
    "support.factories",
    "support.auth",
    "support.s3",
    "support.pipeline",
    "support.live_server",
    "support.receivers",
    "support.feed_server",
    "support.access",
    "support.smtp",
]

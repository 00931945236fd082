"""The producers' admin: one blueprint ("admin"), its views split by what they manage."""

from __future__ import annotations

from podcast.views.admin import (
    account,
    episodes,
    guests,
    jobs,
    script_words,
    show,
    shows,
    users,
    webhooks,
)
from podcast.views.admin.common import bp

__all__ = [
    "account",
    "bp",
    "episodes",
    "guests",
    "jobs",
    "script_words",
    "show",
    "shows",
    "users",
    "webhooks",
]

"""The producers' admin: one blueprint ("admin"), its views split by what they manage."""

from __future__ import annotations

from podcast.views.admin import (
    account,
    autosave,
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
    "autosave",
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

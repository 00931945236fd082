"""The producers' admin: one blueprint ("admin"), its views split by what they manage."""

from __future__ import annotations

from podcast.views.admin import (
    account,
    autosave,
    downloads,
    episodes,
    guests,
    imports,
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
    "downloads",
    "episodes",
    "guests",
    "imports",
    "jobs",
    "script_words",
    "show",
    "shows",
    "users",
    "webhooks",
]

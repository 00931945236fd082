"""The producers' admin: one blueprint ("admin"), its views split by what they manage."""

from __future__ import annotations

from podcast.views import admin_episodes, admin_guests, admin_show, admin_users
from podcast.views.admin_common import bp

__all__ = ["bp", "admin_episodes", "admin_guests", "admin_show", "admin_users"]

"""The JSON API under /api/v1: `base` holds the blueprint and token guard, `validation` reads
bodies against `schemas`, `serializers` writes resources; routes live in one module per resource.
"""

from __future__ import annotations

from podcast.views.api import downloads, episodes, guests, imports, jobs, show, tokens, webhooks
from podcast.views.api.base import bp

__all__ = ["bp", "downloads", "episodes", "guests", "imports", "jobs", "show", "tokens", "webhooks"]

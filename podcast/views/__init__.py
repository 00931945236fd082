"""Blueprints, one per audience."""

from __future__ import annotations

from podcast.views.admin import bp as admin_bp
from podcast.views.api import bp as api_bp
from podcast.views.auth import bp as auth_bp
from podcast.views.public.downloads import bp as downloads_bp
from podcast.views.public.embed import bp as embed_bp
from podcast.views.public.feed import bp as feed_bp
from podcast.views.public.files import bp as episode_files_bp
from podcast.views.public.media import bp as media_bp
from podcast.views.public.pages import bp as public_bp
from podcast.views.public.preview import bp as preview_bp

BLUEPRINTS = [
    public_bp, preview_bp, embed_bp, feed_bp, episode_files_bp, media_bp, downloads_bp, auth_bp,
    admin_bp, api_bp,
]  # fmt: skip

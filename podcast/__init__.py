"""The podcast publishing service: create_app() builds the Flask application."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from podcast.config import PROJECT_ROOT, load_settings


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app from PODCAST_* settings (plus `overrides`); does no I/O beyond config."""
    overrides = dict(overrides or {})
    instance_path = overrides.pop("INSTANCE_PATH", None)
    app = Flask(
        __name__,
        instance_path=str(instance_path) if instance_path else str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder="static",
    )
    settings = load_settings(Path(app.instance_path), overrides=overrides)
    app.config.update(settings.as_flask_config())
    from podcast import current, setup

    app.extensions[current.SETTINGS_KEY] = settings

    setup.configure_requests(app)
    setup.configure_proxies(app)
    setup.configure_database(app)
    setup.configure_storage(app)
    setup.configure_jobs(app)
    setup.configure_auth(app)
    setup.configure_i18n(app)
    setup.configure_templates(app)
    setup.configure_blueprints(app)
    setup.configure_feed(app)
    setup.configure_errors(app)
    setup.configure_security_headers(app)
    setup.configure_cli(app)
    return app

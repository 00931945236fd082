"""The configure_* steps create_app runs, one per concern."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from podcast import current
from podcast import storage as storage_module
from podcast.extensions import csrf, db, login_manager, migrate


def configure_requests(app: Flask) -> None:
    """Uploaded files are written once, into the pipeline's temp file, and hashed on arrival;
    each request reads the show afresh."""
    from podcast.views.uploads import PodcastRequest

    app.request_class = PodcastRequest
    app.before_request(current.forget_show)


def configure_proxies(app: Flask) -> None:
    """Trust exactly PODCAST_TRUSTED_PROXIES hops of X-Forwarded-* headers, no more."""
    hops = app.config["PODCAST_TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets gunicorn workers read while one writes.
    # SQLite's own lower() folds ASCII only; search must find "выборы" in "Выборы" as
    # PostgreSQL does.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def configure_database(app: Flask) -> None:
    """Attach SQLAlchemy and Alembic (migrations/ at the project root)."""
    from podcast.config import PROJECT_ROOT

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options: dict[str, Any] = {"pool_pre_ping": True}
    if uri.startswith("postgresql"):
        options["connect_args"] = {"connect_timeout": 5}
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", options)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    if uri.startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas)


def configure_storage(app: Flask) -> None:
    """Create the Storage backend named by PODCAST_STORAGE_URL (no I/O until first use)."""
    app.extensions[current.STORAGE_KEY] = storage_module.from_url(
        app.config["PODCAST_STORAGE_URL"],
        endpoint_url=app.config["PODCAST_S3_ENDPOINT_URL"],
        media_base_url=app.config["PODCAST_MEDIA_BASE_URL"],
    )


def configure_feed(app: Flask) -> None:
    """The in-process cache of the rendered feed (one per app)."""
    from podcast.feed.cache import FeedCache

    app.extensions[current.FEED_CACHE_KEY] = FeedCache(
        state_seconds=app.config["PODCAST_FEED_STATE_SECONDS"]
    )


class PublicCacheSessionInterface(SecureCookieSessionInterface):
    """Cookie sessions that leave `Vary: Cookie` off responses marked public and cacheable.

    Flask-Login looks at the session on every request, which makes Flask add `Vary: Cookie`
    even to the feed and media; a CDN would then cache them per visitor. A response that says
    `Cache-Control: public` does not depend on who asks, so it must not vary on the cookie.
    """

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        """Save as usual, then drop Vary: Cookie from public responses the session did not touch;
        pages other sites frame write no cookie at all."""
        from podcast.views.security import frameable

        if frameable():
            return
        super().save_session(app, session, response)
        if response.cache_control.public and not session.modified:
            # Lower case on purpose: HeaderSet.remove compares each entry lowered with the
            # argument as given, so "Cookie" would never match.
            response.vary.discard("cookie")


def configure_auth(app: Flask) -> None:
    """Flask-Login for the admin pages and CSRF protection on every form."""
    from podcast.services import accounts

    app.session_interface = PublicCacheSessionInterface()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    from podcast.i18n import lazy_gettext

    login_manager.login_message = lazy_gettext("Please log in to continue.")
    login_manager.session_protection = "strong"
    login_manager.user_loader(accounts.load_user)
    app.extensions[current.PASSWORDS_KEY] = accounts.Passwords(
        app.config["PODCAST_PASSWORD_HASHING"]
    )
    csrf.init_app(app)


def configure_i18n(app: Flask) -> None:
    """Flask-Babel: listener pages in their show's language, the admin in its user's."""
    from podcast import i18n

    i18n.configure(app)


def configure_templates(app: Flask) -> None:
    """Template filters and globals shared by every page."""
    from podcast.views import templating

    templating.register(app)


def configure_blueprints(app: Flask) -> None:
    """One blueprint per audience."""
    from podcast.views import BLUEPRINTS

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)


def configure_errors(app: Flask) -> None:
    """Friendly error pages; JSON errors under /api/."""
    from podcast.views import errors

    errors.register(app)


def configure_security_headers(app: Flask) -> None:
    """Strict headers on every response: CSP without inline scripts, nosniff, no framing (the
    embeddable player sets its own frame-ancestors instead)."""
    from podcast.views.security import content_security_policy, frameable

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy())
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if not frameable():
            headers.setdefault("X-Frame-Options", "DENY")
        if request.blueprint in {"admin", "auth", "api"}:
            # Drafts, accounts and tokens must never sit in a shared or browser cache.
            headers.setdefault("Cache-Control", "no-store")
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def configure_jobs(app: Flask) -> None:
    """Job records join the schema; the queue itself is built on first use (no I/O here)."""
    import podcast.imports.records  # noqa: F401 - registers the import tables
    import podcast.jobs  # noqa: F401 - registers the job table and the outbox hooks


def configure_cli(app: Flask) -> None:
    """Register the `podcast` subcommands on the app's CLI group."""
    from podcast.cli.analytics import analytics_group
    from podcast.cli.audio import reprocess_command
    from podcast.cli.backup import export_command, import_command
    from podcast.cli.commands import register_commands
    from podcast.cli.imports import import_feed_command
    from podcast.cli.shows import COMMANDS as SHOW_COMMANDS
    from podcast.jobs.cli import jobs_group
    from podcast.jobs.worker import worker_command

    register_commands(app)
    app.cli.add_command(worker_command)
    app.cli.add_command(jobs_group)
    app.cli.add_command(export_command)
    app.cli.add_command(import_command)
    app.cli.add_command(import_feed_command)
    app.cli.add_command(analytics_group)
    app.cli.add_command(reprocess_command)
    for command in SHOW_COMMANDS:
        app.cli.add_command(command)

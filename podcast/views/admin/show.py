"""Admin: a show's settings and artwork: the primary show at /admin/show, any show at
/admin/shows/<handle>, a new one (admins) at /admin/shows/new."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from podcast import current
from podcast.errors import PodcastError
from podcast.extensions import db
from podcast.feed.categories import category_choices
from podcast.i18n import gettext
from podcast.models import Show, ShowType
from podcast.services import queries
from podcast.services.shows import (
    ADMIN_ONLY_SETTINGS,
    DIRECTORIES,
    Actor,
    parse_show_input,
    save_show,
)
from podcast.services.tagging import queue_show_tags, show_tag_fields
from podcast.views.admin import webhooks
from podcast.views.admin.common import (
    STALE_MESSAGE,
    admin_required,
    apply_errors,
    bp,
    may_act_on,
    rerenders_on_stale_form,
    should_process,
    show_or_404,
    stale_form,
    upload_from,
)
from podcast.views.admin.forms import ShowForm
from podcast.views.urls import feed_url, show_feed_url

TEXT_SETTINGS = (
    "title", "subtitle", "description", "author", "owner_name", "owner_email", "language",
    "timezone", "copyright", "website", "funding_url", "funding_label", "new_feed_url",
    "apple_verify", "show_type", "embed_origins", "feed_page_size",
)  # fmt: skip
FLAGS = ("explicit", "locked", "complete")
# Audio processing: numbers whose empty value means the default for the layout.
AUDIO_SETTINGS = ("loudness_target", "true_peak_max", "mp3_bitrate", "channels")


def _hosts_text(hosts: list[dict[str, str]]) -> str:
    lines = []
    for host in hosts or []:
        parts = [host.get(k, "") for k in ("name", "role", "href", "img")]
        while parts and not parts[-1]:
            parts.pop()
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def _parse_hosts(text: str | None) -> list[dict[str, str]]:
    hosts = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")] + ["", "", ""]
        host = dict(zip(("name", "role", "href", "img"), parts[:4], strict=True))
        hosts.append({k: v for k, v in host.items() if v} or {"name": ""})
    return hosts


def _initial(show: Show | None) -> dict[str, Any]:
    if show is None:
        return {
            "language": "en", "timezone": "UTC", "show_type": ShowType.EPISODIC.value,
            "locked": True,
        }  # fmt: skip
    data: dict[str, Any] = {name: getattr(show, name) for name in TEXT_SETTINGS + FLAGS}
    data["hosts"] = _hosts_text(show.hosts)
    for name in AUDIO_SETTINGS[:3]:
        value = getattr(show, name)
        data[name] = "" if value is None else f"{value:g}"
    data["channels"] = show.audio_channels
    data["normalize_lossy"] = bool(show.normalize_lossy)
    data["categories"] = [
        " > ".join(part for part in pair if part) for pair in (show.categories or [])
    ]
    for name in DIRECTORIES:
        data[f"directory_{name}"] = (show.directory_links or {}).get(name, "")
    return data


def _raw(form: ShowForm) -> dict[str, Any]:
    raw: dict[str, Any] = {name: getattr(form, name).data or "" for name in TEXT_SETTINGS}
    if not current_user.is_admin:
        # Producers see these as text, not inputs: left out, they stay as they are.
        for name in ADMIN_ONLY_SETTINGS:
            if name not in request.form:
                raw.pop(name, None)
    raw.update({name: bool(getattr(form, name).data) for name in FLAGS})
    if "channels" in request.form:  # the audio settings are on the form (older posts lack them)
        raw.update({name: getattr(form, name).data or "" for name in AUDIO_SETTINGS})
        raw["normalize_lossy"] = bool(form.normalize_lossy.data)
    raw["categories"] = [entry.data for entry in form.categories if entry.data]
    raw["hosts"] = _parse_hosts(form.hosts.data)
    raw["directory_links"] = {
        name: (getattr(form, f"directory_{name}").data or "").strip() for name in DIRECTORIES
    }
    return raw


@bp.route("/show", methods=["GET", "POST"])
@rerenders_on_stale_form
def show_settings() -> Any:
    """Every setting of the primary show, and its artwork (Apple's rule)."""
    show = current.show()
    if show is not None and not may_act_on(show.id):
        abort(404)
    return _settings_page(show, url_for("admin.show_settings"))


@bp.route("/shows/new", methods=["GET", "POST"])
@admin_required
@rerenders_on_stale_form
def show_new() -> Any:
    """A new show (admins): its handle, then every setting the show form has."""
    return _settings_page(None, url_for("admin.show_new"), creating=True)


@bp.route("/shows/<handle>", methods=["GET", "POST"])
@rerenders_on_stale_form
def show_edit(handle: str) -> Any:
    """Every setting of one show (its members and admins)."""
    show = show_or_404(handle)
    return _settings_page(show, url_for("admin.show_edit", handle=handle))


def _settings_page(show: Show | None, action: str, *, creating: bool = False) -> Any:
    """GET renders the show form; POST saves it (a new show when `show` is None)."""
    form = ShowForm(data=_initial(show))
    choices = {"": gettext("(none)"), **{c: c for c in category_choices()}}
    for index, entry in enumerate(form.categories):
        entry.choices = choices
        entry.label.text = (
            gettext("Primary category")
            if index == 0
            else gettext("Category %(number)s", number=index + 1)
        )
    error, status = None, 200
    if stale_form():
        error = STALE_MESSAGE
    elif should_process(form):
        artwork = upload_from(form.artwork.data)
        raw = _raw(form)
        if creating:
            raw["handle"] = form.handle.data or ""
        try:
            tagged = show_tag_fields(show)
            saved = save_show(
                db.session,
                current.storage(),
                show,
                parse_show_input(raw),
                artwork=artwork,
                feed_url=feed_url(),
                actor=Actor.of(current_user, "admin"),
                feed_url_of=show_feed_url if creating else None,
            )
            queue_show_tags(db.session, saved, tagged)
        except PodcastError as exc:
            db.session.rollback()
            exc.fields = {
                key.replace("directory_links.", "directory_"): message
                for key, message in exc.fields.items()
            }
            error = apply_errors(form, exc) or gettext("Please correct the fields marked below.")
            status = exc.status
        else:
            if creating:
                flash(
                    gettext(
                        "Created the show %(title)s; its feed is %(url)s.",
                        title=saved.title,
                        url=show_feed_url(saved.handle),
                    )
                )
                return redirect(url_for("admin.show_edit", handle=saved.handle))
            flash(
                gettext("Saved the show's settings and artwork.")
                if artwork
                else gettext("Saved the show's settings.")
            )
            return redirect(action)
    changes = queries.show_changes(show.id) if show is not None and show.id else []
    page = render_template(
        "admin/show_form.html",
        form=form,
        show=show,
        error=error,
        changes=changes,
        action=action,
        creating=creating,
        feed=show_feed_url(show.handle) if show is not None else None,
        webhooks_url=webhooks.list_url(show),
    )
    return page, status

"""Admin: the dashboard and the episode form (create, edit, stage audio, preview, delete)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from podcast import current
from podcast.errors import PodcastError, TooLargeError, ValidationError
from podcast.extensions import db
from podcast.i18n import gettext, translate
from podcast.models import Episode, EpisodeStatus, MediaAsset, Show, utcnow
from podcast.services import queries
from podcast.services.episode_input import PLAIN_FIELDS, EpisodeInput, parse_episode_input
from podcast.services.episodes import (
    Attachments,
    create_episode,
    delete_episode,
    numbering_warnings,
    stage_audio,
    update_episode,
)
from podcast.services.guests import GuestData, parse_guest_input
from podcast.services.markup import render_markdown
from podcast.views.admin.common import (
    STALE_MESSAGE,
    apply_errors,
    bp,
    may_act_on,
    my_show_ids,
    render_json,
    rerenders_on_stale_form,
    should_process,
    stale_form,
    upload_from,
)
from podcast.views.admin.forms import EpisodeForm
from podcast.views.errors import error_json
from podcast.views.templating import chapter_lines, local_time

PUBLISH_AT_FORMAT = "%Y-%m-%dT%H:%M"


@bp.route("/")
def dashboard() -> str:
    """The episodes of the user's shows (or of the one in ?show=), newest first, with their
    show, status, date, duration and guests."""
    allowed = my_show_ids()
    shows = queries.shows_by_id(db.session, allowed)
    chosen = next((s for s in shows.values() if s.handle == request.args.get("show")), None)
    episodes = queries.admin_episodes(db.session, [chosen.id] if chosen else allowed)
    return render_template(
        "admin/dashboard.html",
        episodes=episodes,
        shows=shows,
        chosen=chosen,
        show=current.show(),
        now=utcnow(),
    )


def _episode_or_404(episode_id: int) -> Episode:
    """The episode when it is on one of the user's shows; 404 (nothing said) otherwise."""
    episode = db.session.get(Episode, episode_id)
    if episode is None or not may_act_on(episode.show_id):
        abort(404)
    return episode


def _new_episode_shows() -> list[Show]:
    """The shows a new episode may go to: the user's, archived ones left out, primary first."""
    primary = current.show()
    shows = [s for s in queries.shows_by_id(db.session, my_show_ids()).values() if not s.archived]
    return sorted(shows, key=lambda s: (primary is None or s.id != primary.id, s.id))


def _guest_choices() -> dict[str, str]:
    guests = queries.guests_by_name(db.session)
    return {str(g.id): g.name for g in guests}


def _initial(episode: Episode | None, show: Show) -> dict[str, Any]:
    if episode is None:
        return {"episode_type": "full"}
    moment = local_time(episode.publish_at, show.timezone)
    return {
        **{name: getattr(episode, name) for name in PLAIN_FIELDS},
        "episode_type": episode.episode_type.value,
        "publish_at": moment.strftime(PUBLISH_AT_FORMAT) if moment else "",
        "chapters": chapter_lines(episode.chapters),
    }


def _staged_id(form: EpisodeForm) -> int | None:
    try:
        return int(form.staged_audio_id.data) if form.staged_audio_id.data else None
    except (TypeError, ValueError):
        return None


def _new_guests(form: EpisodeForm, errors: dict[str, str]) -> list[GuestData]:
    """The new guests typed in the form, checked once by the guest parser; their errors go next
    to their own fields."""
    found = []
    for entry in form.new_guests:
        name, bio = (entry.form.name.data or "").strip(), entry.form.bio.data or ""
        if not name and not bio.strip():
            continue
        try:
            parsed = parse_guest_input({"name": name, "bio": bio})
        except ValidationError as exc:
            for key, message in exc.fields.items():
                sub = getattr(entry.form, key, entry.form.name)
                sub.errors = [*list(sub.errors or []), message]
                errors[f"new_guests.{key}"] = message
            continue
        found.append(parsed)
    return found


def _episode_input(form: EpisodeForm, action: str, timezone: str) -> EpisodeInput:
    """The form's fields checked by the service's own parser (it is the authority)."""
    raw = {
        **{name: form[name].data for name in PLAIN_FIELDS},
        "episode_type": form.episode_type.data,
        "status": "draft" if action == "draft" else "published",
        "publish_at": form.publish_at.data,
        "guests": form.guest_ids(),
        "chapters": form.chapters.data or "",
    }
    errors: dict[str, str] = {}
    new_guests = _new_guests(form, errors)
    try:
        data = parse_episode_input(raw, partial=False, timezone=timezone)
    except ValidationError as exc:
        exc.fields.update(errors)
        raise
    if errors:
        raise ValidationError("Please correct the new guest's details.", fields=errors)
    return replace(data, new_guests=tuple(new_guests))


def _keep_audio(form: EpisodeForm, episode: Episode | None) -> None:
    """The no-JS path: stage an uploaded file so a failed form never asks for it again."""
    file = form.audio.data
    upload = upload_from(file)
    if upload is None or form.audio.errors:
        return
    file.stream.seek(0)
    try:
        asset = stage_audio(
            db.session,
            current.storage(),
            upload,
            max_bytes=current.max_upload_bytes(),
            episode=episode,
        )
    except PodcastError as exc:
        form.audio.errors = [*list(form.audio.errors or []), exc.fields.get("audio", exc.message)]
        return
    form.staged_audio_id.data = str(asset.id)


def _save(form: EpisodeForm, episode: Episode | None, show: Show) -> Episode:
    """Create or update through the publishing service; raises PodcastError on refusal."""
    action = request.form.get("action", "draft")
    data = _episode_input(form, action, show.timezone)
    audio = upload_from(form.audio.data)
    files = Attachments(
        audio=audio,
        staged_audio_id=None if audio else _staged_id(form),
        image=upload_from(form.image.data),
        transcript=upload_from(form.transcript.data),
        remove_image=bool(form.remove_image.data),
        remove_transcript=bool(form.remove_transcript.data),
    )
    if episode is None:
        return create_episode(
            db.session, current.storage(), show, data, files, max_bytes=current.max_upload_bytes()
        )
    return update_episode(
        db.session,
        current.storage(),
        episode,
        data,
        files,
        max_bytes=current.max_upload_bytes(),
        grace=current.replaced_media_grace(),
    )


def _saved_message(episode: Episode) -> str:
    if episode.status == EpisodeStatus.DRAFT:
        return gettext("Saved “%(title)s” as a draft.", title=episode.title)
    if episode.status == EpisodeStatus.SCHEDULED:
        return gettext("Scheduled “%(title)s”.", title=episode.title)
    return gettext("Published “%(title)s”.", title=episode.title)


def _episode_form(episode: Episode | None) -> Any:
    """GET renders the form; POST saves, or re-renders with errors, values and staged audio."""
    choices = _new_episode_shows() if episode is None else [episode.show]
    if not choices:
        if current.show() is None:
            flash(gettext("Set up the show first."), "error")
            return redirect(url_for("admin.show_settings"))
        return render_template(
            "admin/message.html",
            title=gettext("No show to publish on"),
            message=gettext(
                "You are not a member of any show that takes new episodes. "
                "Ask an admin to add you to a show in Users."
            ),
            back=url_for("admin.dashboard"),
            show=current.show(),
        ), 403
    form = EpisodeForm(data=_initial(episode, choices[0]))
    form.show.choices = [(s.handle, f"{s.title} ({s.handle})") for s in choices]
    show = next((s for s in choices if s.handle == form.show.data), None)
    if show is None and form.is_submitted() and form.show.data:
        abort(404)  # not one of the user's shows: as if it did not exist
    show = show or choices[0]
    form.show.data = show.handle
    chosen = [g.id for g in episode.guests] if episode else []
    form.setup(_guest_choices(), chosen)
    error, preview, status = None, None, 200
    if stale_form():
        error = STALE_MESSAGE
    elif should_process(form):
        action = request.form.get("action", "draft")
        if action == "preview":
            preview = render_markdown(form.description.data)
        else:
            try:
                saved = _save(form, episode, show)
            except TooLargeError as exc:
                form.audio.errors = [exc.message]
                error, status = exc.message, 413
            except PodcastError as exc:
                db.session.rollback()
                error = apply_errors(form, exc, {"status": "publish_at", "new_guests": "title"})
                error = error or gettext("Please correct the fields marked below.")
                status = exc.status
                if form.audio.errors and not upload_from(form.audio.data):
                    form.staged_audio_id.data = ""  # the staged file is gone; ask again
            else:
                flash(_saved_message(saved))
                for warning in numbering_warnings(db.session, saved):
                    flash(translate(warning), "warning")
                return redirect(url_for("admin.episode_edit", episode_id=saved.id))
        _keep_audio(form, episode)
    staged = db.session.get(MediaAsset, _staged_id(form)) if _staged_id(form) else None
    if staged is not None and staged.kind != "audio":
        staged = None
    return render_template(
        "admin/episode_form.html",
        form=form,
        episode=episode,
        show=show,
        staged=staged,
        preview=preview,
        error=error,
        now_local=local_time(utcnow(), show.timezone),
    ), status


@bp.route("/episodes/new", methods=["GET", "POST"])
@rerenders_on_stale_form
def episode_new() -> Any:
    """A new episode."""
    return _episode_form(None)


@bp.route("/episodes/<int:episode_id>/edit", methods=["GET", "POST"])
@rerenders_on_stale_form
def episode_edit(episode_id: int) -> Any:
    """Edit an episode, replace its audio or files."""
    return _episode_form(_episode_or_404(episode_id))


def asset_json(asset: MediaAsset) -> dict[str, Any]:
    """What the form shows about staged audio."""
    return {
        "id": asset.id,
        "duration_seconds": asset.duration_seconds,
        "mime_type": asset.mime_type,
        "size_bytes": asset.size_bytes,
        "warnings": [translate(warning) for warning in asset.warning_sentences],
        "filename": asset.original_filename,
    }


@bp.route("/uploads/audio", methods=["POST"])
def upload_audio() -> Any:
    """Stage audio ahead of the form (the JS upload with a progress bar posts here)."""
    upload = upload_from(request.files.get("audio"))
    if upload is None:
        message = gettext("Choose an audio file to upload.")
        return error_json(400, "no_file", message, {"audio": message})
    episode = None
    # In the URL, so the audio's key carries the episode's guid while it is still arriving.
    episode_id = request.args.get("episode_id") or request.form.get("episode_id", "")
    if episode_id.isdigit():
        episode = _episode_or_404(int(episode_id))
    try:
        asset = stage_audio(
            db.session,
            current.storage(),
            upload,
            max_bytes=current.max_upload_bytes(),
            episode=episode,
        )
    except PodcastError as exc:
        message = translate(exc.message)
        fields = {name: translate(text) for name, text in exc.fields.items()} or {"audio": message}
        return error_json(exc.status, exc.code, message, fields)
    return render_json(asset_json(asset), 201)


@bp.route("/preview", methods=["POST"])
def preview() -> Any:
    """Markdown rendered and sanitized exactly as the public page will show it."""
    return render_json({"html": str(render_markdown(request.form.get("text", "")))})


@bp.route("/episodes/<int:episode_id>/unpublish", methods=["POST"])
def episode_unpublish(episode_id: int) -> Any:
    """Take an episode off the feed and the site: back to draft."""
    episode = _episode_or_404(episode_id)
    update_episode(
        db.session,
        current.storage(),
        episode,
        EpisodeInput(status=EpisodeStatus.DRAFT),
        max_bytes=current.max_upload_bytes(),
    )
    flash(gettext("“%(title)s” is a draft again: listeners no longer see it.", title=episode.title))
    return redirect(url_for("admin.episode_edit", episode_id=episode.id))


@bp.route("/episodes/<int:episode_id>/delete", methods=["GET", "POST"])
def episode_delete(episode_id: int) -> Any:
    """Confirm, then delete an episode and its files."""
    episode = _episode_or_404(episode_id)
    if request.method == "POST":
        title = episode.title
        delete_episode(db.session, current.storage(), episode)
        flash(gettext("Deleted “%(title)s” and its files.", title=title))
        return redirect(url_for("admin.dashboard"))
    return render_template("admin/episode_delete.html", episode=episode, show=episode.show)

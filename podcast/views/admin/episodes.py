"""Admin: the dashboard and the episode form (create, edit, stage audio, preview, delete)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from wtforms import FieldList, FormField

from podcast import current
from podcast.analytics import reports
from podcast.errors import PodcastError, TooLargeError, ValidationError
from podcast.extensions import db
from podcast.i18n import gettext, translate
from podcast.models import Episode, EpisodeStatus, MediaAsset, Show, readable_chapters, utcnow
from podcast.services import autosave, processing, queries
from podcast.services.episode_input import (
    PLAIN_FIELDS,
    EpisodeInput,
    chapter_row_problems,
    parse_datetime,
    read_episode_input,
    split_chapter_line,
)
from podcast.services.episodes import (
    Attachments,
    create_episode,
    delete_episode,
    numbering_warnings,
    refusals,
    stage_audio,
    stage_image,
    stage_transcript,
    update_episode,
)
from podcast.services.guests import GuestData, parse_guest_input
from podcast.services.markup import render_markdown
from podcast.services.processing_run import reprocess
from podcast.services.uploads import Upload
from podcast.views.admin.common import (
    STALE_MESSAGE,
    bp,
    may_act_on,
    my_show_ids,
    render_json,
    rerenders_on_stale_form,
    should_process,
    stale_form,
    upload_from,
)
from podcast.views.admin.forms import NEW_GUESTS_MAX, EpisodeForm
from podcast.views.errors import error_json
from podcast.views.public.presenters import embed_code
from podcast.views.templating import chapter_lines, local_time

PUBLISH_AT_FORMAT = "%Y-%m-%dT%H:%M"
ADD_GUEST_SLOT = "add_guest_slot"  # the action of the no-JS "Add another new guest" button


@bp.route("/")
def dashboard() -> str:
    """The episodes of the user's shows (or of the one in ?show=), newest first, with their
    show, status, date, duration, guests and first 7 days' downloads (one query)."""
    allowed = my_show_ids()
    shows = queries.shows_by_id(db.session, allowed)
    chosen = next((s for s in shows.values() if s.handle == request.args.get("show")), None)
    episodes = queries.admin_episodes(db.session, [chosen.id] if chosen else allowed)
    today = reports.today_utc(utcnow())
    return render_template(
        "admin/dashboard.html",
        episodes=episodes,
        first_week=reports.seven_days(db.session, [e.id for e in episodes], today),
        shows=shows,
        chosen=chosen,
        show=current.show(),
        now=utcnow(),
    )


def episode_or_404(episode_id: int) -> Episode:
    """The episode when it is on one of the user's shows; 404 (nothing said) otherwise."""
    episode = db.session.get(Episode, episode_id)
    if episode is None or not may_act_on(episode.show_id):
        abort(404)
    return episode


def new_episode_shows() -> list[Show]:
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


# The files the form can keep across a failed save, each with its hidden staged_<kind>_id.
FILE_KINDS = ("audio", "image", "transcript")
# Service error keys that are shown on another field of the form.
ERROR_FIELDS = {"status": "publish_at"}


def _staged_id(form: EpisodeForm, kind: str = "audio") -> int | None:
    data = form[f"staged_{kind}_id"].data
    try:
        return int(data) if data else None
    except (TypeError, ValueError):
        return None


def _new_guests(form: EpisodeForm, errors: dict[str, str]) -> list[GuestData]:
    """The new guests typed in the form, checked once by the guest parser; their errors are
    keyed by their fields' ids (new_guests-0-name)."""
    found = []
    typed = 0
    for entry in form.new_guests:
        name, bio = (entry.form.name.data or "").strip(), entry.form.bio.data or ""
        if not name and not bio.strip():
            continue
        typed += 1
        if typed > NEW_GUESTS_MAX:
            errors[entry.form.name.id] = gettext(
                "At most %(count)s new guests in one save: save these, then add the others.",
                count=NEW_GUESTS_MAX,
            )
            break
        try:
            parsed = parse_guest_input({"name": name, "bio": bio})
        except ValidationError as exc:
            for key, message in exc.fields.items():
                sub = getattr(entry.form, key, entry.form.name)
                errors[sub.id] = message
            continue
        found.append(parsed)
    return found


def _episode_input(
    form: EpisodeForm, action: str, timezone: str
) -> tuple[EpisodeInput, dict[str, str]]:
    """The form's fields checked by the service's own parser (it is the authority): the valid
    ones, and every bad field's message."""
    raw = {
        **{name: form[name].data for name in PLAIN_FIELDS},
        "episode_type": form.episode_type.data,
        "status": "draft" if action == "draft" else "published",
        "publish_at": form.publish_at.data,
        "guests": form.guest_ids(),
        "chapters": form.chapters.data or "",
    }
    data, errors = read_episode_input(raw, partial=False, timezone=timezone)
    new_guests = _new_guests(form, errors)
    return replace(data, new_guests=tuple(new_guests)), errors


def _chapter_rows(form: EpisodeForm, duration: float | None) -> dict[str, str]:
    """Check the chapters line by line against the audio's duration: each bad row is kept on
    the form (for the summary and the rows editor) and the field carries them all."""
    rows = [(row, translate(problem)) for row, problem in chapter_row_problems(
        form.chapters.data or "", duration
    )]  # fmt: skip
    form.chapter_rows = rows
    if not rows:
        return {}
    return {
        "chapters": " ".join(
            gettext("Row %(row)s: %(problem)s", row=row, problem=problem) for row, problem in rows
        )
    }


def _chapters_editor(form: EpisodeForm) -> dict[str, Any] | None:
    """What chapters-editor.js turns into rows: the typed lines split by the service's own
    parser (a line it cannot read stays whole in the title), each with its refusal; None when
    the chapters are JSON (the textarea stays)."""
    text = form.chapters.data or ""
    if text.lstrip().startswith("["):
        return None
    refused = dict(form.chapter_rows)
    rows = []
    for number, line in enumerate((ln for ln in text.splitlines() if ln.strip()), start=1):
        start, title, url = split_chapter_line(line) or ("", line.strip(), "")
        rows.append({"start": start, "title": title, "url": url, "error": refused.get(number)})
    return {"rows": rows}


def _fields_by_id(form: EpisodeForm) -> dict[str, Any]:
    """Every field of the form by its HTML id, the new guests' own fields included."""
    found: dict[str, Any] = {}
    for field in form:
        found[field.id] = field
        for entry in field if isinstance(field, FieldList) else []:
            for sub in entry if isinstance(entry, FormField) else [entry]:
                found[sub.id] = sub
    return found


def _place_errors(form: EpisodeForm, errors: dict[str, str]) -> list[str]:
    """Put each message next to its field (by service name or field id); returns the others."""
    fields = _fields_by_id(form)
    leftover = []
    for name, message in errors.items():
        field = fields.get(ERROR_FIELDS.get(name, name))
        if field is None:
            leftover.append(translate(message))
            continue
        field.errors = [*list(field.errors or []), translate(message)]
    return leftover


def _problems(form: EpisodeForm) -> list[tuple[str, str, str]]:
    """Every field with an error, in the page's order: the id to link to, its visible label
    and its message."""
    found: list[tuple[str, str, str]] = []
    for field in form:
        if field.name == "audio":
            label = gettext("Audio")
        elif field.name == "guests":
            label = gettext("Guests, in speaking order")
        else:
            label = field.label.text
        if field.name == "chapters" and form.chapter_rows:
            found.extend(
                (field.id, gettext("Chapters, row %(row)s", row=row), problem)
                for row, problem in form.chapter_rows
            )
        elif field.errors and not isinstance(field, FieldList | FormField):
            found.append((field.id, label, " ".join(map(str, field.errors))))
        elif field.name == "guests" and field.errors:
            found.append((field.entries[0].id, label, " ".join(map(str, field.errors))))
        elif field.name == "new_guests":
            for entry in field:
                found.extend(
                    (sub.id, sub.label.text, " ".join(sub.errors)) for sub in entry if sub.errors
                )
    return found


def _guid_for_staging(form: EpisodeForm, episode: Episode | None) -> str:
    """The guid new staged files are stored under: the episode's, or the one a file staged
    earlier on this form carries (the new episode takes it), or a fresh one."""
    if episode is not None:
        return episode.guid
    for kind in FILE_KINDS:
        staged_id = _staged_id(form, kind)
        asset = db.session.get(MediaAsset, staged_id) if staged_id else None
        if asset is not None and asset.episode_guid:
            return asset.episode_guid
    return str(uuid.uuid4())


def _stage(kind: str, upload: Upload, form: EpisodeForm, episode: Episode | None) -> MediaAsset:
    session, storage, limit = db.session, current.storage(), current.max_upload_bytes()
    if kind == "audio":
        return stage_audio(session, storage, upload, max_bytes=limit, episode=episode)
    guid = _guid_for_staging(form, episode)
    if kind == "image":
        return stage_image(session, storage, upload, guid=guid, max_bytes=limit)
    return stage_transcript(session, storage, upload, guid=guid)


def _keep_files(form: EpisodeForm, episode: Episode | None, refused: set[str]) -> dict[str, str]:
    """The no-JS path: stage each chosen file not already refused, so a failed form never asks
    for it again (`podcast check --fix` removes what no form takes); returns the refusals."""
    errors: dict[str, str] = {}
    for kind in FILE_KINDS:  # audio first: a new episode's files take the guid it was given
        file = form[kind].data
        upload = upload_from(file)
        if upload is None:
            if kind in refused:
                form[f"staged_{kind}_id"].data = ""  # the staged file is gone; ask again
            continue
        if kind in refused:
            continue
        file.stream.seek(0)
        try:
            asset = _stage(kind, upload, form, episode)
        except PodcastError as exc:
            errors[kind] = exc.fields.get(kind, exc.message)
            continue
        form[f"staged_{kind}_id"].data = str(asset.id)
    return errors


def _kept_files(form: EpisodeForm) -> dict[str, MediaAsset]:
    """The files staged for this form, by kind."""
    kept = {}
    for kind in FILE_KINDS:
        staged_id = _staged_id(form, kind)
        asset = db.session.get(MediaAsset, staged_id) if staged_id else None
        if asset is not None and (asset.kind == kind or (kind, asset.kind) == ("audio", "master")):
            kept[kind] = asset
    return kept


def _save(form: EpisodeForm, data: EpisodeInput, episode: Episode | None, show: Show) -> Episode:
    """Create or update through the publishing service; raises PodcastError on refusal."""
    uploads = {kind: upload_from(form[kind].data) for kind in FILE_KINDS}
    staged = {kind: None if uploads[kind] else _staged_id(form, kind) for kind in FILE_KINDS}
    files = Attachments(
        audio=uploads["audio"],
        staged_audio_id=staged["audio"],
        image=uploads["image"],
        staged_image_id=staged["image"],
        transcript=uploads["transcript"],
        staged_transcript_id=staged["transcript"],
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


def _submit(
    form: EpisodeForm, episode: Episode | None, show: Show, action: str
) -> Episode | tuple[str | None, int]:
    """Save; or, refused, put every problem next to its field at once and keep the valid files:
    returns the saved episode, or the message no field carries and the status."""
    data, errors = _episode_input(form, action, show.timezone)
    known = _kept_files(form).get("audio") or (episode.audio if episode else None)
    errors.update(_chapter_rows(form, known.duration_seconds if known else None))
    status, refusal = 422, None
    if not errors:
        try:
            return _save(form, data, episode, show)
        except PodcastError as exc:
            db.session.rollback()
            errors, status, refusal = dict(exc.fields), exc.status, exc
    errors.update(_keep_files(form, episode, set(errors)))
    audio = _kept_files(form).get("audio") or (episode.audio if episode else None)
    has_audio = audio is not None or upload_from(form.audio.data) is not None
    for name, message in refusals(
        db.session,
        data,
        episode=episode,
        has_audio=has_audio and "audio" not in errors,
        audio_duration=audio.duration_seconds if audio else None,
    ).items():
        errors.setdefault(name, message)
    errors.update(_chapter_rows(form, audio.duration_seconds if audio else None))
    leftover = _place_errors(form, errors)
    # A file over its limit is refused without a field: staging it again named the field.
    too_large_named = isinstance(refusal, TooLargeError) and errors
    if refusal is not None and not refusal.fields and not too_large_named:
        leftover.append(translate(refusal.message))
    return " ".join(leftover) or None, status


def _publish_label(episode: Episode | None, publish_at: str | None, timezone: str) -> str:
    """What the publish button will do with this date (admin.js keeps it so as it changes)."""
    text = (publish_at or "").strip()
    try:
        moment = parse_datetime(text, timezone) if text else None
    except (ValueError, TypeError, OverflowError):
        moment = None
    if moment is not None and moment > utcnow():
        return gettext("Schedule")
    if episode is not None and episode.status == EpisodeStatus.PUBLISHED:
        return gettext("Update")
    return gettext("Publish") if text else gettext("Publish now")


def _saved_message(episode: Episode, was_live: bool) -> str:
    if episode.status == EpisodeStatus.DRAFT:
        return gettext("Saved “%(title)s” as a draft.", title=episode.title)
    if episode.status == EpisodeStatus.SCHEDULED:
        return gettext("Scheduled “%(title)s”.", title=episode.title)
    if was_live:
        return gettext("Updated “%(title)s”.", title=episode.title)
    return gettext("Published “%(title)s”.", title=episode.title)


def _draft(episode: Episode | None, choices: list[Show]) -> autosave.Draft | None:
    """The user's autosaved draft of this form (a new episode's: on one of its shows)."""
    if episode is not None:
        return autosave.load(db.session, current_user.id, episode)
    return autosave.load_new(db.session, current_user.id, [s.id for s in choices])


def _autosave_base(episode: Episode | None) -> str:
    """What the form's autosaves are typed on: the episode's last save, or this new form's own
    id (kept across a refused save, so the episode it creates spends it)."""
    if episode is not None:
        return autosave.episode_base(episode)
    posted = request.form.get("autosave_base", "")
    return posted if 0 < len(posted) <= autosave.BASE_MAX else autosave.new_form_base()


def _episode_form(episode: Episode | None) -> Any:
    """GET renders the form; POST saves, or re-renders with every error, the values typed and
    the files chosen (staged)."""
    choices = new_episode_shows() if episode is None else [episode.show]
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
    initial = _initial(episode, choices[0])
    form = EpisodeForm(data=initial)
    draft = None if form.is_submitted() else _draft(episode, choices)
    if draft is not None:  # the fields as the form posted them, on the draft's show
        handle = next(s.handle for s in choices if s.id == draft.show_id)
        form = EpisodeForm(MultiDict({**draft.fields, "show": handle}), data=initial)
    form.show.choices = [(s.handle, f"{s.title} ({s.handle})") for s in choices]
    show = next((s for s in choices if s.handle == form.show.data), None)
    if show is None and form.is_submitted() and form.show.data:
        abort(404)  # not one of the user's shows: as if it did not exist
    show = show or choices[0]
    form.show.data = show.handle
    chosen = [g.id for g in episode.guests] if episode else []
    action = request.form.get("action", "draft") if form.is_submitted() else ""
    form.setup(
        _guest_choices(), chosen, restored=draft is not None,
        new_guest_slot=action == ADD_GUEST_SLOT,
    )  # fmt: skip
    error, preview, status = None, None, 200
    if stale_form():
        error = STALE_MESSAGE
    elif should_process(form):
        if action in ("preview", ADD_GUEST_SLOT):
            if action == "preview":
                preview = render_markdown(form.description.data)
            _place_errors(form, _keep_files(form, episode, set()))
        else:
            was_live = episode is not None and episode.status == EpisodeStatus.PUBLISHED
            outcome = _submit(form, episode, show, action)
            if isinstance(outcome, Episode):
                created_from = None if episode else request.form.get("autosave_base", "")
                autosave.forget_saved(
                    db.session, current_user.id, outcome, created_from=created_from
                )
                flash(_saved_message(outcome, was_live))
                for warning in numbering_warnings(db.session, outcome):
                    flash(translate(warning), "warning")
                return redirect(url_for("admin.episode_edit", episode_id=outcome.id))
            error, status = outcome
    kept = _kept_files(form)
    return render_template(
        "admin/episode_form.html",
        form=form,
        episode=episode,
        show=show,
        staged=kept.get("audio"),
        kept=kept,
        problems=_problems(form),
        chapters_editor=_chapters_editor(form),
        max_new_guests=NEW_GUESTS_MAX,
        publish_label=_publish_label(episode, form.publish_at.data, show.timezone),
        preview=preview,
        error=error,
        now_local=local_time(utcnow(), show.timezone),
        embed_code=embed_code(show, episode) if episode and episode.is_public() else None,
        draft=draft,
        autosave_base=_autosave_base(episode),
        audio_report=processing.audio_report(db.session, episode) if episode else None,
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
    return _episode_form(episode_or_404(episode_id))


def asset_json(asset: MediaAsset) -> dict[str, Any]:
    """What the form shows about staged audio."""
    return {
        "id": asset.id,
        "duration_seconds": asset.duration_seconds,
        "mime_type": asset.mime_type,
        "size_bytes": asset.size_bytes,
        "warnings": [translate(warning) for warning in asset.warning_sentences],
        "filename": asset.original_filename,
        "chapters": readable_chapters(asset.chapters),
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
    if episode_id.isascii() and episode_id.isdigit() and len(episode_id) < 11:
        episode = episode_or_404(int(episode_id))
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
    episode = episode_or_404(episode_id)
    update_episode(
        db.session,
        current.storage(),
        episode,
        EpisodeInput(status=EpisodeStatus.DRAFT),
        max_bytes=current.max_upload_bytes(),
    )
    flash(gettext("“%(title)s” is a draft again: listeners no longer see it.", title=episode.title))
    return redirect(url_for("admin.episode_edit", episode_id=episode.id))


@bp.route("/episodes/<int:episode_id>/normalize", methods=["POST"])
def episode_normalize(episode_id: int) -> Any:
    """Level and encode the episode's audio again (from its master, or its upload) as a job."""
    episode = episode_or_404(episode_id)
    try:
        reprocess(db.session, episode, user_id=current_user.id)
    except PodcastError as exc:
        db.session.rollback()
        flash(translate(exc.message), "error")
    else:
        flash(
            gettext(
                "Levelling and encoding “%(title)s”: the published file is replaced when the "
                "job is done.",
                title=episode.title,
            )
        )
    return redirect(url_for("admin.episode_edit", episode_id=episode.id))


@bp.route("/episodes/<int:episode_id>/delete", methods=["GET", "POST"])
def episode_delete(episode_id: int) -> Any:
    """Confirm, then delete an episode and its files."""
    episode = episode_or_404(episode_id)
    if request.method == "POST":
        title = episode.title
        delete_episode(db.session, current.storage(), episode)
        flash(gettext("Deleted “%(title)s” and its files.", title=title))
        return redirect(url_for("admin.dashboard"))
    return render_template("admin/episode_delete.html", episode=episode, show=episode.show)

"""The episode form's autosaved draft: kept per user and episode, restored with a notice when the
form opens, discarded on request, gone once the episode is saved, never brought back by an
autosave that arrives after the save; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from lxml import html as lxml_html
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from support.app import using_postgres
from support.auth import sign_in_as

from podcast.extensions import db
from podcast.models import Episode, EpisodeAutosave, User, utcnow
from podcast.services import autosave
from podcast.services.episode_input import EpisodeInput
from podcast.services.episodes import update_episode
from podcast.services.locks import lock_row

NEW = "/admin/episodes/new"
NOTES = "Half of the show notes: the **river** dries"


def page(response: Any) -> Any:
    """The response parsed as HTML."""
    assert response.status_code == 200, response.status_code
    return lxml_html.fromstring(response.get_data(as_text=True))


def form_base(client: Any, url: str) -> str:
    """The base the form at `url` sends with its autosaves."""
    return page(client.get(url)).xpath("//input[@name='autosave_base']/@value")[0]


def field(doc: Any, field_id: str) -> str:
    """A field's value as the form was rendered."""
    element = doc.get_element_by_id(field_id)
    if element.tag == "textarea":  # a browser drops the newline right after <textarea>
        return element.text_content().removeprefix("\n")
    return element.get("value", "")


def notice(doc: Any) -> str:
    """The restored-draft notice's text ("" when there is none)."""
    found = doc.xpath("//*[@id='autosave-notice']")
    return found[0].text_content() if found else ""


def post_autosave(client: Any, url: str, base: str, **fields: Any) -> Any:
    """What autosave.js sends: the form's text fields, url-encoded."""
    return client.post(
        url, data={"autosave_base": base, **fields}, headers={"Accept": "application/json"}
    )


def drafts() -> int:
    """How many drafts are kept."""
    return db.session.scalar(select(func.count()).select_from(EpisodeAutosave))


def test_a_new_form_opens_with_what_was_typed_and_says_so(client, login, no_csrf, show) -> None:
    login()
    base = form_base(client, NEW)
    response = post_autosave(
        client, NEW + "/autosave", base, show="majlis", title="Water Wars", description=NOTES
    )
    assert response.status_code == 200, response.data
    doc = page(client.get(NEW))
    assert field(doc, "title") == "Water Wars"
    assert field(doc, "description") == NOTES
    assert "Restored what you typed" in notice(doc)
    assert "(Europe/Prague)" in notice(doc)  # in the show's time zone
    assert doc.xpath("//form[@id='episode-form']/@data-unsaved") == ["true"]
    # The page opened again is the same form load: its autosaves keep going to the same draft.
    assert doc.xpath("//input[@name='autosave_base']/@value") != [""]


def test_only_the_forms_text_fields_are_kept(client, login, no_csrf, show) -> None:
    login()
    base = form_base(client, NEW)
    post_autosave(
        client,
        NEW + "/autosave",
        base,
        show="majlis",
        title="Kept",
        staged_audio_id="7",
        csrf_token="secret",
        evil="<script>",
        **{"guests-0": "", "new_guests-0-name": "Дильфуза", "new_guests-0-role": "x"},
    )
    (row,) = db.session.scalars(select(EpisodeAutosave))
    assert row.fields == {"title": "Kept", "guests-0": "", "new_guests-0-name": "Дильфуза"}
    doc = page(client.get(NEW))
    assert field(doc, "new_guests-0-name") == "Дильфуза"
    assert field(doc, "staged_audio_id") == ""


def test_an_edit_form_restores_a_draft_typed_on_its_last_save(
    client, login, no_csrf, make_episode, make_guest
) -> None:
    guest = make_guest("Zarina Ergasheva")
    episode = make_episode("Silence and Impunity", guests=f"[{guest.id}]")
    login()
    url = f"/admin/episodes/{episode.id}/edit"
    base = form_base(client, url)
    assert field(page(client.get(url)), "guests-0") == ""  # a select: its value is its option
    response = post_autosave(
        client,
        f"/admin/episodes/{episode.id}/autosave",
        base,
        title="Silence, Impunity and Hope",
        description=NOTES,
        **{"guests-0": str(guest.id), "guests-1": "", "guests-2": "", "guests-3": ""},
    )
    assert response.status_code == 200, response.data
    doc = page(client.get(url))
    assert field(doc, "title") == "Silence, Impunity and Hope"
    assert field(doc, "description") == NOTES
    assert "Restored what you typed" in notice(doc)
    # The guest picked once, not twice (the restored pickers are not added to).
    picked = doc.xpath("//select[starts-with(@name, 'guests-')]/option[@selected]/@value")
    assert picked.count(str(guest.id)) == 1
    db.session.expire_all()
    assert db.session.get(Episode, episode.id).title == "Silence and Impunity"  # not saved


def test_discard_brings_back_the_saved_version(client, login, no_csrf, make_episode) -> None:
    episode = make_episode("Silence and Impunity")
    login()
    url = f"/admin/episodes/{episode.id}/edit"
    post_autosave(
        client, f"/admin/episodes/{episode.id}/autosave", form_base(client, url), title="X"
    )
    assert field(page(client.get(url)), "title") == "X"
    response = client.post(f"/admin/episodes/{episode.id}/autosave/discard", data={})
    assert response.status_code == 302 and response.location.endswith(url)
    doc = page(client.get(url))
    assert field(doc, "title") == "Silence and Impunity"
    assert notice(doc) == ""
    assert "Discarded the draft" in doc.text_content()
    assert drafts() == 0


def test_discarding_a_new_episodes_draft_empties_the_form(client, login, no_csrf, show) -> None:
    login()
    post_autosave(client, NEW + "/autosave", form_base(client, NEW), show="majlis", title="Gone")
    response = client.post(NEW + "/autosave/discard?show=majlis")
    assert response.status_code == 302 and response.location.endswith(NEW)
    doc = page(client.get(NEW))
    assert field(doc, "title") == "" and notice(doc) == ""


def test_saving_the_episode_deletes_its_draft(client, login, no_csrf, make_episode) -> None:
    episode = make_episode("Silence and Impunity")
    login()
    url = f"/admin/episodes/{episode.id}/edit"
    base = form_base(client, url)
    post_autosave(client, f"/admin/episodes/{episode.id}/autosave", base, title="Renamed")
    assert drafts() == 1
    response = client.post(
        url, data={"title": "Renamed", "action": "publish"}, content_type="multipart/form-data"
    )
    assert response.status_code == 302, response.data
    assert drafts() == 0
    doc = page(client.get(url))
    assert field(doc, "title") == "Renamed" and notice(doc) == ""


def test_an_autosave_arriving_after_the_save_is_dropped(
    client, login, no_csrf, make_episode
) -> None:
    episode = make_episode("Silence and Impunity")
    login()
    url = f"/admin/episodes/{episode.id}/edit"
    base = form_base(client, url)
    client.post(url, data={"title": "Saved", "action": "publish"})
    # The request the script sent just before the submit, answered after it.
    late = post_autosave(client, f"/admin/episodes/{episode.id}/autosave", base, title="Sav")
    assert late.status_code == 409
    assert "was saved after this form was opened" in late.get_json()["error"]["message"]
    assert drafts() == 0
    doc = page(client.get(url))
    assert field(doc, "title") == "Saved" and notice(doc) == ""
    # The form opened after the save autosaves again.
    fresh = post_autosave(client, f"/admin/episodes/{episode.id}/autosave", form_base(client, url))
    assert fresh.status_code == 200


def test_a_new_form_that_created_its_episode_drops_its_late_autosaves(
    client, login, no_csrf, show
) -> None:
    login()
    base = form_base(client, NEW)
    post_autosave(client, NEW + "/autosave", base, show="majlis", title="Water")
    created = client.post(
        NEW,
        data={"show": "majlis", "title": "Water Wars", "action": "draft", "autosave_base": base},
        content_type="multipart/form-data",
    )
    assert created.status_code == 302, created.data
    assert drafts() == 0
    late = post_autosave(client, NEW + "/autosave", base, show="majlis", title="Water Wa")
    assert late.status_code == 409
    doc = page(client.get(NEW))
    assert field(doc, "title") == "" and notice(doc) == ""
    # The next new form is a form load of its own: it has a draft again.
    again = post_autosave(client, NEW + "/autosave", form_base(client, NEW), show="majlis")
    assert again.status_code == 200


def test_a_refused_save_keeps_the_new_forms_base(client, login, no_csrf, show) -> None:
    login()
    base = form_base(client, NEW)
    refused = client.post(
        NEW,
        data={"show": "majlis", "title": "", "action": "publish", "autosave_base": base},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert lxml_html.fromstring(refused.data).xpath("//input[@name='autosave_base']/@value") == [
        base
    ]


def test_a_draft_resurrected_after_the_save_is_not_restored(
    app, client, login, no_csrf, make_episode, show
) -> None:
    # An autosave that passed its check just before the save committed wrote its row after.
    episode = make_episode("Silence and Impunity")
    user = login()
    stale = autosave.episode_base(episode)
    update_episode(db.session, app.extensions["podcast.storage"], episode, EpisodeInput(
        title="Saved elsewhere"), max_bytes=2**30)  # fmt: skip
    db.session.add(
        EpisodeAutosave(
            user_id=user.id, show_id=show.id, episode_id=episode.id, fields={"title": "Old"},
            base=stale,
        )
    )  # fmt: skip
    db.session.commit()
    assert autosave.load(db.session, user.id, episode) is None
    doc = page(client.get(f"/admin/episodes/{episode.id}/edit"))
    assert field(doc, "title") == "Saved elsewhere" and notice(doc) == ""


def test_another_user_never_sees_my_draft(client, login, no_csrf, make_episode, make_user):
    episode = make_episode("Silence and Impunity")
    login()
    url = f"/admin/episodes/{episode.id}/edit"
    post_autosave(client, NEW + "/autosave", form_base(client, NEW), show="majlis", title="Mine")
    post_autosave(
        client, f"/admin/episodes/{episode.id}/autosave", form_base(client, url), title="M"
    )
    assert drafts() == 2
    sign_in_as(client, make_user("colleague@example.org"))
    for address, expected in ((NEW, ""), (url, "Silence and Impunity")):
        doc = page(client.get(address))
        assert field(doc, "title") == expected and notice(doc) == ""
    client.post(f"/admin/episodes/{episode.id}/autosave/discard")
    assert drafts() == 2  # their discard is not mine


def test_an_outsider_to_the_show_gets_404(
    client, login, no_csrf, make_episode, make_user, second_show
) -> None:
    episode = make_episode("Silence and Impunity")
    sign_in_as(client, make_user("outsider@example.org", shows=[second_show]))
    base = autosave.episode_base(episode)
    responses = [
        post_autosave(client, f"/admin/episodes/{episode.id}/autosave", base, title="X"),
        post_autosave(client, NEW + "/autosave", "b" * 32, show="majlis", title="X"),
        client.post(f"/admin/episodes/{episode.id}/autosave/discard"),
        client.post(NEW + "/autosave/discard?show=majlis"),
    ]
    assert [r.status_code for r in responses] == [404] * 4
    assert drafts() == 0
    # Their own show takes a new draft.
    own = post_autosave(client, NEW + "/autosave", "b" * 32, show="azattyk", title="Ours")
    assert own.status_code == 200


def test_a_draft_too_large_is_refused_with_a_sentence(client, login, no_csrf, show) -> None:
    login()
    base = form_base(client, NEW)
    over = "x" * (autosave.MAX_BYTES + 1)
    response = post_autosave(client, NEW + "/autosave", base, show="majlis", description=over)
    assert response.status_code == 413
    assert "too large to keep as a draft" in response.get_json()["error"]["message"]
    huge = post_autosave(client, NEW + "/autosave", base, show="majlis", description=over * 5)
    assert huge.status_code == 413
    assert "too large to keep as a draft" in huge.get_json()["error"]["message"]
    assert drafts() == 0
    fits = post_autosave(client, NEW + "/autosave", base, show="majlis", description=over[:-99])
    assert fits.status_code == 200


def test_an_expired_session_gets_the_fetch_endpoints_401(client, show) -> None:
    response = post_autosave(client, NEW + "/autosave", "b" * 32, show="majlis", title="X")
    upload = client.post("/admin/uploads/audio", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json() == upload.get_json()


def test_the_script_sends_its_token_in_a_header_as_the_other_fetches(client, login, show):
    assert client.application.config.get("WTF_CSRF_ENABLED", True)
    login()
    doc = page(client.get(NEW))
    token = doc.xpath("//input[@name='csrf_token']/@value")[0]
    base = doc.xpath("//input[@name='autosave_base']/@value")[0]
    data = {"autosave_base": base, "show": "majlis", "title": "X"}
    refused = client.post(NEW + "/autosave", data=data, headers={"Accept": "application/json"})
    assert refused.status_code == 400 and drafts() == 0
    headers = {"Accept": "application/json", "X-CSRFToken": token}
    assert client.post(NEW + "/autosave", data=data, headers=headers).status_code == 200
    # The page-hide request may carry it in the body instead (a beacon sets no header).
    data = {**data, "csrf_token": token, "title": "XY"}
    assert client.post(NEW + "/autosave", data=data).status_code == 200
    assert field(page(client.get(NEW)), "title") == "XY"


def test_one_draft_per_user_show_and_episode(app, show, make_episode, make_user) -> None:
    episode = make_episode("Silence and Impunity")
    user = make_user()

    def add(episode_id: int | None) -> None:
        db.session.add(
            EpisodeAutosave(
                user_id=user.id, show_id=show.id, episode_id=episode_id, fields={}, base="b"
            )
        )
        db.session.commit()

    for episode_id in (episode.id, None):  # None: the new form, where NULLs would not collide
        add(episode_id)
        with pytest.raises(IntegrityError):
            add(episode_id)
        db.session.rollback()
    assert drafts() == 2
    autosave.save(db.session, user.id, show.id, None, {"title": "Again"}, "c")
    assert drafts() == 2  # the same row, written over


def test_deleting_the_episode_or_the_user_deletes_their_drafts(
    app, show, make_episode, make_user
) -> None:
    episode = make_episode("Silence and Impunity")
    user, other = make_user(), make_user("other@example.org")
    base = autosave.episode_base(episode)
    for each in (user, other):
        assert autosave.save(db.session, each.id, show.id, episode, {"title": "T"}, base)
    assert autosave.save(db.session, user.id, show.id, None, {"title": "New"}, "new-form")
    db.session.delete(db.session.get(Episode, episode.id))
    db.session.commit()
    assert drafts() == 1
    db.session.delete(db.session.get(User, user.id))
    db.session.commit()
    assert drafts() == 0


def test_an_autosave_sent_during_the_save_waits_for_it_and_is_dropped(
    app, show, make_episode, make_user
) -> None:
    # The save holds the episode's row; the autosave, typed on the version before, waits for
    # it and then finds its base gone (read before the save committed, it would be kept).
    episode = make_episode("Silence and Impunity")
    user = make_user()
    base = autosave.episode_base(episode)
    engine = db.engine  # the thread has no app context
    saver = Session(engine)
    saving = saver.get(Episode, episode.id)
    assert lock_row(saver, Episode, episode.id)
    saving.updated_at = utcnow()
    saver.flush()
    kept: list[bool] = []

    ids = (user.id, show.id, episode.id)

    def late() -> None:
        user_id, show_id, episode_id = ids
        with Session(engine) as other:
            mine = other.get(Episode, episode_id)
            kept.append(autosave.save(other, user_id, show_id, mine, {"title": "Late"}, base))

    thread = threading.Thread(target=late)
    thread.start()
    if using_postgres():  # wait until the autosave is blocked on the save's row lock
        probe = Session(engine)
        waiting = text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database()"
        )
        for _ in range(500):
            if probe.scalar(waiting) or not thread.is_alive():
                break
            probe.rollback()
            threading.Event().wait(0.01)
        probe.close()
    saver.commit()
    saver.close()
    thread.join()
    assert kept == [False]
    assert drafts() == 0


def test_discard_works_without_the_script(client, login, no_csrf, show) -> None:
    # The button submits the episode form itself to the discard address (formaction).
    login()
    post_autosave(client, NEW + "/autosave", form_base(client, NEW), show="majlis", title="Gone")
    doc = page(client.get(NEW))
    (button,) = doc.xpath("//button[@id='autosave-discard']")
    assert (
        button.get("form") == "episode-form" and doc.get_element_by_id("episode-form") is not None
    )
    response = client.post(
        button.get("formaction"),
        data={"show": "majlis", "title": "Gone", "autosave_base": "b" * 32},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and drafts() == 0

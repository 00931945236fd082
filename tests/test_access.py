"""Who may call what: every route the app has, by caller, then the finer cases per area.

The table must name each rule in url_map. Callers: anonymous, a producer and an admin logged in
with the session cookie, a wrong bearer token, and a valid producer token. Public routes are
open to all; /admin/* needs a session (bearer tokens are for the API only) and admin rights for
user management; /api/v1/* needs a valid token (a session cookie alone is not enough). A refused
caller changes nothing. After the table: the admin area page by page, then the API's tokens.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from support.api import episode_form
from support.data import PASSWORD, SAMPLE_MP3

from podcast.extensions import db
from podcast.jobs import Job, enqueue
from podcast.models import ApiToken, Episode, EpisodeStatus, Guest, Show, User, Webhook
from podcast.services import accounts
from podcast.services.accounts import create_token
from podcast.services.episode_input import parse_episode_input
from podcast.services.episodes import Attachments, create_episode
from podcast.services.uploads import Upload
from podcast.services.webhooks import create_webhook

PUBLIC, ADMIN, USERS, API, LOGOUT = "public", "admin", "users", "api", "logout"
MOVED = "moved"  # an address from before several shows: 301 to the show's own, for everyone
API_ADMIN = "api_admin"  # the API for admins only: a producer's token gets 403
HOOK_URL = "https://93.184.216.34/hooks/podcast"
WRONG_TOKEN = {"Authorization": "Bearer pod_wrong"}
CALLERS = ["anonymous", "wrong_token", "producer_token", "producer", "admin"]
VTT = b"WEBVTT\n\n00:00:00.000 --> 00:00:04.000\nWelcome to Majlis.\n"


@dataclass(frozen=True)
class Route:
    """How to call one (rule, method): who may, which URL, and what body."""

    kind: str
    url: str
    body: Any = None


# Every (rule, method) in app.url_map. A new route fails test_the_table_covers_every_route
# until it is added here with the access it should have.
ROUTES: dict[tuple[str, str], Route] = {
    ("/", "GET"): Route(PUBLIC, "/"),
    ("/episodes/<slug>", "GET"): Route(MOVED, "/episodes/{slug}"),
    ("/shows/<handle>/", "GET"): Route(PUBLIC, "/shows/majlis/"),
    ("/shows/<handle>/feed.xml", "GET"): Route(MOVED, "/shows/majlis/feed.xml"),
    ("/shows/<handle>/episodes/<slug>", "GET"): Route(PUBLIC, "/shows/majlis/episodes/{slug}"),
    ("/shows/<handle>/episodes/<slug>/chapters.json", "GET"): Route(
        PUBLIC, "/shows/majlis/episodes/{slug}/chapters.json"
    ),
    ("/shows/<handle>/episodes/<slug>/transcript.vtt", "GET"): Route(
        PUBLIC, "/shows/majlis/episodes/{slug}/transcript.vtt"
    ),
    ("/episodes/<slug>/chapters.json", "GET"): Route(PUBLIC, "/episodes/{slug}/chapters.json"),
    ("/episodes/<slug>/transcript.vtt", "GET"): Route(PUBLIC, "/episodes/{slug}/transcript.vtt"),
    ("/guests/<slug>", "GET"): Route(PUBLIC, "/guests/{guest_slug}"),
    ("/feed.xml", "GET"): Route(PUBLIC, "/feed.xml"),
    ("/sitemap.xml", "GET"): Route(PUBLIC, "/sitemap.xml"),
    ("/robots.txt", "GET"): Route(PUBLIC, "/robots.txt"),
    ("/media/<path:key>", "GET"): Route(PUBLIC, "/media/{media_key}"),
    ("/static/<path:filename>", "GET"): Route(PUBLIC, "/static/site.css"),
    ("/api/v1/openapi.json", "GET"): Route(PUBLIC, "/api/v1/openapi.json"),
    ("/login", "GET"): Route(PUBLIC, "/login"),
    ("/login", "POST"): Route(PUBLIC, "/login", {"email": "", "password": ""}),
    ("/logout", "GET"): Route(LOGOUT, "/logout"),
    ("/logout", "POST"): Route(LOGOUT, "/logout", {}),
    ("/admin/", "GET"): Route(ADMIN, "/admin/"),
    ("/admin/episodes/new", "GET"): Route(ADMIN, "/admin/episodes/new"),
    ("/admin/episodes/new", "POST"): Route(ADMIN, "/admin/episodes/new", {"title": ""}),
    ("/admin/episodes/<int:episode_id>/edit", "GET"): Route(
        ADMIN, "/admin/episodes/{episode}/edit"
    ),
    ("/admin/episodes/<int:episode_id>/edit", "POST"): Route(
        ADMIN, "/admin/episodes/{episode}/edit", {"title": "Renamed", "action": "save"}
    ),
    ("/admin/episodes/<int:episode_id>/delete", "GET"): Route(
        ADMIN, "/admin/episodes/{episode}/delete"
    ),
    ("/admin/episodes/<int:episode_id>/delete", "POST"): Route(
        ADMIN, "/admin/episodes/{episode}/delete", {}
    ),
    ("/admin/episodes/<int:episode_id>/unpublish", "POST"): Route(
        ADMIN, "/admin/episodes/{episode}/unpublish", {}
    ),
    ("/admin/uploads/audio", "POST"): Route(ADMIN, "/admin/uploads/audio", {}),
    ("/admin/preview", "POST"): Route(ADMIN, "/admin/preview", {"markdown": "*hi*"}),
    ("/admin/guests", "GET"): Route(ADMIN, "/admin/guests"),
    ("/admin/guests/new", "GET"): Route(ADMIN, "/admin/guests/new"),
    ("/admin/guests/new", "POST"): Route(ADMIN, "/admin/guests/new", {"name": "Новый гость"}),
    ("/admin/guests/<int:guest_id>/edit", "GET"): Route(ADMIN, "/admin/guests/{guest}/edit"),
    ("/admin/guests/<int:guest_id>/edit", "POST"): Route(
        ADMIN, "/admin/guests/{guest}/edit", {"name": "Renamed Guest"}
    ),
    ("/admin/guests/<int:guest_id>/delete", "POST"): Route(
        ADMIN, "/admin/guests/{guest}/delete", {}
    ),
    ("/admin/show", "GET"): Route(ADMIN, "/admin/show"),
    ("/admin/show", "POST"): Route(ADMIN, "/admin/show", {"title": ""}),
    ("/admin/account", "GET"): Route(ADMIN, "/admin/account"),
    ("/admin/account", "POST"): Route(
        ADMIN, "/admin/account", {"current_password": "not it", "new_password": "short"}
    ),
    ("/admin/account/language", "POST"): Route(ADMIN, "/admin/account/language", {"locale": "ru"}),
    ("/admin/tokens", "GET"): Route(ADMIN, "/admin/tokens"),
    ("/admin/tokens/<int:token_id>/revoke", "POST"): Route(
        ADMIN, "/admin/tokens/{token}/revoke", {}
    ),
    ("/admin/users", "GET"): Route(USERS, "/admin/users"),
    ("/admin/users", "POST"): Route(
        USERS,
        "/admin/users",
        {"email": "new@example.org", "password": "a-long-password", "role": "admin"},
    ),
    ("/admin/users/<int:user_id>/active", "POST"): Route(
        USERS, "/admin/users/{user}/active", {"active": "0"}
    ),
    ("/api/v1/episodes", "GET"): Route(API, "/api/v1/episodes"),
    ("/api/v1/episodes", "POST"): Route(API, "/api/v1/episodes", "episode-form"),
    ("/api/v1/episodes/<int:episode_id>", "GET"): Route(API, "/api/v1/episodes/{episode}"),
    ("/api/v1/episodes/<int:episode_id>", "PATCH"): Route(
        API, "/api/v1/episodes/{episode}", {"summary": "Changed"}
    ),
    ("/api/v1/episodes/<int:episode_id>", "DELETE"): Route(API, "/api/v1/episodes/{episode}"),
    ("/api/v1/guests", "GET"): Route(API, "/api/v1/guests"),
    ("/api/v1/guests", "POST"): Route(API, "/api/v1/guests", {"name": "API Guest"}),
    ("/api/v1/guests/<int:guest_id>", "GET"): Route(API, "/api/v1/guests/{guest}"),
    ("/api/v1/guests/<int:guest_id>", "PATCH"): Route(
        API, "/api/v1/guests/{guest}", {"bio": "Changed"}
    ),
    ("/api/v1/guests/<int:guest_id>", "DELETE"): Route(API, "/api/v1/guests/{guest}"),
    ("/admin/jobs", "GET"): Route(ADMIN, "/admin/jobs"),
    ("/admin/jobs/<int:job_id>/status", "GET"): Route(ADMIN, "/admin/jobs/{job}/status"),
    ("/admin/jobs/<int:job_id>/retry", "POST"): Route(ADMIN, "/admin/jobs/{job}/retry", {}),
    # Cancelling is for admins only, as managing users is.
    ("/admin/jobs/<int:job_id>/cancel", "POST"): Route(USERS, "/admin/jobs/{job}/cancel", {}),
    ("/api/v1/jobs", "GET"): Route(API, "/api/v1/jobs"),
    ("/api/v1/jobs/<int:job_id>", "GET"): Route(API, "/api/v1/jobs/{job}"),
    ("/api/v1/show", "GET"): Route(API, "/api/v1/show"),
    ("/api/v1/show", "PATCH"): Route(API, "/api/v1/show", {"subtitle": "Changed"}),
    ("/api/v1/tokens", "GET"): Route(API, "/api/v1/tokens"),
    # {own_token}: the caller's own token when it has one (revoking it is the caller's right).
    ("/api/v1/tokens/<int:token_id>", "DELETE"): Route(API, "/api/v1/tokens/{own_token}"),
    ("/admin/show/webhooks", "GET"): Route(USERS, "/admin/show/webhooks"),
    ("/admin/show/webhooks", "POST"): Route(
        USERS, "/admin/show/webhooks", {"url": HOOK_URL + "/new"}
    ),
    ("/admin/show/webhooks/<int:webhook_id>", "GET"): Route(
        USERS, "/admin/show/webhooks/{webhook}"
    ),
    ("/admin/show/webhooks/<int:webhook_id>/delete", "POST"): Route(
        USERS, "/admin/show/webhooks/{webhook}/delete", {}
    ),
    ("/api/v1/webhooks", "GET"): Route(API_ADMIN, "/api/v1/webhooks"),
    ("/api/v1/webhooks", "POST"): Route(API_ADMIN, "/api/v1/webhooks", {"url": HOOK_URL + "/2"}),
    ("/api/v1/webhooks/<int:webhook_id>", "GET"): Route(API_ADMIN, "/api/v1/webhooks/{webhook}"),
    ("/api/v1/webhooks/<int:webhook_id>", "DELETE"): Route(API_ADMIN, "/api/v1/webhooks/{webhook}"),
    ("/api/v1/webhooks/<int:webhook_id>/deliveries", "GET"): Route(
        API_ADMIN, "/api/v1/webhooks/{webhook}/deliveries"
    ),
}
CASES = sorted(ROUTES)


def _rules(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
    }


def test_the_table_covers_every_route(app) -> None:
    routes = _rules(app)
    assert routes - set(ROUTES) == set(), "routes without an access rule in ROUTES"
    assert set(ROUTES) - routes == set(), "ROUTES names routes the app no longer has"


@pytest.fixture
def targets(show: Show, storage: Any, make_guest: Any, make_user: Any) -> dict[str, Any]:
    """A published episode with a guest, chapters and a transcript; a free guest; a user."""
    on_air = make_guest("Dilfuza Kurolova")
    raw = {
        "title": "Silence and Impunity",
        "status": "published",
        "guests": json.dumps([on_air.id]),
        "chapters": json.dumps([{"start": 0, "title": "Opening"}]),
    }
    data = parse_episode_input(raw, partial=False, timezone=show.timezone)
    files = Attachments(
        audio=Upload(io.BytesIO(SAMPLE_MP3.read_bytes()), SAMPLE_MP3.name),
        transcript=Upload(io.BytesIO(VTT), "episode.srt.vtt"),
    )
    episode = create_episode(db.session, storage, show, data, files, max_bytes=2**30)
    job = enqueue(db.session, "ping", {}, show_id=show.id)
    db.session.commit()
    other = make_user("other@example.org")
    return {
        "job": job.id,
        "episode": episode.id,
        "slug": episode.slug,
        "media_key": episode.audio.key,
        "guest": make_guest("Free Guest").id,
        "guest_slug": on_air.slug,
        "user": other.id,
        "token": _token_of(other),
        "webhook": create_webhook(db.session, show, HOOK_URL, allow_private=False).id,
    }


def _token_of(user: User) -> int:
    """The id of a new API token of the user's."""
    accounts.create_token(db.session, user, "matrix")
    return db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id))


def _fingerprint() -> tuple[Any, ...]:
    """What any write would change: the show's revision, rows, statuses, accounts, tokens."""
    db.session.expire_all()
    return (
        db.session.scalar(select(Show.revision)),
        db.session.execute(select(Episode.id, Episode.status, Episode.title)).all(),
        db.session.execute(select(Guest.id, Guest.name)).all(),
        db.session.execute(select(User.id, User.active, User.role)).all(),
        db.session.execute(select(ApiToken.id, ApiToken.revoked_at)).all(),
        db.session.execute(select(Webhook.id, Webhook.url, Webhook.secret)).all(),
        db.session.scalar(select(func.count()).select_from(Episode)),
        db.session.execute(select(Job.id, Job.state, Job.max_attempts)).all(),
    )


def _as(caller: str, client: FlaskClient, login: Any, api_token: Any) -> dict[str, str]:
    """Make the client this caller; returns the headers its requests carry."""
    if caller in ("producer", "admin"):
        login(caller)
        return {}
    if caller == "producer_token":
        return api_token("producer")
    return WRONG_TOKEN if caller == "wrong_token" else {}


def _send(client: FlaskClient, method: str, route: Route, ids: dict[str, Any], headers: Any):
    bearer = headers.get("Authorization", "").removeprefix("Bearer ")
    own = db.session.scalar(
        select(ApiToken.id).where(ApiToken.token_hash == accounts.hash_token(bearer))
    )
    url = route.url.format(**ids, own_token=own or ids["token"])
    if route.body == "episode-form":
        return client.open(url, method=method, headers=headers, data=episode_form())
    if route.kind in (API, API_ADMIN) and route.body is not None:
        return client.open(url, method=method, headers=headers, json=route.body)
    return client.open(url, method=method, headers=headers, data=route.body)


# Admin endpoints the form's scripts call with fetch/XHR.
ADMIN_FETCH = {"/admin/uploads/audio", "/admin/preview"}


def _sent_to_login(response: Any) -> bool:
    return response.status_code == 302 and response.location.startswith("/login")


def _expect(route: Route, method: str, caller: str) -> str:
    """The outcome this caller must get: ok, login, forbidden, unauthorized, logged_in_home."""
    session = caller in ("producer", "admin")
    if route.kind == MOVED:
        return "moved"
    if route.kind == PUBLIC:
        if route.url == "/login" and method == "GET" and session:
            return "logged_in_home"  # a logged-in user is sent on to the dashboard
        return "ok"
    if route.kind == LOGOUT:
        return "ok" if session and method == "GET" else "login"
    if route.kind == API:
        return "ok" if caller == "producer_token" else "unauthorized"
    if route.kind == API_ADMIN:
        return "forbidden" if caller == "producer_token" else "unauthorized"
    if not session and route.url in ADMIN_FETCH:
        return "session_expired"  # the form's scripts get JSON they can show, not a redirect
    if not session:
        return "login"  # bearer tokens, right or wrong, never open the admin
    if route.kind == USERS and caller == "producer":
        return "forbidden"
    return "ok"


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("rule", "method"), CASES, ids=[f"{m} {r}" for r, m in CASES])
def test_access(client, no_csrf, login, api_token, targets, rule, method, caller) -> None:
    route = ROUTES[(rule, method)]
    headers = _as(caller, client, login, api_token)
    before = _fingerprint()
    response = _send(client, method, route, targets, headers)
    outcome = _expect(route, method, caller)
    status, body = response.status_code, response.data.decode(errors="replace")
    if outcome == "ok":
        if method == "GET" or route.kind == API:
            assert 200 <= response.status_code < 300, (status, body[:300])
        else:  # a form post: saved (redirect), re-shown with errors, or refused as invalid
            assert status < 500 and status not in (401, 403), (status, body[:300])
            assert not _sent_to_login(response) or route.kind == LOGOUT
    elif outcome == "moved":
        assert status == 301, (status, body[:300])
        assert client.get(response.location, headers=headers).status_code == 200
    elif outcome == "logged_in_home":
        assert status == 302 and response.location.startswith("/admin/")
    elif outcome == "login":
        assert _sent_to_login(response), (status, response.location)
    elif outcome == "forbidden":
        assert status == 403
    elif outcome == "session_expired":
        assert status == 401, (status, body[:300])
        assert "session has expired" in response.get_json()["error"]["message"]
    else:
        assert status == 401, (status, body[:300])
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.get_json()["error"]["code"] == "unauthorized"
    cache = response.headers.get("Cache-Control", "")
    if route.kind in (ADMIN, USERS, API, API_ADMIN) and 200 <= status < 300:
        # What a session or a token sees must never sit in a shared cache.
        assert "no-store" in cache or "private" in cache, cache
    if "public" in cache:
        assert "Set-Cookie" not in response.headers, "a shared cache would keep a cookie"
    if (
        outcome in ("login", "forbidden", "unauthorized", "session_expired")
        and route.kind != LOGOUT
    ):
        assert _fingerprint() == before, "a refused request changed something"


POST_ONLY_ADMIN = sorted(
    rule
    for (rule, method), route in ROUTES.items()
    if route.kind in (ADMIN, USERS) and method == "POST" and (rule, "GET") not in ROUTES
)


@pytest.mark.parametrize("rule", POST_ONLY_ADMIN)
def test_actions_refuse_get(client, no_csrf, login, targets, rule) -> None:
    login("admin")
    before = _fingerprint()
    response = client.get(ROUTES[(rule, "POST")].url.format(**targets))
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert _fingerprint() == before


def test_get_on_a_delete_page_only_asks(client, login, targets) -> None:
    login("producer")
    page = client.get(f"/admin/episodes/{targets['episode']}/delete")
    assert page.status_code == 200
    form = lxml.html.fromstring(page.data).xpath("//form[@method='post' or @method='POST']")
    assert form, "the delete page asks with a form that posts"
    assert client.get(f"/shows/majlis/episodes/{targets['slug']}").status_code == 200


def test_get_on_logout_keeps_the_session(client, login, targets) -> None:
    login("producer")
    assert client.get("/logout").status_code == 200
    assert client.get("/admin/").status_code == 200


# CSRF: with protection on (the default), a logged-in user's form post without a token is
# refused and changes nothing. (rule, who posts: the user-management routes need an admin.)
CSRF_CASES = sorted(
    (rule, "admin" if route.kind == USERS else "producer")
    for (rule, method), route in ROUTES.items()
    if method == "POST" and route.kind in (ADMIN, USERS)
)


@pytest.mark.parametrize(("rule", "role"), CSRF_CASES)
def test_form_posts_without_csrf_token_change_nothing(client, login, targets, rule, role):
    assert client.application.config.get("WTF_CSRF_ENABLED", True)
    login(role)
    route = ROUTES[(rule, "POST")]
    before = _fingerprint()
    response = client.post(route.url.format(**targets), data=route.body)
    assert response.status_code == 400
    assert _fingerprint() == before
    assert client.get(f"/shows/majlis/episodes/{targets['slug']}").status_code == 200


def _csrf_token(client: FlaskClient, url: str) -> str:
    page = lxml.html.fromstring(client.get(url).data)
    return page.xpath("//input[@name='csrf_token']/@value")[0]


def test_the_same_post_with_its_token_works(client, login, targets) -> None:
    # The control for the CSRF cases: the refusal above is about the token, nothing else.
    login("producer")
    token = _csrf_token(client, f"/admin/episodes/{targets['episode']}/edit")
    response = client.post(
        f"/admin/episodes/{targets['episode']}/unpublish", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert db.session.get(Episode, targets["episode"]).status == EpisodeStatus.DRAFT
    assert client.get(f"/shows/majlis/episodes/{targets['slug']}").status_code == 404


def test_logout_without_csrf_token_keeps_the_session(client, login, targets) -> None:
    login("producer")
    assert client.post("/logout").status_code == 400
    assert client.get("/admin/").status_code == 200


def test_login_without_csrf_token_does_not_log_in(client, make_user, targets) -> None:
    make_user("someone@example.org", "producer")
    response = client.post("/login", data={"email": "someone@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert _sent_to_login(client.get("/admin/"))


@pytest.mark.parametrize("role", ["producer", "admin"])
def test_a_session_cookie_does_not_open_the_api(client, login, targets, role) -> None:
    # The session is real (the admin opens) yet the API still asks for a token.
    login(role)
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/v1/episodes").status_code == 401


def test_a_valid_token_does_not_open_the_admin(client, api_token, targets) -> None:
    headers = api_token("producer")
    assert client.get("/api/v1/episodes", headers=headers).status_code == 200
    for url in ("/admin/", "/admin/show", f"/admin/episodes/{targets['episode']}/edit"):
        assert _sent_to_login(client.get(url, headers=headers)), url


# The admin area, page by page.

PAGES = [
    "/admin/",
    "/admin/episodes/new",
    "/admin/episodes/{episode}/edit",
    "/admin/episodes/{episode}/delete",
    "/admin/guests",
    "/admin/guests/new",
    "/admin/guests/{guest}/edit",
    "/admin/show",
    "/admin/users",
]
ADMIN_ONLY = {"/admin/users"}
ACTIONS = [
    "/admin/episodes/{episode}/unpublish",
    "/admin/episodes/{episode}/delete",
    "/admin/guests/{guest}/delete",
    "/admin/uploads/audio",
    "/admin/preview",
    "/admin/users/{user}/active",
]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_login(client, targets, url) -> None:
    response = client.get(url.format(**targets))
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


@pytest.mark.parametrize("url", ACTIONS)
def test_anonymous_actions_are_sent_to_login_and_change_nothing(client, targets, url) -> None:
    response = client.post(url.format(**targets), headers={"Referer": "https://localhost/"})
    if url in ("/admin/uploads/audio", "/admin/preview"):
        # Called by the form's scripts: a JSON 401 they can show instead of a redirect.
        assert response.status_code == 401
        assert "session has expired" in response.get_json()["error"]["message"]
    else:
        assert response.status_code == 302
        assert response.location.startswith("/login")
    assert client.get(f"/shows/majlis/episodes/{targets['slug']}").status_code == 200


@pytest.mark.parametrize("url", PAGES)
def test_producer_sees_everything_but_user_management(client, login, targets, url) -> None:
    login("producer")
    expected = 403 if url in ADMIN_ONLY else 200
    assert client.get(url.format(**targets)).status_code == expected


@pytest.mark.parametrize("url", PAGES)
def test_admin_sees_everything(client, login, targets, url) -> None:
    login("admin")
    assert client.get(url.format(**targets)).status_code == 200


def test_producer_cannot_change_accounts(client, login, no_csrf, targets) -> None:
    login("producer")
    assert (
        client.post(f"/admin/users/{targets['user']}/active", data={"active": "0"}).status_code
        == 403
    )
    create = client.post(
        "/admin/users", data={"email": "x@example.org", "password": "a" * 12, "role": "admin"}
    )
    assert create.status_code == 403


# The API: bearer tokens only, for both roles, on every route; errors as JSON.

# (method, path template, body kind, expected success status)
API_ROUTES = [
    ("GET", "/api/v1/episodes", None, 200),
    ("POST", "/api/v1/episodes", "episode-form", 201),
    ("GET", "/api/v1/episodes/{episode}", None, 200),
    ("PATCH", "/api/v1/episodes/{episode}", {"summary": "Changed"}, 200),
    ("DELETE", "/api/v1/episodes/{episode}", None, 204),
    ("GET", "/api/v1/guests", None, 200),
    ("POST", "/api/v1/guests", {"name": "New Guest"}, 201),
    ("GET", "/api/v1/guests/{guest}", None, 200),
    ("PATCH", "/api/v1/guests/{guest}", {"bio": "Changed"}, 200),
    ("DELETE", "/api/v1/guests/{guest}", None, 204),
    ("GET", "/api/v1/show", None, 200),
    ("PATCH", "/api/v1/show", {"subtitle": "Changed"}, 200),
]
CREDENTIALS = ["none", "bad", "producer", "admin"]


def _headers(credential: str, api_token: Any) -> dict[str, str]:
    if credential == "none":
        return {}
    if credential == "bad":
        return {"Authorization": "Bearer pod_not-a-real-token"}
    return api_token(credential)


def _call(client: Any, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    if body == "episode-form":
        return client.open(
            path,
            method=method,
            headers=headers,
            data=episode_form(),
            content_type="multipart/form-data",
        )
    if body is not None:
        return client.open(path, method=method, headers=headers, json=body)
    return client.open(path, method=method, headers=headers)


@pytest.mark.parametrize("credential", CREDENTIALS)
@pytest.mark.parametrize(
    ("method", "template", "body", "success"),
    API_ROUTES,
    ids=[f"{m} {t}" for m, t, _, _ in API_ROUTES],
)
def test_auth_matrix(client, api_token, targets, credential, method, template, body, success):
    headers = _headers(credential, api_token)
    response = _call(client, method, template.format(**targets), body, headers)
    if credential in ("none", "bad"):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.get_json()["error"]["code"] == "unauthorized"
    else:
        assert response.status_code == success, response.get_data(as_text=True)


def test_unauthorized_request_changes_nothing(client, targets):
    response = client.delete(f"/api/v1/episodes/{targets['episode']}")
    assert response.status_code == 401
    assert client.get("/api/v1/episodes/1").status_code == 401


@pytest.mark.parametrize(
    "value",
    [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer ",
        "Token abc",
        "bearer pod_nope",
        "Bearer " + "x" * 500,
    ],
)
def test_malformed_authorization_headers_are_401(client, targets, value):
    response = client.get("/api/v1/episodes", headers={"Authorization": value})
    assert response.status_code == 401
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_scheme_is_case_insensitive(client, targets, api_token):
    token = api_token("producer")["Authorization"].split(" ", 1)[1]
    response = client.get("/api/v1/episodes", headers={"Authorization": f"bearer {token}"})
    assert response.status_code == 200


def test_session_cookie_does_not_authenticate_the_api(client, targets, login):
    user = login("admin")
    with client.session_transaction() as session:
        assert session["_user_id"] == user.get_id()  # the cookie is a real login
    response = client.get("/api/v1/episodes")
    assert response.status_code == 401
    assert client.get("/api/v1/show").status_code == 401


def test_token_of_a_disabled_user_is_refused(client, targets, make_user):
    user = make_user("gone@example.org", "producer")
    token = create_token(db.session, user)
    user.active = False
    db.session.commit()
    response = client.get("/api/v1/episodes", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_no_csrf_token_needed_for_api_writes(app, client, targets, api_token):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/api/v1/guests", headers=api_token("producer"), json={"name": "X"})
    assert response.status_code == 201


def test_openapi_document_is_public(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.1")

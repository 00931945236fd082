"""Who may call what: every route the app has, by caller, on two shows; then CSRF.

The table must name each rule in url_map. Callers: anonymous, a wrong bearer token; a producer
who is a member of the target show, one who is a member of the other show only (the
outsider), and an admin, each logged in with the session cookie and with an API token. Public
routes are open to all; /admin/* needs a session (bearer tokens are for the API only) and admin
rights for user management; /api/v1/* needs a valid token (a session cookie alone is not
enough). A route that reaches one show (an episode, a job or a show by id or handle, or the
primary show's /api/v1/show, /api/v1/episodes, /admin/show) is run on both shows: the outsider
gets 404 with nothing of the show's episode in the body, and no page or answer the outsider
gets names it. A refused caller changes nothing. The admin area page by page and the API's
token rules are in test_access_pages.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from support.access import HOOK_URL, fingerprint
from support.api import episode_form
from support.auth import sign_in_as
from support.data import PASSWORD

from podcast.extensions import db
from podcast.models import ApiToken, Episode, EpisodeStatus, User
from podcast.services import accounts

PUBLIC, ADMIN, USERS, API, LOGOUT = "public", "admin", "users", "api", "logout"
MOVED = "moved"  # an address from before several shows: 301 to the show's own, for everyone
API_ADMIN = "api_admin"  # the API for admins only: a producer's token gets 403
WRONG_TOKEN = {"Authorization": "Bearer pod_wrong"}
CALLERS = [
    "anonymous", "wrong_token", "member_token", "outsider_token", "admin_token", "member",
    "outsider", "admin",
]  # fmt: skip
SESSIONS = {"member", "outsider", "admin"}
TOKENS = {"member_token", "outsider_token", "admin_token"}
# Routes that act on the primary show without naming it.
ON_PRIMARY = {"/api/v1/episodes", "/api/v1/show", "/admin/show"}
# Placeholders that name one show's thing: such routes run on both shows.
ONE_SHOW = ("{episode}", "{job}", "{handle}")


@dataclass(frozen=True)
class Route:
    """How to call one (rule, method): who may, which URL, and what body."""

    kind: str
    url: str
    body: Any = None

    @property
    def scoped(self) -> bool:
        """True when the route reaches one show: only its members and admins get through."""
        return self.url in ON_PRIMARY or any(mark in self.url for mark in ONE_SHOW)


# Every (rule, method) in app.url_map. A new route fails test_the_table_covers_every_route
# until it is added here with the access it should have.
ROUTES: dict[tuple[str, str], Route] = {
    ("/", "GET"): Route(PUBLIC, "/"),
    ("/episodes/<slug>", "GET"): Route(MOVED, "/episodes/{slug}"),
    ("/shows/<handle>/", "GET"): Route(PUBLIC, "/shows/{handle}/"),
    ("/shows/<handle>/feed.xml", "GET"): Route(MOVED, "/shows/majlis/feed.xml"),
    ("/shows/<handle>/episodes/<slug>", "GET"): Route(PUBLIC, "/shows/{handle}/episodes/{slug}"),
    ("/shows/<handle>/episodes/<slug>/chapters.json", "GET"): Route(
        PUBLIC, "/shows/{handle}/episodes/{slug}/chapters.json"
    ),
    ("/shows/<handle>/episodes/<slug>/transcript.vtt", "GET"): Route(
        PUBLIC, "/shows/{handle}/episodes/{slug}/transcript.vtt"
    ),
    ("/episodes/<slug>/chapters.json", "GET"): Route(PUBLIC, "/episodes/{slug}/chapters.json"),
    ("/shows/<handle>/episodes/<slug>/embed", "GET"): Route(
        PUBLIC, "/shows/{handle}/episodes/{slug}/embed"
    ),
    ("/episodes/<slug>/embed", "GET"): Route(MOVED, "/episodes/{slug}/embed"),
    ("/oembed", "GET"): Route(
        PUBLIC,
        "/oembed?url=https%3A%2F%2Fpodcast.example.org%2Fshows%2F{handle}%2Fepisodes%2F{slug}",  # noqa: E501
    ),
    ("/episodes/<slug>/transcript.vtt", "GET"): Route(PUBLIC, "/episodes/{slug}/transcript.vtt"),
    ("/guests/<slug>", "GET"): Route(PUBLIC, "/guests/{guest_slug}"),
    # A preview link opens without a login (a producer sends it to an editor).
    ("/preview/<token>", "GET"): Route(PUBLIC, "/preview/{preview_token}"),
    ("/feed.xml", "GET"): Route(PUBLIC, "/feed.xml"),
    ("/sitemap.xml", "GET"): Route(PUBLIC, "/sitemap.xml"),
    ("/robots.txt", "GET"): Route(PUBLIC, "/robots.txt"),
    ("/media/<path:key>", "GET"): Route(PUBLIC, "/media/{media_key}"),
    # The counting route: every enclosure of every feed (PODCAST_ANALYTICS).
    ("/d/<path:key>", "GET"): Route(PUBLIC, "/d/{media_key}"),
    ("/static/<path:filename>", "GET"): Route(PUBLIC, "/static/site.css"),
    ("/api/v1/openapi.json", "GET"): Route(PUBLIC, "/api/v1/openapi.json"),
    ("/login", "GET"): Route(PUBLIC, "/login"),
    ("/login", "POST"): Route(PUBLIC, "/login", {"email": "", "password": ""}),
    ("/login/forgot", "GET"): Route(PUBLIC, "/login/forgot"),
    ("/login/forgot", "POST"): Route(PUBLIC, "/login/forgot", {"email": "first@example.org"}),
    # The mailed links: anyone holding one may open it; a too-short password is refused.
    ("/login/reset/<token>", "GET"): Route(PUBLIC, "/login/reset/{reset_link}"),
    ("/login/reset/<token>", "POST"): Route(
        PUBLIC, "/login/reset/{reset_link}", {"password": "short"}
    ),
    ("/login/welcome/<token>", "GET"): Route(PUBLIC, "/login/welcome/{invite_link}"),
    ("/login/welcome/<token>", "POST"): Route(
        PUBLIC, "/login/welcome/{invite_link}", {"password": "short"}
    ),
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
    ("/admin/episodes/<int:episode_id>/normalize", "POST"): Route(
        ADMIN, "/admin/episodes/{episode}/normalize", {}
    ),
    ("/admin/uploads/audio", "POST"): Route(ADMIN, "/admin/uploads/audio", {}),
    # The outsider names the first show, not theirs: 404 (a new episode's show is in the body).
    ("/admin/episodes/new/autosave", "POST"): Route(
        ADMIN, "/admin/episodes/new/autosave", {"show": "majlis", "title": "Typed"}
    ),
    ("/admin/episodes/<int:episode_id>/autosave", "POST"): Route(
        ADMIN, "/admin/episodes/{episode}/autosave", {"title": "Typed"}
    ),
    ("/admin/episodes/new/autosave/discard", "POST"): Route(
        ADMIN, "/admin/episodes/new/autosave/discard", {"show": "majlis"}
    ),
    ("/admin/episodes/<int:episode_id>/autosave/discard", "POST"): Route(
        ADMIN, "/admin/episodes/{episode}/autosave/discard", {}
    ),
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
    ("/admin/shows", "GET"): Route(ADMIN, "/admin/shows"),
    ("/admin/shows/new", "GET"): Route(USERS, "/admin/shows/new"),
    ("/admin/shows/new", "POST"): Route(USERS, "/admin/shows/new", {"handle": "", "title": ""}),
    ("/admin/shows/<handle>", "GET"): Route(ADMIN, "/admin/shows/{handle}"),
    ("/admin/shows/<handle>", "POST"): Route(ADMIN, "/admin/shows/{handle}", {"title": ""}),
    ("/admin/shows/<handle>/archive", "POST"): Route(USERS, "/admin/shows/{handle}/archive", {}),
    ("/admin/shows/<handle>/unarchive", "POST"): Route(
        USERS, "/admin/shows/{handle}/unarchive", {}
    ),
    # The show still has its episode: refused with a sentence, nothing deleted.
    ("/admin/shows/<handle>/delete", "POST"): Route(USERS, "/admin/shows/{handle}/delete", {}),
    ("/admin/shows/<handle>/downloads", "GET"): Route(ADMIN, "/admin/shows/{handle}/downloads"),
    ("/admin/shows/<handle>/downloads/<name>.svg", "GET"): Route(
        ADMIN, "/admin/shows/{handle}/downloads/days.svg"
    ),
    ("/admin/shows/<handle>/downloads/<name>.csv", "GET"): Route(
        ADMIN, "/admin/shows/{handle}/downloads/episodes.csv"
    ),
    ("/admin/episodes/<int:episode_id>/downloads", "GET"): Route(
        ADMIN, "/admin/episodes/{episode}/downloads"
    ),
    ("/admin/episodes/<int:episode_id>/downloads/<name>.svg", "GET"): Route(
        ADMIN, "/admin/episodes/{episode}/downloads/countries.svg"
    ),
    ("/admin/episodes/<int:episode_id>/downloads/<name>.csv", "GET"): Route(
        ADMIN, "/admin/episodes/{episode}/downloads/apps.csv"
    ),
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
    ("/admin/users/invite", "POST"): Route(
        USERS, "/admin/users/invite", {"invite-email": "new@example.org", "invite-role": "admin"}
    ),
    ("/admin/users/<int:user_id>/active", "POST"): Route(
        USERS, "/admin/users/{user}/active", {"active": "0"}
    ),
    ("/admin/users/<int:user_id>/shows", "POST"): Route(
        USERS, "/admin/users/{user}/shows", {"show": "1"}
    ),
    ("/api/v1/episodes", "GET"): Route(API, "/api/v1/episodes"),
    ("/api/v1/episodes", "POST"): Route(API, "/api/v1/episodes", "episode-form"),
    ("/api/v1/episodes/<int:episode_id>", "GET"): Route(API, "/api/v1/episodes/{episode}"),
    ("/api/v1/episodes/<int:episode_id>", "PATCH"): Route(
        API, "/api/v1/episodes/{episode}", {"summary": "Changed"}
    ),
    ("/api/v1/episodes/<int:episode_id>", "DELETE"): Route(API, "/api/v1/episodes/{episode}"),
    ("/api/v1/episodes/<int:episode_id>/normalize", "POST"): Route(
        API, "/api/v1/episodes/{episode}/normalize", {}
    ),
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
    ("/api/v1/shows", "GET"): Route(API, "/api/v1/shows"),
    ("/api/v1/shows", "POST"): Route(
        API_ADMIN, "/api/v1/shows", {"handle": "new-show", "title": "New Show"}
    ),
    ("/api/v1/shows/<handle>", "GET"): Route(API, "/api/v1/shows/{handle}"),
    ("/api/v1/shows/<handle>", "PATCH"): Route(
        API, "/api/v1/shows/{handle}", {"subtitle": "Changed"}
    ),
    ("/api/v1/shows/<handle>/episodes", "GET"): Route(API, "/api/v1/shows/{handle}/episodes"),
    ("/api/v1/shows/<handle>/episodes", "POST"): Route(
        API, "/api/v1/shows/{handle}/episodes", "episode-form"
    ),
    ("/api/v1/episodes/<int:episode_id>/downloads", "GET"): Route(
        API, "/api/v1/episodes/{episode}/downloads"
    ),
    ("/api/v1/shows/<handle>/downloads", "GET"): Route(API, "/api/v1/shows/{handle}/downloads"),
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
    ("/admin/import", "GET"): Route(USERS, "/admin/import"),
    # Not an http(s) address: refused before anything is fetched.
    ("/admin/import", "POST"): Route(USERS, "/admin/import", {"url": "ftp://x", "step": "preview"}),
    ("/api/v1/imports", "POST"): Route(
        API_ADMIN, "/api/v1/imports", {"url": "https://old-host.example.com/feed.xml"}
    ),
    ("/api/v1/webhooks", "GET"): Route(API_ADMIN, "/api/v1/webhooks"),
    ("/api/v1/webhooks", "POST"): Route(API_ADMIN, "/api/v1/webhooks", {"url": HOOK_URL + "/2"}),
    ("/api/v1/webhooks/<int:webhook_id>", "GET"): Route(API_ADMIN, "/api/v1/webhooks/{webhook}"),
    ("/api/v1/webhooks/<int:webhook_id>", "DELETE"): Route(API_ADMIN, "/api/v1/webhooks/{webhook}"),
    ("/api/v1/webhooks/<int:webhook_id>/deliveries", "GET"): Route(
        API_ADMIN, "/api/v1/webhooks/{webhook}/deliveries"
    ),
}
# (rule, method, which show): a route reaching one show named in its URL runs on both.
CASES = sorted(
    (rule, method, which)
    for (rule, method), route in ROUTES.items()
    for which in (
        ("first", "second") if route.scoped and route.url not in ON_PRIMARY else ("first",)
    )
)


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


def _user(caller: str, which: str, network: dict[str, Any]) -> User | None:
    """The account behind the caller, for this target show."""
    other = "second" if which == "first" else "first"
    users = network["users"]
    role = caller.removesuffix("_token")
    if role == "member":
        return users[f"member_{which}"]
    if role == "outsider":
        return users[f"member_{other}"]
    return users["admin"] if role == "admin" else None


def _as(caller: str, which: str, client: FlaskClient, network: dict[str, Any]) -> dict[str, str]:
    """Make the client this caller; returns the headers its requests carry."""
    user = _user(caller, which, network)
    if caller in SESSIONS:
        sign_in_as(client, user)
        return {}
    if caller in TOKENS:
        return {"Authorization": f"Bearer {accounts.create_token(db.session, user)}"}
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
ADMIN_FETCH = {
    "/admin/uploads/audio",
    "/admin/preview",
    "/admin/episodes/new/autosave",
    "/admin/episodes/{episode}/autosave",
}


def _sent_to_login(response: Any) -> bool:
    return response.status_code == 302 and response.location.startswith("/login")


def _expect(route: Route, method: str, caller: str) -> str:
    """The outcome this caller must get: ok, login, forbidden, unauthorized, not_found, ..."""
    session = caller in SESSIONS
    outsider = caller.startswith("outsider")
    if route.kind == MOVED:
        return "moved"
    if route.kind == PUBLIC:
        if route.url == "/login" and method == "GET" and session:
            return "logged_in_home"  # a logged-in user is sent on to the dashboard
        return "ok"
    if route.kind == LOGOUT:
        return "ok" if session and method == "GET" else "login"
    if route.kind in (API, API_ADMIN):
        if caller not in TOKENS:
            return "unauthorized"
        if route.kind == API_ADMIN and caller != "admin_token":
            return "forbidden"
        return "not_found" if outsider and route.scoped else "ok"
    if not session and route.url in ADMIN_FETCH:
        return "session_expired"  # the form's scripts get JSON they can show, not a redirect
    if not session:
        return "login"  # bearer tokens, right or wrong, never open the admin
    if route.kind == USERS and caller != "admin":
        return "forbidden"
    return "not_found" if outsider and route.scoped else "ok"


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(
    ("rule", "method", "which"), CASES, ids=[f"{m} {r} {s}" for r, m, s in CASES]
)
def test_access(client, no_csrf, network, rule, method, which, caller) -> None:
    route = ROUTES[(rule, method)]
    ids = network[which]
    headers = _as(caller, which, client, network)
    before = fingerprint()
    response = _send(client, method, route, ids, headers)
    outcome = _expect(route, method, caller)
    status, body = response.status_code, response.data.decode(errors="replace")
    if outcome == "ok":
        if method == "GET" or route.kind in (API, API_ADMIN):
            assert 200 <= response.status_code < 300, (status, body[:300])
        else:  # a form post: saved (redirect), re-shown with errors, or refused as invalid
            refused = (401, 403, 404) if route.scoped else (401, 403)
            assert status < 500 and status not in refused, (status, body[:300])
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
    elif outcome == "not_found":
        assert status == 404, (status, body[:300])
    elif outcome == "session_expired":
        assert status == 401, (status, body[:300])
        assert "session has expired" in response.get_json()["error"]["message"]
    else:
        assert status == 401, (status, body[:300])
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.get_json()["error"]["code"] == "unauthorized"
    if caller.startswith("outsider") and route.kind != PUBLIC:
        # Nothing of the show the outsider is not a member of: not its episode, not its guid.
        assert ids["title"] not in body and ids["guid"] not in body, body[:300]
    cache = response.headers.get("Cache-Control", "")
    if route.kind in (ADMIN, USERS, API, API_ADMIN) and 200 <= status < 300:
        # What a session or a token sees must never sit in a shared cache.
        assert "no-store" in cache or "private" in cache, cache
    if "public" in cache:
        assert "Set-Cookie" not in response.headers, "a shared cache would keep a cookie"
    refused = ("login", "forbidden", "unauthorized", "session_expired", "not_found")
    if outcome in refused and route.kind != LOGOUT:
        assert fingerprint() == before, "a refused request changed something"


POST_ONLY_ADMIN = sorted(
    rule
    for (rule, method), route in ROUTES.items()
    if route.kind in (ADMIN, USERS) and method == "POST" and (rule, "GET") not in ROUTES
)


@pytest.mark.parametrize("rule", POST_ONLY_ADMIN)
def test_actions_refuse_get(client, no_csrf, login, targets, rule) -> None:
    login("admin")
    before = fingerprint()
    response = client.get(ROUTES[(rule, "POST")].url.format(**targets))
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert fingerprint() == before


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
    before = fingerprint()
    response = client.post(route.url.format(**targets), data=route.body)
    assert response.status_code == 400
    assert fingerprint() == before
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

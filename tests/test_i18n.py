"""Listener pages speak their show's language: every interface string translated (none left in
English), plurals right for 1, 2, 5 and 21, dates, sizes and numbers in the locale's form, a
missing translation read as English, and the feed's own words translated (English unchanged)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import lxml.html
import pytest
from babel import Locale
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from flask import g
from support.app import make_app

from podcast import i18n
from podcast.extensions import db
from podcast.services.shows import DIRECTORIES

TRANSLATIONS = Path(i18n.__file__).resolve().parent / "translations"
# The tag each show is given (what producers type), and the catalog that must answer.
SHOWS = {"en": "en", "ru": "ru", "kk": "kk", "uz": "uz-Latn", "tg": "tg", "ky": "ky"}
# Content written in each language, so that no English in the page can come from the content.
CONTENT = {
    "en": ("Silence", "Notes"),
    "ru": ("Тишина и безнаказанность", "Заметки выпуска"),
    "kk": ("Үнсіздік", "Жазбалар"),
    "uz": ("Sukunat", "Izohlar"),
    "tg": ("Хомӯшӣ", "Ёддоштҳо"),
    "ky": ("Унчукпоо", "Жазуулар"),
}
_PLACEHOLDER = re.compile(r"%\(\w+\)s|<[^>]+>")
_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder", "data-copied", "data-copy-failed")


def _catalog(language: str, domain: str = "messages"):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / f"{domain}.po", "rb") as po:
        return read_po(po, locale=language)


def _english_pieces(language: str) -> set[str]:
    """The English words of every msgid the language translates differently: what must not show."""
    pieces = set()
    for message in _catalog(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            if msgid in strings:  # the same word on purpose ("Bonus" in Uzbek, "MB")
                continue
            for piece in _PLACEHOLDER.split(msgid):
                piece = piece.strip(" ,.:;()“”←→·")
                if re.search(r"[A-Za-z]{2}", piece):
                    pieces.add(piece)
    return pieces


def _visible_text(html: str) -> str:
    """What a person (or a screen reader) gets: text nodes plus the attributes read aloud."""
    tree = lxml.html.fromstring(html)
    for script in tree.iter("script", "style", "code"):  # code is typed as shown
        script.drop_tree()
    for verbatim in tree.xpath("//*[@translate='no']"):  # so is the embed code (HTML to paste)
        verbatim.drop_tree()
    for select in tree.iter("select"):  # Apple's category names are Apple's own (English) list
        if (select.get("name") or "").startswith("categories"):
            for option in select.iter("option"):
                if option.get("value"):
                    option.drop_tree()
    parts = [tree.text_content()]
    for element in tree.iter():
        parts += [element.get(name) for name in _ATTRIBUTES if element.get(name)]
        if element.tag == "meta" and element.get("property") == "og:image:alt":
            parts.append(element.get("content"))
    return "\n".join(parts)


def _english_left(text: str, language: str) -> list[str]:
    return sorted(
        piece
        for piece in _english_pieces(language)
        if re.search(rf"(?<![A-Za-z]){re.escape(piece)}(?![A-Za-z])", text)
    )


@pytest.fixture
def localized(show, make_guest, make_episode):
    """Set the show's language; returns the pages to read (home, episode, guest, search, 404)."""

    def pages(language: str) -> dict[str, str]:
        title, notes = CONTENT[language]
        show.language = SHOWS[language]
        show.title, show.description, show.subtitle = title, notes, title
        show.funding_url = "https://example.org/give"
        db.session.commit()
        first = make_guest(f"{title} Один")
        second = make_guest(f"{title} Два")
        episode = make_episode(
            title=title,
            description=notes,
            summary=notes,
            season=2,
            number=14,
            episode_type="bonus",
            guests=[first.id, second.id],
            publish_at="2026-11-24T10:00:00Z",
        )
        make_episode(title=f"{title} 2", guests=[first.id], publish_at="2026-11-25T10:00:00Z")
        return {
            "home": "/",
            "episode": f"/shows/{show.handle}/episodes/{episode.slug}",
            "embed": f"/shows/{show.handle}/episodes/{episode.slug}/embed",
            "guest": f"/guests/{first.slug}",
            "search": "/?q=zzzz",
            "missing": f"/shows/{show.handle}/episodes/none",
            "page": "/?page=9",
        }

    return pages


@pytest.mark.parametrize("language", [lang for lang in SHOWS if lang != "en"])
def test_a_listener_page_in_the_shows_language_has_no_english_left(client, localized, language):
    for name, path in localized(language).items():
        response = client.get(path)
        assert response.status_code in (200, 404), (name, response.status_code)
        body = response.get_data(as_text=True)
        assert f'<html lang="{SHOWS[language]}">' in body, name
        assert _english_left(_visible_text(body), language) == [], name


def test_the_english_show_keeps_its_english_words(client, localized):
    body = client.get(localized("en")["episode"]).get_data(as_text=True)
    for words in ("Skip to content", "Download the audio", "Season 2, Episode 14", "Bonus"):
        assert words in body
    assert "24 November 2026" in body
    assert "With <a" in body and "</a> and <a" in body


def test_every_catalog_translates_every_message(app):
    for language in SHOWS:
        if language == "en":
            continue
        untranslated = [
            message.id
            for message in _catalog(language)
            if message.id
            and not all(message.string if isinstance(message.string, tuple) else [message.string])
        ]
        assert untranslated == [], language
    for message in _catalog("ru", "admin"):
        if message.id:
            strings = message.string if isinstance(message.string, tuple) else [message.string]
            assert all(strings), message.id


def test_each_catalog_states_cldr_plural_rules(app):
    order = ["zero", "one", "two", "few", "many", "other"]
    for language in [*SHOWS, "ru:admin"]:
        language, _, domain = language.partition(":")
        catalog = _catalog(language, domain or "messages")
        rule = Locale.parse(language).plural_form
        categories = [c for c in order if any(rule(n) == c for n in range(0, 1000))]
        assert catalog.num_plurals == len(categories), language
        plural = _gettext_plural(catalog.plural_expr)
        for n in range(0, 1000):
            assert plural(n) == categories.index(rule(n)), (language, n)


def _gettext_plural(expression: str):
    """The C expression of a Plural-Forms header as a Python function of n."""
    from gettext import c2py

    return c2py(expression)


EPISODE_COUNTS = {
    "en": ["1 episode", "2 episodes", "5 episodes", "21 episodes"],
    "ru": ["1 выпуск", "2 выпуска", "5 выпусков", "21 выпуск"],
    "kk": ["1 шығарылым", "2 шығарылым", "5 шығарылым", "21 шығарылым"],
    "uz": ["1 ta qism", "2 ta qism", "5 ta qism", "21 ta qism"],
    "tg": ["1 қисм", "2 қисм", "5 қисм", "21 қисм"],
    "ky": ["1 чыгарылыш", "2 чыгарылыш", "5 чыгарылыш", "21 чыгарылыш"],
}


def test_a_guests_episode_count_takes_the_right_plural_for_1_2_5_and_21(
    client, show, make_guest, make_episode
):
    guests = {count: make_guest(f"Гость {count}") for count in (1, 2, 5, 21)}
    for index in range(21):
        make_episode(
            title=f"Выпуск {index}",
            guests=[guest.id for count, guest in guests.items() if index < count],
        )
    for language, expected in EPISODE_COUNTS.items():
        show.language = SHOWS[language]
        db.session.commit()
        for (count, guest), words in zip(guests.items(), expected, strict=True):
            body = client.get(f"/guests/{guest.slug}").get_data(as_text=True)
            assert f'<p class="muted">{words}</p>' in body, (
                language,
                count,
                re.findall(r"muted\">[^<]*<", body),
            )


DATES = {
    "en": "24 November 2026",
    "ru": "24 ноября 2026 г.",
    "kk": "2026 ж. 24 қараша",
    "uz": "24-noyabr, 2026",
    "tg": "24 Ноябр 2026",
    "ky": "2026-ж., 24-ноябрь",
}


@pytest.mark.parametrize("language", list(SHOWS))
def test_dates_and_sizes_are_written_the_locales_way(client, show, make_episode, language):
    show.language = SHOWS[language]
    db.session.commit()
    episode = make_episode(publish_at="2026-11-24T10:00:00Z")
    body = client.get(f"/shows/{show.handle}/episodes/{episode.slug}").get_data(as_text=True)
    body = body.replace("\u202f", " ").replace("\u00a0", " ")
    assert DATES[language] in body
    size_bytes = episode.audio.size_bytes
    assert 1_000 <= size_bytes < 1_000_000_000  # the sample: KB or MB
    size = size_bytes / (1_000_000 if size_bytes >= 1_000_000 else 1_000)
    whole, tenth = f"{size:.1f}".split(".")
    separator = "." if language == "en" else ","
    assert f"{whole}{separator}{tenth} " in body, language


def test_numbers_follow_the_locale(app):
    with app.test_request_context("/"):
        app.preprocess_request()
        g.page_show = SimpleNamespace(language="ru")
        assert i18n.format_number(1234567) == "1\u00a0234\u00a0567"
        assert i18n.format_size(1_450_000) == "1,4 МБ"
        assert i18n.format_size(3) == "3 байта"
    with app.test_request_context("/"):
        app.preprocess_request()
        g.page_show = SimpleNamespace(language="en")
        assert i18n.format_number(1234567) == "1,234,567"
        assert i18n.format_size(1_450_000) == "1.4 MB"
        assert i18n.format_size(1) == "1 byte"


def test_the_page_show_in_g_chooses_the_language_before_the_current_show(app, show):
    with app.test_request_context("/"):
        assert i18n.select_locale() == "en"
    with app.test_request_context("/"):
        app.preprocess_request()
        g.page_show = SimpleNamespace(language="ky")
        assert i18n.select_locale() == "ky"


@pytest.mark.parametrize(
    ("tag", "locale"),
    [("ru", "ru"), ("ru-KZ", "ru"), ("uz-Latn", "uz"), ("uz_Latn_UZ", "uz"), ("KK", "kk"),
     ("tg-TJ", "tg"), ("ky", "ky"), ("tk", "en"), ("de-DE", "en"), ("", "en"), (None, "en")],
)  # fmt: skip
def test_a_language_tag_maps_to_the_nearest_shipped_locale(tag, locale):
    assert i18n.nearest_locale(tag) == locale


def test_a_show_in_an_unshipped_language_gets_english_words(client, show):
    show.language = "tk"
    db.session.commit()
    body = client.get("/").get_data(as_text=True)
    assert '<html lang="tk">' in body and "Subscribe" in body and 'hreflang="tk"' in body


def test_pages_name_their_language_for_alternates(client, show):
    show.language = "uz-Latn"
    db.session.commit()
    body = client.get("/").get_data(as_text=True)
    assert '<link rel="alternate" hreflang="uz-Latn" href="https://podcast.example.org/">' in body
    assert 'type="application/rss+xml" hreflang="uz-Latn"' in body


def test_a_missing_translation_reads_as_english(tmp_path, _postgres_schema):
    # A Russian catalog that lacks one sentence: that sentence is English, the rest Russian.
    pruned = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, pruned)
    po = pruned / "ru" / "LC_MESSAGES" / "messages.po"
    with open(po, "rb") as source:
        catalog = read_po(source, locale="ru")
    catalog.delete("Feed address for any podcast app")
    with open(po.with_suffix(".mo"), "wb") as target:
        write_mo(target, catalog)
    directories = f"{pruned};{pruned}"
    app = make_app(tmp_path / "app", _postgres_schema, BABEL_TRANSLATION_DIRECTORIES=directories)
    with app.app_context():
        if _postgres_schema is None:
            db.create_all()
        from support.data import SHOW_SETTINGS

        from podcast.services.shows import create_show

        create_show(db.session, {**SHOW_SETTINGS, "language": "ru"}, "https://x.example/feed.xml")
        body = app.test_client().get("/").get_data(as_text=True)
        db.session.remove()
        if _postgres_schema is not None:
            from support.app import truncate_all

            truncate_all()
    assert "Feed address for any podcast app" in body
    assert "Подписаться" in body and "Subscribe" not in body


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def test_the_committed_mo_files_are_compiled_from_the_po_files():
    for po in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/*.po")):
        with open(po, "rb") as source:
            expected = {
                _hashable(m.id): _hashable(m.string)
                for m in read_po(source)
                if m.id and not m.fuzzy and all(m.string if m.pluralizable else [m.string])
            }
        with open(po.with_suffix(".mo"), "rb") as compiled:
            found = {_hashable(m.id): _hashable(m.string) for m in read_mo(compiled) if m.id}
        # pybabel writes an untranslated plural as its English forms: the same as no entry.
        found = {k: v for k, v in found.items() if v != k or k in expected}
        assert found == expected, f"{po}: run make translations"


def test_the_feeds_own_words_are_in_its_language(client, show):
    show.funding_url = "https://example.org/give"
    show.funding_label = ""
    db.session.commit()
    assert (
        b'<podcast:funding url="https://example.org/give">Support the show<'
        in client.get("/feed.xml").data
    )
    show.language = "kk"
    show.revision += 1
    db.session.commit()
    feed = client.get("/feed.xml").get_data(as_text=True)
    assert "<language>kk</language>" in feed
    assert ">Подкастқа қолдау көрсету</podcast:funding>" in feed


def _admin_english_left(text: str) -> list[str]:
    pieces = set()
    for message in _catalog("ru", "admin"):
        if message.id and message.string != message.id:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            for each in ids:
                parts = _PLACEHOLDER.split(each)
                for piece in parts:
                    piece = piece.strip(" ,.:;()“”←→·…'")
                    # A lone word left between placeholders ("episode %(number)s") is too
                    # common to tell English words from names, MIME types and file names.
                    if len(parts) > 1 and " " not in piece:
                        continue
                    if re.search(r"[A-Za-z]{3}", piece):
                        pieces.add(piece)
    return sorted(p for p in pieces if re.search(rf"(?<![A-Za-z]){re.escape(p)}(?![A-Za-z])", text))


ADMIN_PAGES = [
    "/admin/",
    "/admin/account",
    "/admin/episodes/new",
    "/admin/episodes/{episode}/edit",
    "/admin/episodes/{episode}/delete",
    "/admin/guests",
    "/admin/guests/{guest}/edit",
    "/admin/show",
    "/admin/show/webhooks",
    "/admin/shows",
    "/admin/shows/new",
    "/admin/jobs",
    "/admin/users",
    "/admin/tokens",
]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_the_admin_speaks_russian_to_a_user_who_chose_it(
    client, show, login, make_guest, make_episode, path
):
    user = login(role="admin", email="editor@example.org")
    user.locale = "ru"
    db.session.commit()
    guest = make_guest("Дилфуза Куролова")
    episode = make_episode(title="Тишина", guests=[guest.id], season=1, number=2)
    response = client.get(path.format(episode=episode.id, guest=guest.id))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert '<html lang="ru">' in body
    assert "Выпуски" in body  # the admin's menu
    text = _visible_text(body)
    for brand in DIRECTORIES.values():  # "Podcast Index", "Apple Podcasts": names, not words
        text = text.replace(brand, "")
    text = re.sub(r"https?://\S+", "", text)  # addresses shown as text are not words
    assert _admin_english_left(text) == [], path


def test_the_admin_stays_english_for_a_user_who_did_not_choose(client, show, login):
    login(role="admin")
    body = client.get("/admin/").get_data(as_text=True)
    assert '<html lang="en">' in body and "New episode" in body


def test_a_user_chooses_russian_on_the_account_page_and_keeps_it(client, show, login, no_csrf):
    user = login()
    response = client.post("/admin/account/language", data={"locale": "ru"})
    assert response.status_code == 302
    assert db.session.get(type(user), user.id).locale == "ru"
    page = client.get("/admin/account").get_data(as_text=True)
    assert "Страницы администрирования теперь на выбранном вами языке." in page
    assert '<option selected value="ru">Русский</option>' in page
    # A language not offered is refused with a sentence; the choice made stays.
    assert client.post("/admin/account/language", data={"locale": "de"}).status_code == 302
    assert db.session.get(type(user), user.id).locale == "ru"
    # ... in the user's language: the service's sentence is translated by the view.
    assert "Выберите один из предложенных языков" in client.get("/admin/account").get_data(
        as_text=True
    )


def test_the_log_in_page_follows_the_browser_between_english_and_russian(client, show):
    russian = client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert "Войти" in russian.get_data(as_text=True)
    assert '<html lang="ru">' in russian.get_data(as_text=True)
    kazakh = client.get("/login", headers={"Accept-Language": "kk,de;q=0.8"})
    assert "Log in" in kazakh.get_data(as_text=True)


def test_a_listener_page_keeps_its_shows_language_for_a_russian_admin(client, show, login):
    user = login()
    user.locale = "ru"
    db.session.commit()
    assert "Subscribe" in client.get("/").get_data(as_text=True)


def test_translated_select_labels_keep_their_values(client, show, login):
    # Lazy labels in a dict made WTForms read the choices as option groups: no option left.
    user = login(role="admin", email="editor@example.org")
    user.locale = "ru"
    db.session.commit()
    body = client.get("/admin/episodes/new").get_data(as_text=True)
    assert '<option selected value="full">Полный выпуск</option>' in body
    assert '<option value="bonus">Бонус</option>' in body
    users = client.get("/admin/users").get_data(as_text=True)
    assert '<option value="producer">Продюсер</option>' in users

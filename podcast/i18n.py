"""Languages: which locale a request is served in, and numbers, dates and sizes for it.

Listener pages speak their show's language (the show a view put in `g.page_show`, else the
current show), mapped to the nearest shipped catalog, else English. The admin and log-in pages
speak the signed-in user's `locale`, else the browser's best match among ADMIN_LOCALES. The
catalogs live in podcast/translations/ (msgids are the English text, so a missing translation
reads as English); `make translations` re-extracts and compiles them.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import overload

from babel import Locale
from babel.dates import format_date as babel_date
from babel.lists import format_list as babel_list
from babel.numbers import format_decimal
from flask import Flask, g, has_request_context, request
from flask_babel import Babel, force_locale, get_locale, gettext, lazy_gettext, ngettext, refresh
from flask_login import current_user
from markupsafe import Markup, escape

from podcast import current
from podcast.feed.build import FeedWords
from podcast.services.accounts import ADMIN_LOCALE_NAMES
from podcast.wording import Sentence

# Views and forms take gettext from here: Flask-Babel stays behind this module.
__all__ = ["gettext", "lazy_gettext", "ngettext"]

DEFAULT_LOCALE = "en"
LISTENER_LOCALES = ("en", "ru", "kk", "uz", "tg", "ky")
ADMIN_LOCALES = tuple(ADMIN_LOCALE_NAMES)
# The producers' side: these paths speak the user's language, not the show's.
_ADMIN_PREFIXES = ("/admin", "/login", "/logout")
# English keeps the newsroom's "24 November 2026" and "A, B and C"; the others take CLDR's.
_DATE_PATTERNS = {"en": "d MMMM y"}
_LIST_LOCALES = {"en": "en_GB"}


def nearest_locale(tag: str | None, shipped: tuple[str, ...] = LISTENER_LOCALES) -> str:
    """The shipped locale for a BCP 47 tag ("uz-Latn" -> "uz", "ru-KZ" -> "ru"), else English."""
    primary = (tag or "").strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in shipped else DEFAULT_LOCALE


def listener_locale() -> str:
    """The locale of a listener page: its show's language (g.page_show, else the current show)."""
    show = g.get("page_show") or current.show()
    return nearest_locale(show.language) if show is not None else DEFAULT_LOCALE


def admin_locale() -> str:
    """The signed-in user's locale; before log-in, the browser's best match (en or ru)."""
    if current_user and current_user.is_authenticated:
        return nearest_locale(getattr(current_user, "locale", None), ADMIN_LOCALES)
    return request.accept_languages.best_match(ADMIN_LOCALES, default=DEFAULT_LOCALE)


def select_locale() -> str:
    """Flask-Babel's locale selector: the admin's language or the show's, English for the API."""
    if not has_request_context():
        return DEFAULT_LOCALE
    path = request.path
    if request.blueprint in {"admin", "auth"} or path.startswith(_ADMIN_PREFIXES):
        return admin_locale()
    if request.blueprint == "api" or path.startswith("/api/"):
        return DEFAULT_LOCALE
    return listener_locale()


def refresh_locale() -> None:
    """Choose the locale again (the user just changed theirs)."""
    refresh()


def locale_code() -> str:
    """The request's locale as a language tag (for <html lang>, hreflang)."""
    locale = get_locale()
    return str(locale).replace("_", "-") if locale is not None else DEFAULT_LOCALE


def _locale() -> Locale:
    return get_locale() or Locale.parse(DEFAULT_LOCALE)


def format_day(local: datetime) -> str:
    """A date for people in the request's locale: '24 November 2026', '24 ноября 2026 г.'."""
    locale = _locale()
    return babel_date(local, _DATE_PATTERNS.get(str(locale), "long"), locale=locale)


def format_short_day(day: date) -> str:
    """A day in few characters for a chart's axis: '24 Nov', '24 нояб.'."""
    return babel_date(day, "d MMM", locale=_locale())


def territory_name(code: str) -> str:
    """A country's name in the request's locale from its ISO 3166 code ('KZ' -> 'Kazakhstan');
    the code itself when the locale has no name for it."""
    return str(_locale().territories.get(code.upper(), code)) if code else ""


def format_number(value: float, places: int = 0) -> str:
    """A number in the request's locale: '1,234.5', '1 234,5'."""
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(value, format=pattern, locale=_locale())


def format_size(size: int) -> str:
    """A byte count for people in the request's locale: '1.4 MB', '1,4 МБ', '512 bytes'."""
    value = float(size)
    units = (gettext("KB"), gettext("MB"), gettext("GB"))
    if value < 1000:
        return ngettext("%(size)s byte", "%(size)s bytes", size, size=format_number(size))
    for unit in units:
        value /= 1000
        if value < 1000 or unit == units[-1]:
            return f"{format_number(value, 1)} {unit}"
    return ""  # not reached: the last unit always answers


def format_list(items: Iterable[str]) -> Markup:
    """Items (HTML already escaped, or plain text) joined as the locale joins a list."""
    locale = str(_locale())
    escaped = [str(escape(item)) for item in items]
    return Markup(babel_list(escaped, locale=_LIST_LOCALES.get(locale, locale)))


@overload
def translate(text: str) -> str: ...
@overload
def translate(text: object) -> object: ...
def translate(text: object) -> object:
    """A service's Sentence in the request's language (its values too); anything else as it is."""
    if not isinstance(text, Sentence):
        return text
    values = {name: translate(value) for name, value in text.values.items()}
    if text.plural is not None and text.number is not None:
        return ngettext(text.template, text.plural, text.number, **values)
    return gettext(text.template, **values) if values else gettext(text.template)


def speaking(locale: str | None) -> AbstractContextManager[None]:
    """Translate in this admin locale (a mail to a user in theirs) for the `with` block."""
    return force_locale(nearest_locale(locale, ADMIN_LOCALES))


def feed_words(language: str | None) -> FeedWords:
    """The words the service writes into a feed, in the feed's language (feed/ has no Flask)."""
    with force_locale(nearest_locale(language)):
        return FeedWords(untitled=gettext("Podcast"), support=gettext("Support the show"))


def configure(app: Flask) -> None:
    """Flask-Babel with the shipped catalogs; each request chooses its locale afresh."""
    # Two catalogs merged: the producers' (en, ru) and the listeners' (six languages). The
    # listeners' comes last on purpose: Flask-Babel takes the plural rule from the last catalog
    # loaded, and only this one exists for every shipped locale.
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations;translations")
    app.config.setdefault("BABEL_DOMAIN", "admin;messages")
    Babel(app, default_locale=DEFAULT_LOCALE, locale_selector=select_locale)
    # Tests run many requests in one app context: nothing chosen for the last one carries over.
    app.before_request(refresh)
    # A Sentence that reaches a template unconverted (an error passed straight to render) still
    # reads in the page's language; everything else passes untouched.
    app.jinja_env.finalize = translate
    app.jinja_env.globals.update(
        locale_code=locale_code,
        format_number=format_number,
        format_list=format_list,
        translate=translate,
    )

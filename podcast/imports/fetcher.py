"""What the importer needs from the fetching and parsing layer, in one place: the real one
(podcast.imports.fetch and parse), or another that tests hand in."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from podcast.errors import ConfigError
from podcast.imports.source import SourceChapter, SourceShow


@dataclass(frozen=True)
class Fetcher:
    """read_source(url, *, allow_private, progress=None) -> SourceShow;
    download_to(url, fileobj, *, allow_private, max_bytes, progress=None) -> Downloaded;
    fetch_small(url, *, allow_private, max_bytes) -> Fetched (.body);
    parse_chapters_json(body) -> [SourceChapter]. Each raises a PodcastError with a sentence."""

    read_source: Callable[..., SourceShow]
    download_to: Callable[..., Any]
    fetch_small: Callable[..., Any]
    parse_chapters_json: Callable[[bytes], list[SourceChapter]]


def _find(name: str, modules: tuple[str, ...]) -> Callable[..., Any]:
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        found = getattr(module, name, None)
        if found is not None:
            return found
    raise ConfigError(f"This installation has no {name} (in {', '.join(modules)}).")


def _later(name: str, *modules: str) -> Callable[..., Any]:
    """The function, found when first called (the fetching layer is imported only then)."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return _find(name, modules)(*args, **kwargs)

    return call


def default_fetcher() -> Fetcher:
    """The service's own fetching (address guard, limits) and parsing."""
    parse = ("podcast.imports.reader", "podcast.imports.parse")
    return Fetcher(
        read_source=_later("read_source", *parse),
        download_to=_later("download_to", "podcast.imports.fetch"),
        fetch_small=_later("fetch_small", "podcast.imports.fetch"),
        parse_chapters_json=_later("parse_chapters_json", "podcast.imports.parse"),
    )

"""Items merged by guid, within a document and across the pages of a paged feed."""

from __future__ import annotations

from podcast.imports.source import SourceEpisode
from podcast.wording import say


def keep_first(
    episodes: list[SourceEpisode], seen: dict[str, str], reported: set[str]
) -> tuple[list[SourceEpisode], list[str]]:
    """Episodes whose guid is not in seen (guid -> title), and a sentence per guid repeated."""
    kept: list[SourceEpisode] = []
    problems: list[str] = []
    for episode in episodes:
        if episode.guid not in seen:
            seen[episode.guid] = episode.title
            kept.append(episode)
        elif episode.guid not in reported:
            reported.add(episode.guid)
            problems.append(
                say(
                    "The guid %(guid)s appears on more than one item of the feed; the first"
                    " (\u201c%(title)s\u201d) was kept.",
                    guid=episode.guid,
                    title=seen[episode.guid],
                )
            )
    return kept, problems

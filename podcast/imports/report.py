"""What an import found and did: counts, sentences for people, one entry per episode."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from podcast.wording import Sentence, records, say

# The source's figures are "wrong" past these: a little rounding is not worth a line.
LENGTH_TOLERANCE = 0.01  # of the file's size
DURATION_TOLERANCE_SECONDS = 2.0
DURATION_TOLERANCE = 0.01  # of the file's duration


@dataclass
class Report:
    """Counts, report lines (Sentences, for the admin's languages) and per-episode entries."""

    episodes: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    lines: list[str] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)

    def line(self, sentence: str) -> None:
        """Add one sentence (once)."""
        if sentence not in self.lines:
            self.lines.append(sentence)

    def entry(self, guid: str, title: str, outcome: str, message: str = "") -> None:
        """Record what happened to one episode: imported, updated, unchanged or failed."""
        self.entries.append(
            {"guid": guid, "title": title, "outcome": outcome, "message": str(message)}
        )

    def counts(self) -> dict[str, int]:
        """The figures, by name."""
        return {
            "episodes": self.episodes, "imported": self.imported, "updated": self.updated,
            "unchanged": self.unchanged, "failed": self.failed,
        }  # fmt: skip

    def summary(self) -> Sentence:
        """One sentence: what the run did."""
        return say(
            "%(imported)s imported, %(updated)s updated, %(unchanged)s unchanged, "
            "%(failed)s failed, of %(episodes)s episodes.",
            **self.counts(),
        )

    def as_json(self) -> dict[str, Any]:
        """The report as stored: lines with their wording, and the entries."""
        lines = [self.summary(), *self.lines]
        return {
            "lines": [str(line) for line in lines],
            "lines_wording": records(lines),
            "episodes": self.entries,
        }


def size_text(size: int | float) -> str:
    """Bytes for people: 1.2 GB, 340 MB, 12 KB."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{int(size)} B"


def length_wrong(claimed: int | None, measured: int) -> bool:
    """True when the feed's enclosure length was off by more than a little."""
    return claimed is not None and abs(claimed - measured) > max(LENGTH_TOLERANCE * measured, 1)


def duration_wrong(claimed: float | None, measured: float | None) -> bool:
    """True when the feed's itunes:duration was off by more than a little."""
    if claimed is None or measured is None:
        return False
    return abs(claimed - measured) > max(DURATION_TOLERANCE_SECONDS, DURATION_TOLERANCE * measured)

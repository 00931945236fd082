"""The sample files, the test password and the show every test starts from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SAMPLE_MP3 = FIXTURES / "majlis-sample-episode.mp3"
COVER = FIXTURES / "majlis-cover-1400.jpg"
PASSWORD = "correct horse battery"
SHOW_SETTINGS: dict[str, Any] = {
    "title": "Majlis",
    "description": "RFE/RL's weekly podcast on Central Asia.",
    "author": "RFE/RL",
    "owner_name": "RFE/RL Podcasts",
    "owner_email": "podcasts@example.org",
    "language": "en",
    "timezone": "Europe/Prague",
    "categories": ["News > Politics"],
    "website": "https://www.rferl.org/podcast/majlis",
    "hosts": [{"name": "Bruce Pannier", "role": "host"}],
}

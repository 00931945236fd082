"""Uploaded file parts, written once: Werkzeug streams each part into the upload pipeline's
Receiver, which hashes it, stages it in the storage's temp area and, for episode audio, already
sends it to storage as it arrives (services.uploads)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Request
from werkzeug.exceptions import HTTPException

from podcast import current
from podcast.extensions import db
from podcast.services import queries
from podcast.services.uploads import Receiver
from podcast.views.multipart import PodcastFormDataParser


class ReceivedFile(Receiver):
    """Where Werkzeug writes an uploaded file (services.uploads.Receiver); without storage
    (outside a request) it is only staged and hashed."""


class PodcastRequest(Request):
    """Requests whose uploaded files land straight in the upload pipeline (and, for audio, in
    storage as they arrive), and whose multipart errors say what went wrong."""

    form_data_parser_class = PodcastFormDataParser

    def _load_form_data(self) -> None:
        try:
            super()._load_form_data()
        except HTTPException:
            # The body is spent: whoever reads the form next (an error page) finds it empty
            # instead of parsing nothing and failing again.
            self.__dict__["form"] = self.parameter_storage_class()
            self.__dict__["files"] = self.parameter_storage_class()
            raise

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> Any:
        received = ReceivedFile(current.storage(), self._upload_guid)
        # Kept until the request ends, even a part the parser dropped (a body cut short), so
        # that close() aborts what it already sent to storage.
        self.__dict__.setdefault("_received", []).append(received)
        return received

    def _upload_guid(self) -> str:
        """The guid in the key of audio on its way to storage: the episode's when the URL names
        it (an edit, a replacement), else a new one, which the new episode then takes."""
        raw = (self.view_args or {}).get("episode_id", self.args.get("episode_id", ""))
        if isinstance(raw, int) or (
            isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) < 11
        ):
            guid = queries.episode_guid(db.session, int(raw))
            if guid is not None:
                return guid
        return str(uuid.uuid4())

    def close(self) -> None:
        """Close the uploaded files: their staging files go, unstored uploads are aborted."""
        try:
            super().close()
        finally:
            for received in self.__dict__.pop("_received", []):
                received.close()

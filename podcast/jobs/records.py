"""The job table: one row per piece of background work, the truth a producer sees."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from podcast.extensions import Model
from podcast.models import UTCDateTime, enum_column, utcnow
from podcast.wording import Sentence, record, records, revive, revive_all, say

KIND_MAX = 64
DEDUPE_KEY_MAX = 200
MESSAGE_MAX = 500
WAITING = say("Waiting for a worker.")


class JobState(enum.StrEnum):
    """Where a job stands; done, failed and cancelled are final (a failed job can be retried)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL_STATES = (JobState.DONE, JobState.FAILED, JobState.CANCELLED)
# Each state as people read it (the jobs page, its script and the service's sentences).
STATE_WORDS: dict[JobState, Sentence] = {
    JobState.QUEUED: say("queued"),
    JobState.RUNNING: say("running"),
    JobState.DONE: say("done"),
    JobState.FAILED: say("failed"),
    JobState.CANCELLED: say("cancelled"),
}


class Job(Model):
    """One job: what to do (kind, payload), how it went (state, progress, result, error)."""

    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_state_available_at", "state", "available_at"),
        Index("ix_job_show_id_id", "show_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(KIND_MAX))
    show_id: Mapped[int | None] = mapped_column(ForeignKey("show.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # At most one job per key (e.g. "check:2026-11-25"): periodic work on several hosts runs once.
    dedupe_key: Mapped[str | None] = mapped_column(String(DEDUPE_KEY_MAX), unique=True)
    state: Mapped[JobState] = mapped_column(
        enum_column(JobState, "job_state"), default=JobState.QUEUED
    )
    progress: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(MESSAGE_MAX), default=str(WAITING))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str] = mapped_column(Text, default="")
    # The English texts above stay what the API and the logs read; these records of their
    # sentences (podcast.wording.record) let the admin show them in the producer's language.
    message_wording: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, default=lambda: record(WAITING)
    )
    error_wording: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result_wording: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    # Not to be started before this (retries back off).
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A running job whose lease has passed lost its worker.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Which worker thread holds the running job ("host:pid:random"); its updates name it.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    # Set once the queue took the message; unset rows are handed by the sweeper (the outbox).
    handed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_final(self) -> bool:
        """True once the job is done, failed or cancelled."""
        return self.state in FINAL_STATES

    @property
    def message_sentence(self) -> str:
        """The message, as a Sentence when its words were recorded."""
        return revive(self.message, self.message_wording)

    @property
    def error_sentence(self) -> str:
        """The error, as a Sentence when its words were recorded."""
        return revive(self.error, self.error_wording)

    @property
    def report_lines(self) -> list[str]:
        """The report lines of a result that has them, as Sentences where recorded."""
        lines = (self.result or {}).get("lines")
        if not isinstance(lines, list):
            return []
        kept = (self.result_wording or {}).get("lines")
        return revive_all([str(line) for line in lines], kept)


def worded(**texts: str) -> dict[str, Any]:
    """Column values for job texts: each `name=text` and its `name_wording` record."""
    values: dict[str, Any] = {}
    for name, text in texts.items():
        values[name], values[f"{name}_wording"] = str(text), record(text)
    return values


def worded_result(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """The records of a result's sentences ({"lines": [...]}), for `result_wording`."""
    lines = (result or {}).get("lines")
    if not isinstance(lines, list) or not any(isinstance(line, Sentence) for line in lines):
        return None
    return {"lines": records(lines)}

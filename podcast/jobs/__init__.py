"""Background work: job records, the outbox, the queue (Huey, imported only here) and the worker.

The interface the rest of the service uses:
- `enqueue(session, kind, payload, *, show_id=None, user_id=None, max_attempts=5)` adds a job
  to the caller's transaction; it reaches the queue after that commits, never if it rolls back.
- `@handler("kind")` registers `run(ctx: JobContext, payload) -> dict | None`; add the module
  to `registry.HANDLER_MODULES`. `ctx.progress(percent, message)` reports; a PodcastError fails
  the attempt with its sentence; retries back off.
- `run_queued()` runs due jobs in this process (tests); `podcast worker` runs the consumer.
"""

from __future__ import annotations

from podcast.jobs.outbox import cancel_job, enqueue, retry_job
from podcast.jobs.records import Job, JobState
from podcast.jobs.registry import HANDLER_MODULES, handler
from podcast.jobs.runner import JobCancelled, JobContext, run_queued

__all__ = [
    "HANDLER_MODULES",
    "Job",
    "JobCancelled",
    "JobContext",
    "JobState",
    "cancel_job",
    "enqueue",
    "handler",
    "retry_job",
    "run_queued",
]

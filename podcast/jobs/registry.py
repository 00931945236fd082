"""Job kinds and their handlers: `@handler("kind")` registers the function that runs it."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from podcast.jobs.runner import JobContext

# Modules that register handlers (or periodic work), imported before a job is queued or run. A
# module that adds job kinds adds its name here (handlers are not imported with podcast.jobs,
# so services can import podcast.jobs without an import cycle).
HANDLER_MODULES: list[str] = [
    "podcast.jobs.builtin",
    "podcast.imports.job",
    "podcast.notify.delivery",
    "podcast.notify.mail",
    "podcast.notify.release",
    "podcast.analytics.tasks",
]
DEFAULT_TIMEOUT_SECONDS = 60 * 60

HandlerFunction = Callable[["JobContext", dict[str, Any]], "dict[str, Any] | None"]


@dataclass(frozen=True)
class Handler:
    """A job kind: the function that runs it, its label for people and its time limit."""

    kind: str
    run: HandlerFunction
    label: str
    timeout: int


HANDLERS: dict[str, Handler] = {}


PeriodicFunction = Callable[[datetime], None]


@dataclass(frozen=True)
class Periodic:
    """Work every worker does on a schedule (Huey crontab fields, UTC), given the time."""

    name: str
    run: PeriodicFunction
    schedule: dict[str, str]


PERIODIC: dict[str, Periodic] = {}


def periodic(name: str, **schedule: str) -> Callable[[PeriodicFunction], PeriodicFunction]:
    """Register `run(now)` for every worker to call on this schedule (`minute="*"`: each minute).

    Every worker on every host runs it, so it must be safe to run several times at once (claim
    rows with a conditional UPDATE, or enqueue with a dedupe_key).
    """

    def register(run: PeriodicFunction) -> PeriodicFunction:
        PERIODIC[name] = Periodic(name, run, dict(schedule))
        return run

    return register


def handler(
    kind: str, *, label: str = "", timeout: int = DEFAULT_TIMEOUT_SECONDS
) -> Callable[[HandlerFunction], HandlerFunction]:
    """Register `run(ctx, payload) -> dict | None` as the handler of jobs of this kind.

    The handler must be idempotent (a job may run again after a worker dies mid-way): say why
    in its docstring. Raise a PodcastError to fail the attempt with its sentence; the job is
    retried with back-off until its last attempt, which keeps the error. A job that runs
    longer than `timeout` seconds stops being renewed and is taken as lost.
    """

    def register(run: HandlerFunction) -> HandlerFunction:
        existing = HANDLERS.get(kind)
        if existing is not None and existing.run.__qualname__ != run.__qualname__:
            raise ValueError(f"Job kind {kind!r} already has a handler: {existing.run!r}.")
        HANDLERS[kind] = Handler(kind, run, label or kind, timeout)
        return run

    return register


def load_handlers() -> None:
    """Import every module in HANDLER_MODULES (once), so every kind is registered."""
    for name in HANDLER_MODULES:
        importlib.import_module(name)


def get_handler(kind: str) -> Handler | None:
    """The handler of this kind, or None when no module registered it."""
    load_handlers()
    return HANDLERS.get(kind)


def kind_label(kind: str) -> str:
    """What people call a job of this kind ("Storage check"); the kind itself when unknown."""
    found = get_handler(kind)
    return found.label if found else kind

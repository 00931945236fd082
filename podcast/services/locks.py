"""Row locks held until the transaction ends, on PostgreSQL and SQLite alike."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session


def lock_row(session: Session, model: Any, row_id: int) -> bool:
    """Hold the write lock on `model`'s row `row_id` until commit or rollback; False if it is gone.

    PostgreSQL locks the row (SELECT ... FOR UPDATE): a second writer waits for the first to
    commit, then reads what it committed. SQLite has one lock, the database's write lock; a no-op
    write takes it (waiting up to busy_timeout), and nothing read before it is held, so the
    reads after it see the last commit.
    """
    if session.get_bind().dialect.name == "sqlite":
        statement = update(model).where(model.id == row_id).values(id=model.id)
        # An UPDATE's result is a CursorResult, which counts the rows it changed.
        result = session.execute(statement.execution_options(synchronize_session=False))
        return bool(cast(CursorResult[Any], result).rowcount)
    found = session.scalar(select(model.id).where(model.id == row_id).with_for_update())
    return found is not None

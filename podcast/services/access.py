"""Who may act on which show: admins on every show, a producer on the shows they are members of.

Every surface (the admin, the API, the jobs pages, the command line) asks here; another show's
episode or job is answered as missing (404), so nothing about it leaks.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from podcast.errors import NotFoundError
from podcast.models import Role, Show, ShowMember, User
from podcast.wording import say


def show_ids_of(session: Session, user: User) -> frozenset[int] | None:
    """The ids of the shows the user may act on; None for an admin (every show)."""
    if user.role == Role.ADMIN:
        return None
    return frozenset(
        session.scalars(select(ShowMember.show_id).where(ShowMember.user_id == user.id))
    )


def may_act_on(show_ids: Collection[int] | None, show_id: int | None) -> bool:
    """True when a caller with these show ids (None: every show) may act on the show."""
    return show_ids is None or (show_id is not None and show_id in show_ids)


def show_for(
    show_ids: Collection[int] | None,
    show: Show | None,
    missing: str = say("There is no such show."),
) -> Show:
    """The show when the caller may act on it; NotFoundError (never 403) otherwise."""
    if show is None or not may_act_on(show_ids, show.id):
        raise NotFoundError(missing)
    return show


def grant(session: Session, user: User, show: Show) -> bool:
    """Make the user a member of the show; False when they already were."""
    if session.get(ShowMember, (show.id, user.id)) is not None:
        return False
    session.add(ShowMember(show_id=show.id, user_id=user.id))
    session.commit()
    return True


def revoke(session: Session, user: User, show: Show) -> bool:
    """End the user's membership of the show; False when they were not a member."""
    member = session.get(ShowMember, (show.id, user.id))
    if member is None:
        return False
    session.delete(member)
    session.commit()
    return True


def set_memberships(session: Session, user: User, show_ids: Collection[int]) -> None:
    """Make the user a member of exactly these shows (the admin's checkboxes), in one commit."""
    wanted = set(show_ids)
    known = set(session.scalars(select(Show.id).where(Show.id.in_(wanted)))) if wanted else set()
    mine = select(ShowMember).where(ShowMember.user_id == user.id)
    current = {member.show_id: member for member in session.scalars(mine)}
    for show_id, member in current.items():
        if show_id not in known:
            session.delete(member)
    for show_id in known - set(current):
        session.add(ShowMember(show_id=show_id, user_id=user.id))
    session.commit()

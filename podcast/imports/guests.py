"""podcast:person of the source as our guests: matched to existing guests by link, then by
name, so that a person is one guest across episodes and shows, never a copy."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from podcast.errors import ValidationError
from podcast.imports.source import SourcePerson
from podcast.models import Guest
from podcast.services.guests import add_new_guest, parse_guest_input

HOST_ROLES = frozenset({"host", "co-host", "cohost"})


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _link_key(url: str) -> str:
    return url.strip().rstrip("/").removeprefix("https://").removeprefix("http://").casefold()


def _links_of(guest: Guest) -> set[str]:
    links = {_link_key(guest.website)} if guest.website else set()
    links.update(_link_key(link.get("url", "")) for link in guest.links or [] if link.get("url"))
    return links


class GuestMatcher:
    """Finds or adds the guest for a person; remembers what it added in this run."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._by_link: dict[str, Guest] = {}
        self._by_name: dict[str, Guest] = {}
        for guest in session.scalars(select(Guest)):
            self._remember(guest)

    def _remember(self, guest: Guest) -> None:
        for link in _links_of(guest):
            self._by_link.setdefault(link, guest)
        self._by_name.setdefault(_name_key(guest.name), guest)

    def guest_for(self, person: SourcePerson) -> Guest | None:
        """The guest this person is (by link, else by name), added when new; None when the
        person cannot be a guest (no usable name)."""
        if person.href and _link_key(person.href) in self._by_link:
            return self._by_link[_link_key(person.href)]
        found = self._by_name.get(_name_key(person.name))
        if found is not None:
            return found
        website = person.href if person.href.startswith(("https://", "http://")) else ""
        try:
            data = parse_guest_input({"name": " ".join(person.name.split()), "website": website})
        except ValidationError:
            try:
                data = parse_guest_input({"name": " ".join(person.name.split())})
            except ValidationError:
                return None
        guest = add_new_guest(self._session, data)
        self._session.flush()
        self._remember(guest)
        return guest

    def reload(self) -> None:
        """After a rollback: forget guests added but never committed, read the table again."""
        self._by_link.clear()
        self._by_name.clear()
        for guest in self._session.scalars(select(Guest)):
            self._remember(guest)


def guest_persons(persons: list[SourcePerson], hosts: list[SourcePerson]) -> list[SourcePerson]:
    """The item's persons who are guests: not the show's hosts, each once."""
    host_names = {_name_key(h.name) for h in hosts}
    seen: set[str] = set()
    chosen = []
    for person in persons:
        key = _name_key(person.name)
        if not key or key in seen or person.role.lower() in HOST_ROLES or key in host_names:
            continue
        seen.add(key)
        chosen.append(person)
    return chosen

"""Throttling of log-ins and password-reset requests: counts per account and per address, in
Redis or in-process."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from podcast.wording import say, say_plural

log = logging.getLogger(__name__)

ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW_SECONDS = 15 * 60
# Reset mails asked for: every request counts, whether or not the address has an account.
RESET_ACCOUNT_LIMIT = 3
RESET_ADDRESS_LIMIT = 10
RESET_WINDOW_SECONDS = 60 * 60
# kind -> (per account, per address, window): each limit can be set as <KIND>_ACCOUNT_LIMIT etc.
POLICIES = {
    "login": (ACCOUNT_LIMIT, ADDRESS_LIMIT, WINDOW_SECONDS),
    "reset": (RESET_ACCOUNT_LIMIT, RESET_ADDRESS_LIMIT, RESET_WINDOW_SECONDS),
}


class Counter(Protocol):
    """Failure counts that expire `window` seconds after the first failure."""

    def count(self, key: str) -> tuple[int, float]:
        """(failures, seconds until the count resets) for the key; (0, 0) when none."""
        ...

    def add(self, key: str, window: int) -> None:
        """Count one failure, starting the window with the first."""
        ...

    def clear(self, key: str) -> None:
        """Forget the key's failures."""
        ...


class MemoryCounter:
    """Counts held by this process: right for one worker and for tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}

    def count(self, key: str) -> tuple[int, float]:
        """(failures, seconds left) for the key."""
        with self._lock:
            failures, expires = self._counts.get(key, (0, 0.0))
            left = expires - self._clock()
            if left <= 0:
                self._counts.pop(key, None)
                return 0, 0.0
            return failures, left

    def add(self, key: str, window: int) -> None:
        """Count one failure."""
        with self._lock:
            now = self._clock()
            failures, expires = self._counts.get(key, (0, 0.0))
            if expires <= now:
                failures, expires = 0, now + window
            self._counts[key] = (failures + 1, expires)

    def clear(self, key: str) -> None:
        """Forget the key."""
        with self._lock:
            self._counts.pop(key, None)


class RedisCounter:
    """Counts in Redis, so every worker and host sees the same; falls back if Redis is down."""

    def __init__(self, url: str, prefix: str = "podcast:throttle:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        self._prefix = prefix
        self._fallback = MemoryCounter()

    def count(self, key: str) -> tuple[int, float]:
        """(failures, seconds left) for the key."""
        try:
            pipe = self._redis.pipeline()
            pipe.get(self._prefix + key)
            pipe.pttl(self._prefix + key)
            value, ttl_ms = pipe.execute()
        except self._errors as exc:
            log.warning("Redis unreachable for login throttling (%s); counting in-process", exc)
            return self._fallback.count(key)
        if value is None or ttl_ms is None or ttl_ms <= 0:
            return 0, 0.0
        return int(value), ttl_ms / 1000

    def add(self, key: str, window: int) -> None:
        """Count one failure; the expiry is set only by the first (EXPIRE NX)."""
        try:
            pipe = self._redis.pipeline()
            pipe.incr(self._prefix + key)
            pipe.expire(self._prefix + key, window, nx=True)
            pipe.execute()
        except self._errors as exc:
            log.warning("Redis unreachable for login throttling (%s); counting in-process", exc)
            self._fallback.add(key, window)

    def clear(self, key: str) -> None:
        """Forget the key."""
        try:
            self._redis.delete(self._prefix + key)
        except self._errors:
            self._fallback.clear(key)


@dataclass(frozen=True)
class Blocked:
    """A refusal: how long until the next attempt is allowed."""

    retry_after: int

    @property
    def wait(self) -> str:
        """How long to wait, for people: "3 minutes", "40 seconds"."""
        minutes = math.ceil(self.retry_after / 60)
        return (
            say_plural("%(count)s minute", "%(count)s minutes", minutes, count=minutes)
            if self.retry_after > 60
            else say_plural(
                "%(count)s second", "%(count)s seconds", self.retry_after, count=self.retry_after
            )
        )

    @property
    def message(self) -> str:
        """A sentence saying when to try again."""
        return say("Too many failed log-in attempts. Try again in %(wait)s.", wait=self.wait)


class LoginThrottle:
    """The policy: N failures for one account, or M from one address, within the window."""

    def __init__(
        self,
        counter: Counter,
        account_limit: int = ACCOUNT_LIMIT,
        address_limit: int = ADDRESS_LIMIT,
        window: int = WINDOW_SECONDS,
    ) -> None:
        self.counter = counter
        self.limits = {"account": account_limit, "address": address_limit}
        self.window = window

    @staticmethod
    def _keys(email: str, address: str | None) -> Iterable[tuple[str, str]]:
        yield "account", "account:" + email.strip().lower()
        yield "address", "address:" + (address or "unknown")

    def check(self, email: str, address: str | None) -> Blocked | None:
        """A Blocked when the account or the address has used up its attempts."""
        waits = []
        for kind, key in self._keys(email, address):
            failures, left = self.counter.count(key)
            if failures >= self.limits[kind]:
                waits.append(max(1, math.ceil(left)))
        return Blocked(max(waits)) if waits else None

    def failed(self, email: str, address: str | None) -> None:
        """Count a failed attempt against both the account and the address."""
        for _kind, key in self._keys(email, address):
            self.counter.add(key, self.window)

    def succeeded(self, email: str) -> None:
        """A good password clears the account's count (never the address's)."""
        self.counter.clear("account:" + email.strip().lower())


def build_throttle(config: Mapping[str, Any], kind: str = "login") -> LoginThrottle:
    """The throttle of this kind (login, reset): in Redis when PODCAST_REDIS_URL is set."""
    url = config.get("PODCAST_REDIS_URL")
    prefix = config.get("THROTTLE_REDIS_PREFIX", "podcast:throttle:")
    if kind != "login":
        prefix += kind + ":"
    counter: Counter = RedisCounter(url, prefix) if url else MemoryCounter()
    account, address, window = POLICIES[kind]
    name = kind.upper()
    return LoginThrottle(
        counter,
        account_limit=int(config.get(f"{name}_ACCOUNT_LIMIT", account)),
        address_limit=int(config.get(f"{name}_ADDRESS_LIMIT", address)),
        window=int(config.get(f"{name}_WINDOW_SECONDS", window)),
    )

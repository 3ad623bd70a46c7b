"""Every cache a process keeps, in one registry on the application's services
(``Services.caches``): each declares what an entry is kept by, the most it may weigh in
bytes, and what clears it, and reports its hits, misses, entries and bytes at /metrics.

A cache is declared where it is used, as a ``CacheSpec`` (an immutable description);
its entries live in the registry of the app that serves the request, never in a module,
so two apps in one process (tests) share nothing and a test can walk the modules for a
mutable cache left at module level. What a cache's entries weigh is estimated from what
they hold (``weigh``): the text of a key, the size of a parsed document; a test feeds a
thousand large documents through the API and checks the memory the process keeps against
the declared bounds (``tests/test_caches.py``).

Clearing: most entries are kept under a key that changes when what they depend on does
(a document's text, a site's configuration version, a pool's data version), so a stale
entry is never found and ages out; ``cleared_by`` says which events also clear a cache
at once (``Caches.clear``)."""

from __future__ import annotations

import contextvars
import sys
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# What one entry costs beyond what it holds: the map's slot, the key's tuple, the value's
# container (measured with tracemalloc on CPython 3.11: about 200 bytes).
ENTRY_BYTES = 256


class CacheEvent(StrEnum):
    # The tenant registry was read again after a change (RegistryCache's on_reload).
    SITES_CHANGED = "a site's configuration changed"


@dataclass(frozen=True)
class CacheSpec(Generic[K, V]):
    name: str
    key: str  # what an entry is kept by, in words
    max_bytes: int
    weigh: Callable[[K, V], int]  # an entry's bytes, its key's included (ENTRY_BYTES added)
    cleared_by: tuple[CacheEvent, ...] = ()

    def of(self, caches: Caches | None = None) -> Cache[K, V] | None:
        """This cache in ``caches``, or in the current request's app; None outside one
        (a command line): then nothing is kept."""
        registry = caches if caches is not None else current.get()
        return registry.cache(self) if registry is not None else None

    def get(self, key: K, caches: Caches | None = None) -> V | None:
        """The entry kept under ``key`` (``of``'s cache), or None."""
        registry = caches if caches is not None else current.get()
        if registry is None:
            return None
        # ``of`` inlined: a request looks a dozen caches up.
        return registry.cache(self).get(key)

    def put(self, key: K, value: V, caches: Caches | None = None) -> None:
        """Keep ``value`` under ``key`` (``of``'s cache; nowhere outside an app)."""
        cache = self.of(caches)
        if cache is not None:
            cache.put(key, value)


class Cache(Generic[K, V]):
    """Least recently used entries within ``spec.max_bytes``."""

    def __init__(self, spec: CacheSpec[K, V]) -> None:
        self.spec = spec
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self.hits += 1
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` under ``key`` (replacing what was there); an entry heavier than
        the whole bound is not kept."""
        weight = self.spec.weigh(key, value) + ENTRY_BYTES
        if weight > self.spec.max_bytes:
            return
        replaced = self._entries.pop(key, None)
        if replaced is not None:
            self.bytes -= replaced[1]
        self._entries[key] = (value, weight)
        self.bytes += weight
        while self.bytes > self.spec.max_bytes:
            _key, (_value, evicted) = self._entries.popitem(last=False)
            self.bytes -= evicted

    def pop(self, key: K) -> None:
        """Let go of ``key``'s entry, if any."""
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.bytes -= entry[1]

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


class Caches:
    """The registry: one per app (``Services.caches``)."""

    def __init__(self) -> None:
        self._caches: dict[str, Cache[Any, Any]] = {}

    def cache(self, spec: CacheSpec[K, V]) -> Cache[K, V]:
        known = self._caches.get(spec.name)
        if known is None:
            known = self._caches[spec.name] = Cache(spec)
        return known

    def clear(self, event: CacheEvent) -> None:
        for cache in self._caches.values():
            if event in cache.spec.cleared_by:
                cache.clear()

    def __iter__(self) -> Iterator[Cache[Any, Any]]:
        return iter(list(self._caches.values()))

    @property
    def bytes(self) -> int:
        return sum(cache.bytes for cache in self._caches.values())


# The app serving the current request (set where a request enters: app.py), so that code
# far from the request's context (a search's statements) finds its app's caches.
current: contextvars.ContextVar[Caches | None] = contextvars.ContextVar(
    "jobgraph_caches", default=None
)


def text_bytes(text: str | bytes) -> int:
    """What a str or bytes takes in memory."""
    return sys.getsizeof(text)


def each(entry_bytes: int) -> Callable[[Any, Any], int]:
    """A weight for entries of about one size (SQLAlchemy's statements, a site's scope):
    estimated from one entry measured with tracemalloc, with room to spare."""
    return lambda _key, _value: entry_bytes

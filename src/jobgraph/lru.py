"""A bounded least-recently-used map: this process's caches (persisted queries, search
terms, public responses) keep what was used last within a budget, so no client can grow
them without bound."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    def __init__(self, budget: int, size: Callable[[V], int] = lambda _value: 1) -> None:
        """``budget``: the most the values may weigh together, each weighing ``size``
        (by default 1: a count of entries)."""
        self.budget = budget
        self.size = size
        self.used = 0
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` under ``key`` (replacing what was there)."""
        weight = self.size(value)
        if weight > self.budget:
            return
        replaced = self._entries.pop(key, None)
        if replaced is not None:
            self.used -= self.size(replaced)
        self._entries[key] = value
        self.used += weight
        while self.used > self.budget:
            _key, evicted = self._entries.popitem(last=False)
            self.used -= self.size(evicted)

    def __len__(self) -> int:
        return len(self._entries)

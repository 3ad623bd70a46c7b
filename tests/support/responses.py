"""Comparing answers: two answers to the same request are alike when their bytes are the
same but for what depends on when they were asked (``extensions.cost``): what the caller's
budget held (its bucket refills continuously), and what the query cost once it ran (its
counts' database cost comes back where they all came from memory, which a first request
may have put there for the second: a search text's matches, a kept count)."""

from __future__ import annotations

import re

_AT_THE_TIME = re.compile(rb'"(currentlyAvailable|actualQueryCost)":\d+')


def alike(content: bytes) -> bytes:
    """The answer's bytes with the budget's current level and the actual cost blanked out."""
    return _AT_THE_TIME.sub(rb'"\1":_', content)

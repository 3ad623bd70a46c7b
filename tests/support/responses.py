"""Comparing answers: two answers to the same request are alike when their bytes are the
same but for what depends on when they were asked (``extensions.cost``): what the caller's
budget held (its bucket refills continuously), and what the query cost once it ran (its
counts' database cost comes back where they all came from memory, which a first request
may have put there for the second: a search text's matches, a kept count), and what
reading its document cost (nothing once the server has read it)."""

from __future__ import annotations

import re

_AT_THE_TIME = re.compile(rb'"(currentlyAvailable|actualQueryCost|readCost)":\d+')


def alike(content: bytes) -> bytes:
    """The answer's bytes with the budget's current level, the actual cost and the
    reading's blanked out."""
    return _AT_THE_TIME.sub(rb'"\1":_', content)

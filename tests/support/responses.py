"""Comparing answers: two answers to the same request are alike when their bytes are the
same but for what the caller's budget held at the time (``extensions.cost``'s
``currentlyAvailable``: its bucket refills continuously)."""

from __future__ import annotations

import re

_AVAILABLE = re.compile(rb'"currentlyAvailable":\d+')


def alike(content: bytes) -> bytes:
    """The answer's bytes with the budget's current level blanked out."""
    return _AVAILABLE.sub(b'"currentlyAvailable":_', content)

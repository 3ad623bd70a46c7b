"""How many items a list field returns: its ``first`` argument, within the site's
``max_page_size``. Every paged list asks here, and the cost model (graphql/limits.py)
counts each list by the same rule, so the estimate is the size the list really has."""

from __future__ import annotations

from jobgraph.errors import BadUserInput

# Where `first` is optional (connections) and left out.
DEFAULT_PAGE_SIZE = 20


def page_size(limit: int, first: int | None) -> int:
    """``first``, or the default page, checked against ``limit`` (the site's
    ``Tenant.max_page_size``)."""
    size = DEFAULT_PAGE_SIZE if first is None else first
    if not 1 <= size <= limit:
        raise BadUserInput(f"'first' must be between 1 and {limit} on this site.", field="first")
    return size


# One's own lists (applications, invitations, disclosures: a few hundred at most) are paged
# by an offset, up to this one.
MAX_OFFSET = 10_000


def checked_offset(offset: int) -> int:
    if not 0 <= offset <= MAX_OFFSET:
        raise BadUserInput(f"'offset' must be between 0 and {MAX_OFFSET}.", field="offset")
    return offset


# A list field without `first` whose length its inputs cap declares the cap in its
# metadata (`strawberry.field(metadata=at_most(n))`); the cost model reads it. Other lists
# of objects without `first` are counted as a default page.
MAX_ITEMS = "jobgraph.max_items"


def at_most(items: int) -> dict[str, int]:
    return {MAX_ITEMS: items}

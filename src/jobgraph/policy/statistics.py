"""What statistics of a site's seekers may publish: counts in steps of the site's minimum
cell, from a secret offset, so that no one seeker's value can be read off them (the seed
policies use personal data for statistics only in this form)."""

from __future__ import annotations

import hashlib
import hmac

from jobgraph.policy.site import Site


def published_count(secret: str, site: Site, attribute: str, value: str, count: int) -> int:
    """A count as statistics publish it: in steps of the site's minimum cell ``m``, from a
    secret offset ``o`` fixed per group (0 <= o < m): ``m * floor((count + o) / m)``, and
    0 (not shown) below ``m``. Every group of ``m`` or more is shown; a true count can
    be read off only to within ``m``; and adding or removing one seeker changes what is
    published for a group with probability 1/m over the secret offset, so padding a group
    with accounts to learn one seeker's value fails with probability 1 - 1/m. Asking
    again reveals nothing new: the offset is fixed."""
    step = site.policy.statistics_min_cell
    digest = hmac.new(
        secret.encode(), f"statistics:{site.slug}:{attribute}:{value}".encode(), hashlib.sha256
    ).digest()
    offset = int.from_bytes(digest[:8], "big") % step
    published = step * ((count + offset) // step)
    return published if published >= step else 0

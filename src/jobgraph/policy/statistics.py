"""What statistics of a site's seekers may publish, with a guarantee that holds against an
adaptive attacker: epsilon-differential privacy.

A release counts the site's seekers by each attribute, grouped only by the labels of the
site's closed vocabularies (a value outside them counts as "other": a label is never a
seeker's own text). Each count gets two-sided geometric noise (the discrete Laplace
mechanism): adding or removing one seeker changes one count per attribute by one, so with
``epsilon / len(ATTRIBUTES)`` per attribute the whole release is epsilon-DP. What anyone
sees of one release is then nearly as likely with or without any one seeker: at most
``e^epsilon`` times more likely, and an attacker who knows everything else guesses whether
the seeker is in (or which value they hold) right with probability at most
``e^epsilon / (1 + e^epsilon)`` (``best_guess``). A site releases once a period and every
request sees that release, so asking again, padding a group or changing the settings
between queries learns nothing new; releases spend the site's yearly budget (composition:
the losses add up). Counts below the site's minimum cell are not shown, and what is shown
is rounded to nothing finer than the noise: both are post-processing, free of privacy cost.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping

from jobgraph.policy.config import Policy, StatisticsAttribute

ATTRIBUTES: tuple[StatisticsAttribute, ...] = (
    "nationality",
    "visa_status",
    "career_level",
    "japanese_level",
)
OTHER = "other"


def label_of(value: str | None, vocabulary: Iterable[str]) -> str | None:
    """The vocabulary's label for a seeker's value (compared without case), "other" for a
    value outside it, None for no value (not counted)."""
    if value is None or not value.strip():
        return None
    wanted = value.strip().casefold()
    for label in vocabulary:
        if label.casefold() == wanted:
            return label
    return OTHER


def attribute_epsilon(policy: Policy) -> float:
    return policy.statistics_epsilon / len(ATTRIBUTES)


def noise(epsilon: float, rng: random.Random) -> int:
    """Two-sided geometric noise: P(k) proportional to alpha^|k|, alpha = e^-epsilon."""
    alpha = math.exp(-epsilon)

    def geometric() -> int:  # failures before the first success, success 1 - alpha
        return math.floor(math.log(1.0 - rng.random()) / math.log(alpha))

    return geometric() - geometric()


def noise_probability(k: int, epsilon: float) -> float:
    """The probability that ``noise`` adds ``k``: (1 - a) / (1 + a) * a^|k|."""
    alpha = math.exp(-epsilon)
    return (1 - alpha) / (1 + alpha) * alpha ** abs(k)


def best_guess(epsilon: float) -> float:
    """The most an attacker who knows every other seeker can be right, telling from one
    release whether a seeker is in a group: e^epsilon / (1 + e^epsilon)."""
    return math.exp(epsilon) / (1 + math.exp(epsilon))


def release(
    counts: Mapping[str, Mapping[str, int]], policy: Policy, rng: random.Random
) -> dict[str, list[tuple[str, int]]]:
    """One release: for each attribute, each label of its vocabulary and "other" counted
    with noise (every label, counted or not: which labels appear must not tell either),
    then what falls below the minimum cell left out."""
    epsilon = attribute_epsilon(policy)
    released: dict[str, list[tuple[str, int]]] = {}
    for attribute in ATTRIBUTES:
        true_counts = counts.get(attribute, {})
        labels = [*policy.statistics_groups.get(attribute, ()), OTHER]
        shown = []
        for label in labels:
            noisy = true_counts.get(label, 0) + noise(epsilon, rng)
            if noisy >= policy.statistics_min_cell:
                shown.append((label, noisy))
        shown.sort(key=lambda group: (-group[1], group[0]))
        released[attribute] = shown
    return released

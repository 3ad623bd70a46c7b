"""What the property-based tests share: how many examples each runs against a real app,
and what hypothesis-graphql needs to generate documents for this schema (a value for each
of its custom scalars)."""

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes

SCALARS = {
    "DateTime": st.just("2026-01-01T00:00:00Z").map(nodes.String),
    "Date": st.just("1990-01-01").map(nodes.String),
    "JSON": st.just("{}").map(nodes.String),
    "UUID": st.just("00000000-0000-0000-0000-000000000000").map(nodes.String),
}


def against_the_app(max_examples: int) -> Any:
    """Hypothesis's settings for a test that sends each example to an app: no deadline (a
    request's time is the machine's), and the app is a fixture shared by the examples."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )

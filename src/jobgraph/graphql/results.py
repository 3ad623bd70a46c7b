"""What every GraphQL result passes before it leaves, over HTTP or WebSocket."""

from __future__ import annotations

from graphql import GraphQLError
from strawberry.types import ExecutionResult

from jobgraph.graphql.context import Context
from jobgraph.graphql.errors import over_token_limit, shape_error
from jobgraph.graphql.limits import introspection_allowed
from jobgraph.request_state import state_of


async def settle(context: Context | None, result: ExecutionResult) -> None:
    """What every result passes before it leaves, over HTTP or WebSocket: the record of
    what it discloses is written first, or the result does not leave (no disclosure goes
    unrecorded); its errors are shaped (codes, masked surprises)."""
    if context is not None and context.disclosures.pending:
        try:
            async with context.transaction() as db:
                await context.disclosures.flush(db, context.tenant, context.viewer.actor)
        except Exception as error:
            result.data = None
            result.errors = [
                GraphQLError("The disclosure record could not be written.", original_error=error)
            ]
    if result.errors:
        if context is not None and any(
            over_token_limit(error) is not None for error in result.errors
        ):
            context.services.metrics.rejected.labels("tokens").inc()
            state_of(context.request.scope).outcome = "rejected"
        suggestions = context is None or introspection_allowed(context)
        result.errors = [shape_error(error, suggestions) for error in result.errors]

"""What every GraphQL result passes before it leaves, over HTTP or WebSocket, whole or in
parts (``incremental.py``)."""

from __future__ import annotations

from collections.abc import Iterable

from graphql import GraphQLError
from graphql.execution import (
    CompletedResult,
    InitialIncrementalExecutionResult,
    SubsequentIncrementalExecutionResult,
)
from strawberry.types import ExecutionResult

from jobgraph.graphql.context import Context
from jobgraph.graphql.errors import over_token_limit, shape_error
from jobgraph.graphql.limits import count_rejected, introspection_allowed


async def settle(
    context: Context | None, result: ExecutionResult | InitialIncrementalExecutionResult
) -> None:
    """What every result (or a deferred result's first payload) passes before it leaves:
    the record of what it discloses is written first, or the result does not leave (no
    disclosure goes unrecorded); its errors are shaped (codes, masked surprises)."""
    unrecorded = await _recorded(context)
    if unrecorded is not None:
        result.data = None
        result.errors = [unrecorded]
    if result.errors:
        if context is not None and any(
            over_token_limit(error) is not None for error in result.errors
        ):
            count_rejected(context, "tokens")
        result.errors = _shaped(context, result.errors)


async def settle_part(context: Context, payload: SubsequentIncrementalExecutionResult) -> None:
    """The same for each later payload of a deferred result: what it discloses recorded
    first, or its parts leave as completed with that error and without their data."""
    unrecorded = await _recorded(context)
    if unrecorded is not None:
        ids = {part.id for part in payload.incremental or ()}
        ids |= {done.id for done in payload.completed or ()}
        payload.incremental = None
        payload.completed = [CompletedResult(id, [unrecorded]) for id in sorted(ids)]
    for part in [*(payload.incremental or ()), *(payload.completed or ())]:
        if part.errors:
            part.errors = _shaped(context, part.errors)


async def _recorded(context: Context | None) -> GraphQLError | None:
    """What was shown so far recorded as disclosed; the error where it could not be."""
    if context is None or not context.disclosures.pending:
        return None
    try:
        await context.record_disclosures()
    except Exception as error:
        return GraphQLError("The disclosure record could not be written.", original_error=error)
    return None


def _shaped(context: Context | None, errors: Iterable[GraphQLError]) -> list[GraphQLError]:
    suggestions = context is None or introspection_allowed(context)
    shaped = []
    for error in errors:
        shaped.append(shape_error(error, suggestions))  # logged there if unexpected
        _let_go(error)
    return shaped


def _let_go(error: BaseException) -> None:
    """An error raised in a request holds its traceback, the traceback the frames it left,
    the frames the request's objects (its context, its extensions) and these the error
    (in the result they collect): a cycle only the collector frees, about a hundred
    objects a refused request, freed in pauses of 20-70 ms of the whole process under
    load (``tests/test_limits``). Once the error is shaped and logged, nothing reads its
    traceback: without it (and its causes') reference counting frees them all."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        each = pending.pop()
        if each is None or id(each) in seen:
            continue
        seen.add(id(each))
        each.__traceback__ = None
        pending += [each.__cause__, each.__context__, getattr(each, "original_error", None)]

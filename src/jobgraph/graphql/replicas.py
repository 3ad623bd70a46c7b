"""Which database a GraphQL operation reads from (see ``db/replicas.py``): a query reads
from the replica when one is configured and its viewer has not just written; a mutation
reads and writes on the primary, and marks its viewer as having written. After a
mutation this process also reads the registry's versions again, so its next answer shows
what it wrote whether or not the change was announced yet (``RegistryCache``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from jobgraph.db.replicas import read_from

if TYPE_CHECKING:
    from jobgraph.graphql.context import Context


def writer_keys(context: Context) -> tuple[str, ...]:
    """The viewer, and its address on the site: a visitor who registers and then signs
    in wrote as nobody in particular, from that address."""
    keys = [f"{context.tenant.pool_id}:{context.client_address}"]
    if context.viewer.is_signed_in:
        keys.append(context.viewer.actor)
    return tuple(keys)


class ReadsAfterWrites(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        execution_context = self.execution_context
        context = execution_context.context
        services = getattr(context, "services", None)
        if services is None:
            yield
            return
        operation = execution_context.operation_type
        if operation is OperationType.QUERY:
            await route_query(context)
        yield
        if operation is OperationType.MUTATION:
            services.registry.invalidate()
            if services.read_engine is not None:
                await services.recent_writers.note(*writer_keys(context))


async def route_query(context: Context) -> None:
    """A query reads from the replica, where one is configured, unless its viewer has just
    written or the replica cannot be reached now."""
    services = context.services
    replica, writers = services.read_engine, services.recent_writers
    if replica is None or writers is None:
        return
    if services.replica_health is not None and services.replica_health.away:
        return
    if not await writers.any_of(*writer_keys(context)):
        if context.db.in_transaction():  # the viewer's proof: its primary connection back
            await context.db.commit()
        read_from(context.db, replica.sync_engine)

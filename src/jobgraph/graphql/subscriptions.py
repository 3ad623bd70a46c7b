"""GraphQL subscriptions over WebSocket at /graphql, in the graphql-transport-ws protocol
(Strawberry's handler, with jobgraph's rules added):

- the site is the host's, as for HTTP (browsers cannot set X-Tenant on a WebSocket), and a
  page on another origin may connect only where the site allows that origin;
- ``connection_init`` carries ``{"authorization": "Bearer <token>"}``, the same tokens as
  HTTP; without a signed-in account's valid token the connection closes (4401, 4403);
- a site limits the live connections of one account (across every process: ``live.
  ConnectionSlots``) and the
  subscriptions of one connection; connection attempts count against the address's
  anonymous request limit;
- a connection carries subscriptions only: queries and mutations go over HTTP, where
  their limits, caches and trusted documents apply (``limits._wrong_transport``);
- each subscription has its own context, renewed for each event (``Context.live_events``),
  and each event's result passes ``settle`` as an HTTP result does: what it disclosed is
  recorded before it is sent, and its errors carry their codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    SubscribeMessage,
)
from strawberry.types import ExecutionResult
from strawberry.utils.aio import aclosing

from jobgraph.errors import ErrorCode, Forbidden, JobgraphError, Unauthenticated
from jobgraph.graphql.context import Context
from jobgraph.graphql.errors import shape_error
from jobgraph.graphql.results import settle
from jobgraph.identity.http import limit_anonymous, viewer_from
from jobgraph.ratelimit import RateLimited
from jobgraph.viewer import ViewerKind

if TYPE_CHECKING:
    from strawberry.schema.schema import StreamResult

# WebSocket close codes, as graphql-transport-ws and its clients read them.
UNAUTHORIZED = 4401
FORBIDDEN = 4403
TOO_MANY = 4429
_MAX_REASON_BYTES = 123  # what a close frame may carry


class TooManySubscriptions(JobgraphError):
    code = ErrorCode.RATE_LIMITED


class TextWebSocket(ASGIWebSocketAdapter):
    """Messages as text frames, as the protocol says (the view encodes JSON to bytes)."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            encoded = self.view.encode_json(message)
            text = encoded.decode() if isinstance(encoded, bytes) else encoded
            await self.ws.send_text(text)
        except WebSocketDisconnect as error:
            raise WebSocketDisconnected from error


class LiveConnection(BaseGraphQLTransportWSHandler[Context, None]):
    slot: str | None = None  # once the connection counts against its account's limit

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        payload = message.get("payload") or {}
        if not self.connection_init_received and isinstance(payload, dict):
            refusal = await self._admit(payload)
            if refusal is not None:
                code, reason = refusal
                await self.websocket.close(code, _fitted(reason))
                return
        await super().handle_connection_init(message)

    async def _admit(self, payload: dict[str, Any]) -> tuple[int, str] | None:
        """Proves the viewer from connection_init's payload; a refusal's code and reason."""
        context = self.context
        services, tenant = context.services, context.tenant
        authorization = payload.get("authorization") or payload.get("Authorization")
        if not isinstance(authorization, str) or not authorization:
            return UNAUTHORIZED, (
                'Sign in, and send connection_init with {"authorization": "Bearer <token>"}.'
            )
        credentials = {"authorization": authorization}
        try:
            await limit_anonymous(context.request.scope, tenant, services)
            async with context.db.begin():
                viewer = await viewer_from(credentials, tenant, context.db, services)
        except RateLimited as error:
            return TOO_MANY, error.message
        except (Unauthenticated, Forbidden) as error:
            return UNAUTHORIZED, error.message
        finally:
            await context.db.close()
        if viewer.kind is not ViewerKind.ACCOUNT or viewer.account_id is None:
            return FORBIDDEN, "Subscriptions are for signed-in accounts."
        limit = tenant.config.policy.api.live_connections_per_account
        slot = await services.live.slots.take(tenant.pool_id, str(viewer.account_id), limit)
        if slot is None:
            return TOO_MANY, f"This account has {limit} live connections open, the most allowed."
        self.slot = slot
        context.viewer, context.credentials = viewer, credentials
        return None

    async def shutdown(self) -> None:
        try:
            await super().shutdown()
        finally:
            if self.slot is not None:
                await self.context.services.live.slots.give_back(self.slot)
                self.counted = None
            await self.context.db.close()

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        limit = self.context.tenant.config.policy.api.subscriptions_per_connection
        if (
            self.connection_acknowledged
            and message["id"] not in self.operations
            and len(self.operations) >= limit
        ):
            refusal = TooManySubscriptions(
                f"This connection has {limit} subscriptions running, the most this site "
                "allows on one; complete one first, or open another connection.",
                limit=limit,
            )
            error = shape_error(GraphQLError(refusal.message, original_error=refusal))
            await self.send_message(
                {"id": message["id"], "type": "error", "payload": [error.formatted]}
            )
            return
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        # Strawberry's own, but with the subscription's own context, each result settled,
        # and its session closed at the end.
        context = self.context.for_subscription()
        try:
            result_source = await self.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=context,
                root_value=None,
                operation_name=operation.operation_name,
            )
            async with aclosing(result_source):
                await self._send_result_stream(operation, _settled(context, result_source))
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except _OperationStreamClosed:
            return
        except Exception as error:
            await self.handle_task_exception(error)
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise
        finally:
            await context.db.close()


async def _settled(context: Context, results: StreamResult) -> StreamResult:
    async for result in results:
        if isinstance(result, ExecutionResult):  # refusals before execution included
            await settle(context, result)
            await context.db.close()  # nothing held while the next event is awaited
        yield result


def _fitted(reason: str) -> str:
    """A close frame's reason, cut to what the frame may carry."""
    encoded = reason.encode()
    if len(encoded) <= _MAX_REASON_BYTES:
        return reason
    return encoded[: _MAX_REASON_BYTES - 3].decode(errors="ignore") + "..."

"""The GraphQL endpoint: Strawberry's ASGI view with our context."""

from __future__ import annotations

import orjson
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from jobgraph.graphql.context import Context
from jobgraph.graphql.errors import shape_error
from jobgraph.graphql.limits import introspection_allowed
from jobgraph.graphql.schema import schema


class GraphQLView(GraphQL):
    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        # Every result passes here, parse and validation failures included.
        context: Context | None = request.scope.get("jobgraph.context")
        if context is not None and context.disclosures.pending:
            # The record of what was disclosed is written before the response leaves, or
            # the response does not leave: no disclosure goes unrecorded.
            try:
                async with context.transaction() as db:
                    await context.disclosures.flush(db, context.tenant, context.viewer)
            except Exception as error:
                result.data = None
                result.errors = [
                    GraphQLError(
                        "The disclosure record could not be written.", original_error=error
                    )
                ]
        if result.errors:
            suggestions = context is None or introspection_allowed(context)
            result.errors = [shape_error(error, suggestions) for error in result.errors]
        return await super().process_result(request, result)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        state = request.state
        context = Context(
            request=request,
            response=response,
            tenant=state.tenant,
            viewer=state.viewer,
            db=state.db,
            services=request.app.state.services,
        )
        request.scope["jobgraph.context"] = context  # for process_result
        return context


def graphql_view() -> GraphQLView:
    # No built-in IDE: it loads its assets from a public CDN. The console serves its own.
    return GraphQLView(schema, graphql_ide=None, allow_queries_via_get=True)

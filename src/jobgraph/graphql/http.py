"""The GraphQL endpoint: Strawberry's ASGI view with our context."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from jobgraph.graphql.context import Context
from jobgraph.graphql.errors import shape_error
from jobgraph.graphql.schema import schema


class GraphQLView(GraphQL):
    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        # Every result passes here, parse and validation failures included.
        if result.errors:
            result.errors = [shape_error(error) for error in result.errors]
        return await super().process_result(request, result)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        state = request.state
        return Context(
            request=request,
            response=response,
            tenant=state.tenant,
            viewer=state.viewer,
            db=state.db,
            services=request.app.state.services,
        )


def graphql_view() -> GraphQLView:
    # No built-in IDE: it loads its assets from a public CDN. The console serves its own.
    return GraphQLView(schema, graphql_ide=None, allow_queries_via_get=True)

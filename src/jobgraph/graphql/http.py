"""The GraphQL endpoint: Strawberry's ASGI view with our context."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import orjson
from cross_web import HTTPException
from graphql.execution import ExperimentalIncrementalExecutionResults as IncrementalResults
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from jobgraph.caches import CacheEvent, CacheSpec, text_bytes
from jobgraph.db.engine import bind_pool
from jobgraph.errors import BadUserInput, error_body, error_response
from jobgraph.graphql.context import Context
from jobgraph.graphql.incremental import each_part
from jobgraph.graphql.results import settle, settle_part
from jobgraph.graphql.schema import schema
from jobgraph.graphql.services import Services
from jobgraph.graphql.subscriptions import LiveConnection, TextWebSocket
from jobgraph.graphql.transport import GRAPHQL_RESPONSE, wants_graphql_response
from jobgraph.graphql.visibility import public_sdl
from jobgraph.http_security import origin_allowed
from jobgraph.request_state import request_headers, state_of


class GraphQLView(GraphQL[Context, None]):
    # Subscriptions over WebSocket (graphql/subscriptions.py), in graphql-transport-ws only.
    graphql_transport_ws_handler_class = LiveConnection
    websocket_adapter_class = TextWebSocket

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        return _SubResponse()

    def create_response(
        self, response_data: Any, sub_response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        return _Answer(self.encode_json(response_data), sub_response)

    def parse_json(self, data: str | bytes) -> object:
        # orjson's error is a json.JSONDecodeError, which the view answers with a 400.
        return orjson.loads(data)

    def is_websocket_origin_allowed(self, request: WebSocket, origin: str) -> bool:
        # A page on another origin connects only where the site allows that origin.
        config = state_of(request.scope).tenant.config
        return origin_allowed(origin, config.policy.api.allowed_origins, config.hostnames)

    async def run(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        # Strawberry answers a few request errors (an operationName the document does not
        # define, no query at all) with plain text; ours are GraphQL errors with a code.
        try:
            response = await self._run_read(request) if not args and not kwargs else None
            if response is None:
                response = await super().run(request, *args, **kwargs)
        except HTTPException as error:
            if isinstance(request, WebSocket) or error.status_code != 400:
                raise
            message = error.reason
            if message == "mutations are not allowed when using GET":
                # A registered document sent by id over GET: refused as a written one is.
                refused = BadUserInput("Mutations are never sent over GET; use POST.")
                return error_response(refused, status=405, headers={"Allow": "POST"})
            if message.startswith("Unknown operation named"):
                message += " Send as operationName the name of an operation in the document."
            graphql_response = wants_graphql_response(request.headers)
            return JSONResponse(
                error_body(BadUserInput(message)),
                status_code=400 if graphql_response else 200,
                media_type=GRAPHQL_RESPONSE if graphql_response else "application/json",
            )
        if isinstance(request, Request) and wants_graphql_response(request_headers(request.scope)):
            return _as_graphql_response(response, state_of(request.scope).request_error)
        return response

    async def _run_read(self, request: Any) -> Response | None:
        """A JSON POST the request has already been read from (``TrustedDocuments`` keeps
        its payload in the request's state), executed as Strawberry's ``run`` would with
        that payload, without reading and adapting the request again; None for any other
        request (GET, a stream, a payload of the wrong shape), which ``run`` takes whole."""
        if not isinstance(request, Request) or request.method != "POST":
            return None
        payload = state_of(request.scope).payload
        headers = request_headers(request.scope)
        if (
            payload is None
            or _media_type(headers.get("content-type", "")) != "application/json"
            or self._get_stream_transport_from_headers(headers) is not None
        ):
            return None
        query, variables = payload.get("query"), payload.get("variables")
        operation_name, extensions = payload.get("operationName"), payload.get("extensions")
        if (
            not isinstance(query, str | None)
            or not isinstance(variables, dict | None)
            or not isinstance(extensions, dict | None)
        ):
            return None  # Strawberry's own messages
        sub_response = await self.get_sub_response(request)
        context = await self.get_context(request, response=sub_response)
        result = await self.execute_single(
            request=request,
            request_adapter=self.request_adapter_class(request),
            sub_response=sub_response,
            context=context,
            root_value=None,
            request_data=GraphQLRequestData(query, variables, operation_name, extensions),
        )
        if isinstance(result, IncrementalResults):
            return await self._in_parts(request, result, sub_response)
        response_data = await self.process_result(request=request, result=result)
        if result.errors:
            self._handle_errors(result.errors, response_data)
        return self.create_response(response_data=response_data, sub_response=sub_response)

    async def _in_parts(
        self, request: Request, result: IncrementalResults, sub_response: Response
    ) -> Response:
        """A result in parts (``incremental.py``), streamed as Strawberry's ``run`` streams
        one: each payload as it is settled, in multipart/mixed."""
        transport = self.multipart_transport_class()

        async def payloads() -> AsyncGenerator[object, None]:
            pending: list[Any] = []
            payload, pending = await self._process_stream_result(
                request, result.initial_result, pending
            )
            yield payload
            async for later in result.subsequent_results:
                payload, pending = await self._process_stream_result(request, later, pending)
                yield payload

        return await self.create_streaming_response(
            request,
            transport.stream(payloads, self.encode_json_string),
            sub_response,
            headers=transport.headers,
        )

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        # Every result over HTTP passes here, parse and validation failures included.
        result = await super().execute_single(*args, **kwargs)
        context: Context = kwargs["context"]
        whole = result.initial_result if isinstance(result, IncrementalResults) else result
        await settle(context, whole)
        if isinstance(result, IncrementalResults):  # each later part settled as it leaves
            later = each_part(result, lambda payload: settle_part(context, payload))
            result = IncrementalResults(whole, later)
        # A request error (no execution: parse, validation, limits) has no path and no data.
        errors = whole.errors or []
        state_of(context.request.scope).request_error = (
            whole.data is None and bool(errors) and all(error.path is None for error in errors)
        )
        return result

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        state = state_of(request.scope)
        if isinstance(request, Request):
            assert isinstance(response, Response)
            context = Context.of_request(request, response)
        else:  # anonymous until connection_init proves who it is; each subscription and
            # event has its own session
            services: Services = request.app.state.services
            context = Context(
                request=request,
                response=response,
                tenant=state.tenant,
                viewer=state.viewer,
                db=bind_pool(services.sessions(), state.tenant.pool_id),
                services=services,
                sites=state.sites,
            )
        return context


class _SubResponse(Response):
    """What a request's resolvers set on its response (a status, headers: THROTTLED's
    429 and Retry-After), as Strawberry's view makes it, without the headers Starlette
    would work out and Strawberry then delete (a pass over them each)."""

    def __init__(self) -> None:
        self.status_code = None  # type: ignore[assignment]  # none set
        self.background = None
        self.body = b""
        self.raw_headers = []


class _Answer(Response):
    """A GraphQL result's JSON, with what the resolvers set (``_SubResponse``): the
    response Strawberry's view makes, its two headers written as they are."""

    media_type = "application/json"

    def __init__(self, body: bytes, sub_response: Response) -> None:
        self.status_code = sub_response.status_code or 200
        self.background = sub_response.background
        self.body = body
        self.raw_headers = [
            (b"content-length", str(len(body)).encode("latin-1")),
            (b"content-type", b"application/json"),
            *sub_response.raw_headers,
        ]


def _media_type(content_type: str) -> str:
    return content_type.partition(";")[0].strip().lower()


def _as_graphql_response(response: Response, request_error: bool) -> Response:
    """GraphQL over HTTP's media type: a request error is a 400 and has no data entry."""
    if response.media_type != "application/json":
        return response  # not a GraphQL result (an error answered before execution)
    if request_error:
        body = orjson.loads(response.body)
        body.pop("data", None)
        response.body = orjson.dumps(body)
        response.headers["content-length"] = str(len(response.body))
        if response.status_code == 200:  # a request error that set none (THROTTLED: 429)
            response.status_code = 400
    response.headers["content-type"] = GRAPHQL_RESPONSE
    return response


def graphql_view() -> GraphQLView:
    # No built-in IDE: it loads its assets from a public CDN. The console serves its own.
    # GET for queries is allowed here and restricted per tenant by GraphQLOverHttp.
    # Subscriptions per connection: each site's own limit (LiveConnection).
    return GraphQLView(
        schema,
        graphql_ide=None,
        allow_queries_via_get=True,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        max_subscriptions_per_connection=None,
    )


# Each site's public SDL: it changes only with the site's policy.
PUBLIC_SDL: CacheSpec[tuple[str, int], str] = CacheSpec(
    "public_schemas",
    key="a site and its configuration's version",
    max_bytes=16 * 2**20,
    weigh=lambda _key, sdl: text_bytes(sdl),
    cleared_by=(CacheEvent.SITES_CHANGED,),
)


async def public_schema(request: Request) -> Response:
    """/schema.graphql: the site's public SDL, to build a partner's client against."""
    tenant = state_of(request.scope).tenant
    caches = request.app.state.services.caches
    sdl = PUBLIC_SDL.get((tenant.slug, tenant.version), caches)
    if sdl is None:
        sdl = public_sdl(schema._schema, tenant)
        PUBLIC_SDL.put((tenant.slug, tenant.version), sdl, caches)
    return Response(
        sdl,
        media_type="text/plain; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )

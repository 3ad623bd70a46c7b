"""Postings for search engines and aggregators over plain HTTP on each site's own host: a
posting's JSON-LD (/jobs/<id>/jsonld, to embed in the site's job page), the site's
/sitemap.xml, and its postings in Indeed's XML format (/feeds/indeed.xml). Each answers
304 to a conditional GET while the site's settings and postings are unchanged."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from jobgraph.errors import NotFound, error_response
from jobgraph.hygiene import json_for_html
from jobgraph.jobs import publishing
from jobgraph.request_state import RequestState, state_of
from jobgraph.tenancy.registry import Tenant

_CACHE = "public, max-age=300"


def _etag(request: Request, state: RequestState, *parts: str) -> str:
    """Changes with the site's settings and its pool's postings (their data version)."""
    services = request.app.state.services
    tenant = state.tenant
    data_version = services.registry.data_versions.get(tenant.pool_id, 0)
    seed = ":".join((tenant.slug, str(tenant.version), str(data_version), *parts))
    return '"' + hashlib.sha256(seed.encode()).hexdigest()[:32] + '"'


def _not_modified(request: Request, etag: str) -> Response | None:
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": _CACHE})
    return None


async def job_json_ld(request: Request) -> Response:
    state = state_of(request.scope)
    try:
        job_id = uuid.UUID(request.path_params["id"])
    except ValueError:
        return error_response(NotFound(f"No job {request.path_params['id']} on this site."))
    etag = _etag(request, state, str(job_id))
    if (unchanged := _not_modified(request, etag)) is not None:
        return unchanged
    found = await publishing.shown_with_company(state.db, state.tenant, job_id)
    if found is None:
        return error_response(NotFound(f"No job {job_id} on this site."))
    document = publishing.json_ld(state.tenant, *found)
    # Escaped for an HTML page, where it is meant to be pasted: no value ends the script.
    return Response(
        json_for_html(document),
        media_type="application/ld+json",
        headers={"ETag": etag, "Cache-Control": _CACHE},
    )


async def sitemap(request: Request) -> Response:
    return _xml(request, "sitemap", publishing.sitemap)


async def indeed_feed(request: Request) -> Response:
    return _xml(request, "job feed", publishing.indeed_feed)


def _xml(
    request: Request,
    what: str,
    document: Callable[[AsyncSession, Tenant], AsyncIterator[str]],
) -> Response:
    """A document of the site's postings, streamed; 304 while nothing changed."""
    state = state_of(request.scope)
    if state.tenant.policy.job_url_template is None:
        return error_response(
            NotFound(
                f"{state.tenant.site_name} has no {what}: its policy.job_url_template does "
                "not say where its job pages are."
            )
        )
    etag = _etag(request, state, what)
    if (unchanged := _not_modified(request, etag)) is not None:
        return unchanged
    return StreamingResponse(
        document(state.db, state.tenant),
        media_type="application/xml",
        headers={"ETag": etag, "Cache-Control": _CACHE},
    )

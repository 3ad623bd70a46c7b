"""What a webhook carries of an applicant, executed by the API's own engine: a selection of
the schema's ``Resume`` type, run with graphql-core over the very field resolvers a
query's ``candidate { … }`` runs, which reveal and record what they show as they do for a
query. The selection is made from the fields' declarations (``discloses`` in
resumes/types.py): every field whose classes of data the policy lets the endpoint see,
under its API name and in its API form, and the disclosure's ``withheldFields``."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    execute,
    get_named_type,
    parse,
)
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.graphql.loaders import Loaders
from jobgraph.graphql.schema import schema
from jobgraph.policy.fields import ResumeField
from jobgraph.policy.record import DisclosureRecorder
from jobgraph.resumes.applications import applicant_seen_by
from jobgraph.resumes.types import DISCLOSES
from jobgraph.tenancy.registry import TenantRegistry
from jobgraph.webhooks.models import WebhookEndpoint


def _resume_type() -> GraphQLObjectType:
    found = schema._schema.get_type("Resume")
    assert isinstance(found, GraphQLObjectType)
    return found


RESUME = _resume_type()

# The schema a payload is executed in: one root field answering the resume it is given,
# whose type is the API's own Resume (its fields, resolvers and declarations).
PAYLOAD_SCHEMA = GraphQLSchema(
    query=GraphQLObjectType(
        "WebhookPayload", {"applicant": GraphQLField(RESUME, resolve=lambda root, _info: root)}
    )
)


def carried(graphql_field: GraphQLField) -> frozenset[ResumeField]:
    definition = graphql_field.extensions.get("strawberry-definition")
    metadata = (definition.metadata if definition is not None else None) or {}
    return frozenset(metadata.get(DISCLOSES, ()))


def applicant_selection(allowed: frozenset[ResumeField]) -> str:
    """The document asking for every personal field of a Resume that carries only classes
    in ``allowed``, whole, and for what is withheld."""
    parts = [
        name + _whole(get_named_type(graphql_field.type))
        for name, graphql_field in RESUME.fields.items()
        if carried(graphql_field) and carried(graphql_field) <= allowed
    ]
    return "{ applicant { " + " ".join([*parts, "disclosure { withheldFields }"]) + " } }"


def _whole(named: GraphQLNamedType) -> str:
    if not isinstance(named, GraphQLObjectType):
        return ""
    inner = (name + _whole(get_named_type(f.type)) for name, f in named.fields.items())
    return " { " + " ".join(inner) + " }"


@dataclass
class PayloadContext:
    """What the Resume's resolvers ask of a context: its loaders and its record."""

    loaders: Loaders
    disclosures: DisclosureRecorder = field(default_factory=DisclosureRecorder)


async def applicant_fields(
    db: AsyncSession,
    registry: TenantRegistry,
    endpoint: WebhookEndpoint,
    data: Mapping[str, Any],
) -> dict[str, Any] | None:
    """Webhooks' hook (``webhooks/hooks.py``): the applicant as the endpoint may see them
    (``applicant_seen_by``), executed, and recorded as disclosed to the endpoint in the
    caller's transaction; None where it sees nothing."""
    recorder = DisclosureRecorder()
    seen = await applicant_seen_by(db, registry, endpoint, data, recorder)
    if seen is None:
        return None
    site, resume = seen
    context = PayloadContext(Loaders(db, site), recorder)
    document = parse(applicant_selection(resume.decision.disclosed))
    result = execute(PAYLOAD_SCHEMA, document, root_value=resume, context_value=context)
    if inspect.isawaitable(result):
        result = await result
    if result.errors or result.data is None:  # a fixed selection: a fault, never a payload
        raise RuntimeError(f"The applicant's payload failed: {result.errors}")
    applicant = dict(result.data["applicant"])
    withheld = applicant.pop("disclosure")["withheldFields"]
    await context.disclosures.flush(db, site, recipient=f"webhook:{endpoint.id}")
    return {"applicant": applicant | {"withheldFields": withheld}}

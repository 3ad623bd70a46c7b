"""The one GraphQL schema, assembled from the domains' query and mutation roots."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.tools import merge_types

from jobgraph.agreements.schema import AgreementsMutation, AgreementsQuery
from jobgraph.communications.schema import CommunicationsMutation, CommunicationsQuery
from jobgraph.graphql.documents_schema import TrustedDocumentsMutation, TrustedDocumentsQuery
from jobgraph.graphql.execution import LeanExecutionContext
from jobgraph.graphql.limits import OperationLimits, SiteTokenLimit
from jobgraph.graphql.replicas import ReadsAfterWrites
from jobgraph.graphql.visibility import IntrospectionVisibility
from jobgraph.identity.schema import IdentityMutation, IdentityQuery
from jobgraph.jobs.schema import JobsMutation, JobsQuery
from jobgraph.privacy.schema import PrivacyMutation, PrivacyQuery
from jobgraph.resumes.schema import ResumesMutation, ResumesQuery, ResumesSubscription
from jobgraph.tenancy.schema import TenantAdminMutation, TenantAdminQuery, TenantQuery
from jobgraph.webhooks.schema import WebhooksMutation, WebhooksQuery

Query = merge_types(
    "Query",
    (
        TenantQuery,
        TenantAdminQuery,
        IdentityQuery,
        TrustedDocumentsQuery,
        JobsQuery,
        ResumesQuery,
        AgreementsQuery,
        PrivacyQuery,
        CommunicationsQuery,
        WebhooksQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        TenantAdminMutation,
        IdentityMutation,
        TrustedDocumentsMutation,
        JobsMutation,
        ResumesMutation,
        AgreementsMutation,
        PrivacyMutation,
        CommunicationsMutation,
        WebhooksMutation,
    ),
)

# Over WebSocket only (graphql/subscriptions.py).
Subscription = merge_types("Subscription", (ResumesSubscription,))


class JobgraphSchema(strawberry.Schema):
    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        # The view's error shaping logs what is unexpected; expected errors are no log noise.
        return None


schema = JobgraphSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    # Plain leaves of every item read straight from their objects (graphql/execution.py).
    execution_context_class=LeanExecutionContext,
    extensions=[
        # The site's token limit while the document is read, before any other work; then
        # parsing and validating (they cost more than resolving here) cached per document.
        SiteTokenLimit,
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
        # After validation (it needs a valid document), before execution; per tenant.
        OperationLimits,
        # The schema explorer lists the root operations the viewer may call.
        IntrospectionVisibility,
        # Queries read from the replica, where one is configured; after a mutation, what
        # was written shows in the next read (the replica's lag, the registry's versions).
        ReadsAfterWrites,
    ],
)


def schema_sdl() -> str:
    return schema.as_str() + "\n"

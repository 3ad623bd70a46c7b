"""The one GraphQL schema, assembled from the domains' query and mutation roots."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from jobgraph.agreements.schema import AgreementsMutation, AgreementsQuery
from jobgraph.communications.schema import CommunicationsMutation, CommunicationsQuery
from jobgraph.graphql.admission import Admission
from jobgraph.graphql.compiled import PlannedReads
from jobgraph.graphql.execution import LeanExecutionContext
from jobgraph.graphql.inputs import convert_inputs, pin_argument_names
from jobgraph.graphql.replicas import ReadsAfterWrites
from jobgraph.graphql.stages import StagedExtensionsRunner, hook_table
from jobgraph.graphql.visibility import IntrospectionVisibility
from jobgraph.identity.schema import (
    IdentityMutation,
    IdentityQuery,
    TrustedDocumentsMutation,
    TrustedDocumentsQuery,
)
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


class KnownOperation(ExecutionContext):
    """Strawberry's execution context with its operation's name and type worked out once
    per document: Strawberry walks the document's definitions again on every access, and a
    request asks a dozen times (its extensions, the plan, the executor)."""

    # Each: the document it was worked out for, and the answer (None: not yet).
    _known_name: tuple[Any, str | None] | None = None
    _known_type: tuple[Any, OperationType] | None = None

    @property
    def operation_name(self) -> str | None:
        known = self._known_name
        if known is None or known[0] is not self.graphql_document:
            known = self._known_name = self._worked_out(ExecutionContext.operation_name)
        return known[1]

    @property
    def operation_type(self) -> OperationType:
        known = self._known_type
        if known is None or known[0] is not self.graphql_document:
            known = self._known_type = self._worked_out(ExecutionContext.operation_type)
        return known[1]

    def _worked_out(self, strawberrys: Any) -> tuple[Any, Any]:
        """Strawberry's property ``strawberrys`` of this context, with the document it was
        worked out for (one it raises, as Strawberry raises it, is not kept: no document,
        an unknown operation name)."""
        return self.graphql_document, strawberrys.fget(self)


class JobgraphSchema(strawberry.Schema):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hooks = hook_table([*self.extensions, *self.get_extensions()])

    def _create_execution_context(self, *args: Any, **kwargs: Any) -> ExecutionContext:
        context = super()._create_execution_context(*args, **kwargs)
        context.__class__ = KnownOperation  # the same object, its operation kept
        return context

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        # Each extension's hooks are found once, here, not per request (graphql/stages.py).
        return StagedExtensionsRunner(execution_context, extensions, self.hooks)

    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        # The view's error shaping logs what is unexpected; expected errors are no log noise.
        return None


schema = JobgraphSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    # Plain leaves of every item read straight from their objects (graphql/execution.py).
    execution_context_class=LeanExecutionContext,
    # @defer and @stream, answered in parts over multipart/mixed (graphql/incremental.py).
    config=StrawberryConfig(enable_experimental_incremental_execution=True),
    extensions=[
        # The site's token limit while the document is read, then its other limits, then
        # validation; parsed and validated once per document (graphql/admission.py).
        Admission,
        # The schema explorer lists the root operations the viewer may call.
        IntrospectionVisibility,
        # Queries read from the replica, where one is configured; after a mutation, what
        # was written shows in the next read (the replica's lag, the registry's versions).
        ReadsAfterWrites,
        # Last: a query over public data runs by its document's plan (graphql/compiled.py),
        # after every extension above has done its part.
        PlannedReads,
    ],
)
# Input objects built by a conversion worked out once per type, arguments named once
# (graphql/inputs.py).
convert_inputs(schema)
pin_argument_names(schema)


def schema_sdl() -> str:
    return schema.as_str() + "\n"

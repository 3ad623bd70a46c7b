"""Shapes every error of a GraphQL response: known errors keep their code and message,
parse and validation errors get theirs, anything unexpected is logged with its traceback
and leaves the service masked, with a reference to find it in the log."""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from graphql import GraphQLError

from jobgraph.db.outages import is_database_outage, log_outage, outage_message
from jobgraph.errors import ErrorCode, JobgraphError
from jobgraph.graphql.limits import too_many_tokens

log = logging.getLogger("jobgraph.errors")


# graphql-core's parser, stopped by the site's token limit (graphql/admission.py: a document
# the read ahead counted over it never gets there).
_OVER_TOKEN_LIMIT = re.compile(r"^Syntax Error: Document contains more than (\d+) tokens")


def over_token_limit(error: GraphQLError) -> int | None:
    """The limit a document was refused over while parsing, or None."""
    found = _OVER_TOKEN_LIMIT.search(error.message) if error.original_error is None else None
    return int(found[1]) if found else None


# graphql-core's suggestions, wherever they stand in a message (validation, and the
# coercion of a variable's value: an enum value, an input field name).
_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


def shape_error(error: GraphQLError, suggestions: bool = True) -> GraphQLError:
    """The error as it may leave the service; ``suggestions`` False drops graphql-core's
    "Did you mean …?" (it would reveal the schema to whom introspection is closed)."""
    original = error.original_error
    if isinstance(original, JobgraphError):
        extensions = {"code": str(original.code), **original.extensions}
        return _replace(error, original.message, extensions)
    if (limit := over_token_limit(error)) is not None:
        # Refused while it was read, for its size: before any other work.
        refusal = too_many_tokens(limit)
        return _replace(error, refusal.message, dict(refusal.extensions or {}))
    if original is None:
        code = (
            ErrorCode.GRAPHQL_PARSE_FAILED
            if error.message.startswith("Syntax Error")
            else ErrorCode.GRAPHQL_VALIDATION_FAILED
        )
        message = error.message if suggestions else _SUGGESTION.sub("", error.message)
        if error.extensions and "code" in error.extensions:
            return _replace(error, message, error.extensions)
        return _replace(error, message, {"code": str(code)})
    if isinstance(original, GraphQLError):
        # A variable's value did not fit its type: the message names the field.
        message = error.message if suggestions else _SUGGESTION.sub("", error.message)
        return _replace(error, message, {"code": str(ErrorCode.BAD_USER_INPUT)})
    reference = uuid.uuid4().hex[:12]
    if is_database_outage(original):
        log_outage(reference, original)
        return _replace(
            error,
            outage_message(reference),
            {"code": str(ErrorCode.SERVICE_UNAVAILABLE), "reference": reference},
        )
    log.error("unexpected error (reference %s)", reference, exc_info=original)
    return _replace(
        error,
        f"Internal error (reference {reference}). It has been logged; try again later.",
        {"code": str(ErrorCode.INTERNAL), "reference": reference},
    )


def _replace(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )

"""Ids as the API shows them (UUID strings) and reads them back."""

from __future__ import annotations

import uuid

from jobgraph.errors import BadUserInput


def parse_id(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as error:
        raise BadUserInput(f"'{value}' is not a valid id.", field=field) from error

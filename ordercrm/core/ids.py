"""Primary keys: UUID version 7, so ids are unguessable across tenants yet sort by creation,
which keeps PostgreSQL's B-tree inserts at the right edge instead of scattered pages."""

import uuid

from uuid6 import uuid7


def new_id() -> uuid.UUID:
    return uuid.UUID(bytes=uuid7().bytes)


def parse_id(value) -> uuid.UUID:
    """``value`` as a UUID; anything malformed is reported as not found, like a missing row."""
    from ordercrm.core.exceptions import NotFound

    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError) as exc:
        raise NotFound(details={"id": str(value)}) from exc

"""The outbox writer: services call :func:`emit` inside their transaction.

The event commits or rolls back with the change it describes; delivery to subscribers happens
after commit and at least once (see ``ordercrm.notifications``).
"""

from __future__ import annotations

from typing import Any

from django.db import models

from ordercrm.core.audit import entity_type_of, json_value
from ordercrm.core.models import Event


def emit(
    *, type: str, entity: models.Model, actor=None, payload: dict[str, Any] | None = None
) -> Event:
    return Event.objects.create(
        company_id=entity.company_id,
        type=type,
        entity_type=entity_type_of(entity),
        entity_id=str(entity.pk),
        actor=actor if getattr(actor, "pk", None) else None,
        payload=json_value(payload or {}),
    )

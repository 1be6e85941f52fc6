"""Audit entries: services call :func:`record` once per mutation, inside their transaction."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import models

from ordercrm.core.context import current_source
from ordercrm.core.models import AuditEntry


def json_value(value: Any) -> Any:
    """A JSON-safe, exact rendering of a field value (Decimals as strings, dates ISO)."""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return [json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Field values of ``instance`` (foreign keys as ids) in JSON form, for before/after."""
    values = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attname = getattr(field, "attname", name)
        values[name] = json_value(getattr(instance, attname))
    return values


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for the fields whose value changed."""
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def entity_type_of(instance: models.Model) -> str:
    return instance._meta.label_lower


def record(
    *,
    actor,
    entity: models.Model,
    action: str,
    changes: dict[str, Any] | None = None,
    label: str | None = None,
) -> AuditEntry:
    """Append the audit entry of one mutation of ``entity`` (which carries the company, or
    is the company)."""
    from ordercrm.core.models import Company

    return AuditEntry.objects.create(
        company_id=entity.pk if isinstance(entity, Company) else entity.company_id,
        actor=actor if getattr(actor, "pk", None) else None,
        source=current_source(),
        entity_type=entity_type_of(entity),
        entity_id=str(entity.pk),
        entity_label=(label if label is not None else str(entity))[:200],
        action=action,
        changes=json_value(changes or {}),
    )

"""Collects field errors in a service and raises them together as one ``ValidationFailed``."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.money import to_decimal


class FieldErrors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message) -> None:
        self.fields.setdefault(field, []).append(str(message))

    def __bool__(self) -> bool:
        return bool(self.fields)

    def raise_if_any(self, code: str | None = None) -> None:
        if self.fields:
            raise ValidationFailed(code=code, details={"fields": self.fields})

    def required(self, field: str, value) -> None:
        if value is None or (isinstance(value, str) and not value.strip()):
            self.add(field, _("This field is required."))

    def decimal(self, field: str, value, *, minimum: Decimal | None = None) -> Decimal | None:
        """``value`` as a Decimal, or ``None`` with an error recorded."""
        try:
            number = to_decimal(value)
        except (TypeError, ValueError):
            self.add(field, _("Enter a number."))
            return None
        if minimum is not None and number < minimum:
            self.add(field, _("Must be at least %(minimum)s.") % {"minimum": minimum})
            return None
        return number

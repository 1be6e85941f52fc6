"""List filters, parsed once for every caller.

A list's filter is a frozen dataclass in its domain app (``sales.filters.OrderListFilter``,
``billing.filters.InvoiceListFilter``, ...) deriving from :class:`ListFilter`: its fields are
the typed values its selector takes, ``PARSERS`` says how each is read from text. The web
(query string, CSV/XLSX export) and the API (query parameters) hand :meth:`ListFilter.parse`
their raw values under their own parameter names (the web's ``from``, the API's
``date_from``), so a refusal names the field the user filled in, in the user's language, and
nothing is listed from a filter that was misread.
"""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Self

from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from ordercrm.core.exceptions import ValidationFailed


class FilterValueError(ValueError):
    """A filter value that cannot be read: ``message`` for the page, ``detail`` per field."""

    def __init__(self, message: str, detail: str):
        super().__init__(message)
        self.message = message
        self.detail = detail


def date_value(text: str) -> datetime.date:
    """An ISO date (``2026-01-05``; Django's ``2026-1-5`` too), else a refusal."""
    try:
        found = parse_date(text)
    except ValueError:  # well formed but not a day (2026-13-45)
        found = None
    if found is None:
        try:
            found = datetime.date.fromisoformat(text)
        except ValueError:
            raise FilterValueError(_("Enter a valid date."), "YYYY-MM-DD") from None
    return found


def id_value(text: str) -> uuid.UUID:
    """A record id (UUID), else a refusal."""
    try:
        return uuid.UUID(text)
    except ValueError:
        raise FilterValueError(_("Not a valid id."), text) from None


def choice(values: Iterable[str], *, status: bool = True) -> Callable[[str], str]:
    """A parser accepting one of ``values``; the refusal says "status" (or "value")."""
    allowed = list(values)

    def parse(text: str) -> str:
        if text not in allowed:
            params = {"value": text, "choices": ", ".join(allowed)}
            message = (
                _("Unknown status “%(value)s”; use one of: %(choices)s.")
                if status
                else _("Unknown value “%(value)s”; use one of: %(choices)s.")
            )
            raise FilterValueError(message % params, text)
        return text

    return parse


def text_value(text: str) -> str:
    return text


@dataclasses.dataclass(frozen=True)
class ListFilter:
    """Base of a list's filter; subclasses add fields (default: no filter) and ``PARSERS``."""

    PARSERS: ClassVar[dict[str, Callable[[str], Any]]] = {}

    @classmethod
    def parse(cls, raw: Mapping[str, Any], names: Mapping[str, str]) -> Self:
        """The filter from ``raw`` values, read under the caller's ``names`` (parameter name
        → filter field). Empty values are no filter; unreadable ones raise one
        ``ValidationFailed`` whose ``details["fields"]`` names each parameter."""
        values: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        messages: list[str] = []
        for param, field in names.items():
            value = raw.get(param)
            if isinstance(value, str):
                value = value.strip()
            if value in (None, ""):
                continue
            try:
                values[field] = cls.PARSERS[field](str(value))
            except FilterValueError as error:
                errors[param] = [error.detail]
                messages.append(error.message)
        if errors:
            # every reason, so the page says what to fix in each field at once
            raise ValidationFailed(" ".join(dict.fromkeys(messages)), details={"fields": errors})
        return cls(**values)

    def as_kwargs(self) -> dict[str, Any]:
        """The fields as keyword arguments of the list's selector."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

"""The API object: bearer-token auth, the error shape, cursor pagination, value formats.

Every error is ``{"error": {"code", "message", "details"}}`` with the domain error's status;
money and quantities travel as decimal strings; lists take ``limit`` and ``cursor`` and
answer ``{"items", "limit", "next"}``.
"""

from __future__ import annotations

import base64
import datetime
import json
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from django.db.models import F, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer
from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from ordercrm.accounts.access import access_for, companies_of
from ordercrm.accounts.tokens import token_find
from ordercrm.core.db import reading_from_primary
from ordercrm.core.exceptions import DomainError
from ordercrm.core.ids import parse_id
from ordercrm.core.money import plain, to_decimal


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``; ``X-Company: <code>`` picks one of the user's
    companies (default: the first)."""

    def authenticate(self, request, token):
        # Who the caller is and where they are a member is read from the primary, also for a
        # route that reads the replica (a membership just revoked must not linger there).
        with reading_from_primary():
            return self._authenticate(request, token)

    def _authenticate(self, request, token):
        # The API middleware found the token already (it counts the rate limit per token).
        seen = getattr(request, "_ordercrm_token", None)
        found = seen[1] if seen and seen[0] == token else token_find(token)
        if found is None:
            return None
        companies = companies_of(found.user)
        wanted = request.headers.get("X-Company")
        company = (
            next((c for c in companies if c.code == wanted), None)
            if wanted
            else (companies[0] if companies else None)
        )
        if company is None:
            return None
        request.user = found.user
        request.company = company
        request.access = access_for(found.user, company)
        return found


class OrderCrmApi(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        """Operation ids are part of the published contract (client generators name their
        methods after them). v1's were made from the one module that held every handler,
        ``ordercrm.api.v1.routes``; the handlers now live in one module per area and the ids
        stay as published (handler names are unique across the areas)."""
        return f"ordercrm_api_v1_routes_{operation.view_func.__name__}"


api = OrderCrmApi(
    title="OrderCRM API",
    version="1",
    description="The order-to-cash contract: JSON, snake_case, UUID ids, decimal strings.",
    auth=TokenAuth(),
    urls_namespace="api-v1",
)


def error_response(request, status: int, code: str, message: str, details=None):
    return api.create_response(
        request,
        {"error": {"code": code, "message": str(message), "details": details or {}}},
        status=status,
    )


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    status = exc.http_status
    if request.headers.get("If-Match") and exc.code.endswith("stale_version"):
        status = 412  # the precondition the client sent failed; details carry the version
    return error_response(request, status, exc.code, exc.text, exc.details)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc: NinjaValidationError):
    return error_response(
        request,
        422,
        "core.validation_failed",
        _("Some values are not valid."),
        {"errors": exc.errors},
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return error_response(request, 401, "api.unauthorized", _("A valid bearer token is required."))


@api.exception_handler(Http404)
def on_404(request, exc):
    return error_response(request, 404, "core.not_found", _("Not found."))


@api.exception_handler(Exception)
def on_unexpected(request, exc: Exception):
    """A bug or an outage is still answered in the error shape (and logged with its
    traceback), never as an HTML page."""
    import logging

    from django.core.exceptions import RequestDataTooBig

    if isinstance(exc, RequestDataTooBig):
        from django.conf import settings

        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return error_response(
            request,
            413,
            "core.request_too_large",
            _("The request is too large (at most %(limit)s bytes).") % {"limit": limit},
            {"limit": limit},
        )
    logging.getLogger("ordercrm.api").error(
        "API request failed: %s %s", request.method, request.path, exc_info=exc
    )
    return error_response(
        request, 500, "core.server_error", _("The server could not complete the request.")
    )


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return error_response(request, exc.status_code, "api.error", str(exc))


# ---------------------------------------------------------------- values
#
# The types of the output schemas: each reads only a value of the right kind (anything else
# fails the response's validation) and writes it in the contract's text form.


def _exact_decimal(value: object) -> Decimal:
    try:
        return to_decimal(value)  # Decimal, int or str; never float, bool or NaN
    except (TypeError, ValueError) as exc:
        raise ValueError(str(exc)) from None  # a validation error, so ``X | None`` tries None


def _id_text(value: object) -> str:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str) and value:
        return value
    raise ValueError(f"not an id: {value!r}")


_DECIMAL_TEXT = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}

Amount = Annotated[
    Decimal,
    BeforeValidator(_exact_decimal),
    PlainSerializer(lambda value: format(value, "f"), return_type=str),
    WithJsonSchema(
        {
            **_DECIMAL_TEXT,
            "description": "A decimal string that keeps its scale.",
            "examples": ["1234.50"],
        }
    ),
]
"""Money as a decimal string that keeps its scale: ``"1234.50"``."""

Quantity = Annotated[
    Decimal,
    BeforeValidator(_exact_decimal),
    PlainSerializer(plain, return_type=str),
    WithJsonSchema(
        {
            **_DECIMAL_TEXT,
            "description": "A decimal string without trailing zeros.",
            "examples": ["2.5"],
        }
    ),
]
"""Quantities, unit prices, percentages and rates without trailing zeros: ``"2.5"``."""

Id = Annotated[str, BeforeValidator(_id_text), WithJsonSchema({"type": "string", "format": "uuid"})]
DateTime = Annotated[
    datetime.datetime,
    PlainSerializer(lambda value: value.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
Date = Annotated[
    datetime.date,
    PlainSerializer(lambda value: value.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date"}),
]


class Loaded:
    """``obj`` read through, with attributes a selector loaded for the response (a
    shipment's lines, say), so an output schema reads them instead of a related manager."""

    def __init__(self, obj: Any, **loaded: Any):
        self._obj = obj
        self.__dict__.update(loaded)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._obj, name)


# ---------------------------------------------------------------- pagination

MAX_LIMIT = 200


def _encode(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode(cursor: str) -> list:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError as exc:
        raise ValueError(cursor) from exc


def _cursor_position(cursor: str) -> tuple[datetime.datetime, Any]:
    """The (created_at, id) a cursor points after; ``api.bad_cursor`` for anything else."""
    try:
        at, last_id = _decode(cursor)
        return datetime.datetime.fromisoformat(at), parse_id(last_id)
    except (TypeError, ValueError, DomainError) as exc:
        raise DomainError(code="api.bad_cursor", message=_("The cursor is not valid.")) from exc


def page(
    queryset: QuerySet,
    limit: int,
    cursor: str | None,
    *,
    ascending: bool = False,
    page_rows: Callable[[list], list] | None = None,
) -> dict[str, Any]:
    """Keyset pagination on (created_at, id): stable under inserts, one query per page.

    The items are the page's objects (``page_rows`` may turn the whole page into others in a
    fixed number of queries); the route's output schema writes them."""
    limit = max(1, min(limit or 50, MAX_LIMIT))
    if ascending:
        queryset = queryset.order_by("created_at", "id")
    else:
        queryset = queryset.order_by("-created_at", "-id")
    if cursor:
        at, last_id = _cursor_position(cursor)
        # A row comparison, ``(created_at, id) < (at, last_id)``: PostgreSQL reads it as a
        # range of the (company, created_at, id) index, where the equivalent OR is a filter
        # over every row before it (2.2 s halfway down a million orders, against 1 ms).
        # Django writes the OR itself where the database has no row values (SQLite).
        after = TupleGreaterThan if ascending else TupleLessThan
        queryset = queryset.filter(after(Tuple(F("created_at"), F("id")), (at, last_id)))
    page_of = list(queryset[: limit + 1])
    more = len(page_of) > limit
    page_of = page_of[:limit]
    next_cursor = (
        _encode([page_of[-1].created_at.isoformat(), str(page_of[-1].pk)])
        if more and page_of
        else None
    )
    return {
        "items": page_rows(page_of) if page_rows else page_of,
        "limit": limit,
        "cursor": cursor or None,
        "next": next_cursor,
    }


def version_from(request, body_version: int | None) -> int | None:
    """The version a write is based on: ``If-Match`` (an ETag like ``"3"``) or ``version``."""
    header = request.headers.get("If-Match")
    if header:
        try:
            return int(header.strip().strip("W/").strip('"'))
        except ValueError:
            raise DomainError(
                code="api.bad_if_match", message=_("If-Match must be a version.")
            ) from None
    return body_version

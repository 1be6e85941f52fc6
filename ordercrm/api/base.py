"""The API object: bearer-token auth, the error shape, cursor pagination, value formats.

Every error is ``{"error": {"code", "message", "details"}}`` with the domain error's status;
money and quantities travel as decimal strings; lists take ``limit`` and ``cursor`` and
answer ``{"items", "limit", "next"}``.
"""

from __future__ import annotations

import base64
import datetime
import json
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from ordercrm.accounts.access import access_for, companies_of
from ordercrm.accounts.tokens import token_find
from ordercrm.core.exceptions import DomainError
from ordercrm.core.ids import parse_id
from ordercrm.core.money import plain


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``; ``X-Company: <code>`` picks one of the user's
    companies (default: the first)."""

    def authenticate(self, request, token):
        found = token_find(token)
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
        check_rate(found.pk)
        request.user = found.user
        request.company = company
        request.access = access_for(found.user, company)
        return found


api = NinjaAPI(
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


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after


@api.exception_handler(RateLimited)
def on_rate_limited(request, exc: RateLimited):
    response = error_response(
        request, 429, "api.rate_limited", _("Too many requests; retry after a moment.")
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


def check_rate(token_id) -> None:
    """A fixed one-minute window per token in the shared cache; ``API_RATE_LIMIT`` per
    minute (0 turns it off)."""
    import time

    from django.conf import settings
    from django.core.cache import cache

    limit = getattr(settings, "API_RATE_LIMIT", 0)
    if not limit:
        return
    window = int(time.time() // 60)
    key = f"api-rate:{token_id}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:
        count = 1
    if count > limit:
        raise RateLimited(retry_after=60 - int(time.time() % 60))


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


def dec(value: Decimal | None, *, quantity: bool = False) -> str | None:
    """Amounts keep their scale ("1234.50"); quantities drop trailing zeros ("2.5")."""
    if value is None:
        return None
    return plain(value) if quantity else str(value)


def iso(value) -> str | None:
    return value.isoformat() if value else None


def uid(value) -> str | None:
    return str(value) if value else None


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
    queryset: QuerySet, limit: int, cursor: str | None, serialize, *, ascending: bool = False
) -> dict[str, Any]:
    """Keyset pagination on (created_at, id): stable under inserts, one query per page."""
    limit = max(1, min(limit or 50, MAX_LIMIT))
    if ascending:
        queryset = queryset.order_by("created_at", "id")
    else:
        queryset = queryset.order_by("-created_at", "-id")
    if cursor:
        at, last_id = _cursor_position(cursor)
        if ascending:
            queryset = queryset.filter(Q(created_at__gt=at) | Q(created_at=at, id__gt=last_id))
        else:
            queryset = queryset.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=last_id))
    rows = list(queryset[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = (
        _encode([rows[-1].created_at.isoformat(), str(rows[-1].pk)]) if more and rows else None
    )
    return {
        "items": [serialize(row) for row in rows],
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

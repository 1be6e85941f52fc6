"""The request guard: input that no view may see, refused before any view runs.

- A body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (Django's own setting, configured with
  ``ORDERCRM_MAX_BODY_BYTES``) answers 413, without reading it.
- A NUL byte in the path, the query string or a form field answers 400: PostgreSQL cannot
  store or compare text containing NUL, and no keyboard types one.
- Under ``/api/`` both refusals, and any exception a view lets escape, come back in the
  API's error shape ``{"error": {"code", "message", "details"}}`` (never an HTML page).
"""

from __future__ import annotations

import logging
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext as _

from ordercrm.core.validation import NUL

logger = logging.getLogger("ordercrm.request")


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def refusal(request, status: int, code: str, message: str, details=None):
    """A refusal in the shape of the edge: JSON error body for the API, a small page else."""
    if _is_api(request):
        return JsonResponse(
            {"error": {"code": code, "message": str(message), "details": details or {}}},
            status=status,
        )
    body = f"<!doctype html><title>{status}</title><h1>{escape(message)}</h1>"
    if details and details.get("field"):
        body += f"<p>{escape(details['field'])}</p>"
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


class RequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            return self._too_big(request, limit)
        if b"\x00" in unquote_to_bytes(request.META.get("QUERY_STRING", "")) or (
            NUL in request.path_info
        ):
            return self._nul(request, "")
        content_type = request.META.get("CONTENT_TYPE", "")
        if request.method == "POST" and content_type.startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            try:
                # Read the body first (it is within the limit): parsing a multipart form from
                # the stream would consume it, and the API's Idempotency-Key fingerprints
                # request.body afterwards.
                request.body  # noqa: B018
                for name, values in request.POST.lists():
                    if NUL in name or any(NUL in v for v in values):
                        return self._nul(request, name.replace(NUL, ""))
            except RequestDataTooBig:
                return self._too_big(request, limit)
        response = self.get_response(request)
        if (
            _is_api(request)
            and response.status_code >= 500
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            # a failure below us already became Django's HTML 500 page: answer in the shape
            return self._server_error(request, response.status_code)
        return response

    def _server_error(self, request, status=500):
        return refusal(
            request,
            status,
            "core.server_error",
            _("The server could not complete the request."),
        )

    def _too_big(self, request, limit):
        return refusal(
            request,
            413,
            "core.request_too_large",
            _("The request is too large (at most %(limit)s bytes).") % {"limit": limit},
            {"limit": limit},
        )

    def _nul(self, request, field):
        return refusal(
            request,
            400,
            "core.nul_character",
            _("Text cannot contain NUL characters."),
            {"field": field} if field else {},
        )

    def process_exception(self, request, exception):
        if isinstance(exception, RequestDataTooBig):
            return self._too_big(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        if not _is_api(request):
            return None  # Django's 500 page (and its logging) for the web
        logger.exception("API request failed: %s %s", request.method, request.path)
        return self._server_error(request)

"""``Idempotency-Key`` for API POSTs: the same key with the same request gets the original
response again (nothing runs twice); the same key with a different request gets 409."""

from __future__ import annotations

import hashlib
import time

from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from ordercrm.accounts.tokens import token_find
from ordercrm.api.models import IdempotencyRecord
from ordercrm.core.context import change_source

WAIT_FOR_TWIN_S = 15


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "details": {}}}, status=status)


class IdempotencyMiddleware:
    """Also marks every API request's changes as coming from the ``api`` source."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        with change_source("api"):
            return self._handle(request)

    def _handle(self, request):
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key or not request.path.startswith("/api/"):
            return self.get_response(request)
        auth = request.headers.get("Authorization", "")
        token = token_find(auth[7:].strip()) if auth.lower().startswith("bearer ") else None
        if token is None:
            return self.get_response(request)  # the API answers 401 itself
        digest = hashlib.sha256(
            request.method.encode() + b" " + request.get_full_path().encode() + b"\n" + request.body
        ).hexdigest()
        existing = IdempotencyRecord.objects.filter(token=token, key=key[:200]).first()
        if existing is None:
            try:
                with transaction.atomic():
                    existing = IdempotencyRecord.objects.create(
                        token=token, key=key[:200], request_digest=digest
                    )
            except IntegrityError:
                existing = IdempotencyRecord.objects.filter(token=token, key=key[:200]).first()
            else:
                response = self.get_response(request)
                if response.status_code >= 500:
                    existing.delete()  # a crash is not an answer: let the retry run
                else:
                    existing.status_code = response.status_code
                    existing.content_type = response.get("Content-Type", "")
                    existing.body = bytes(response.content)
                    existing.save(update_fields=["status_code", "content_type", "body"])
                return response
        if existing.request_digest != digest:
            return _error(
                409,
                "api.idempotency_key_reused",
                _("This Idempotency-Key was used for a different request."),
            )
        # A racing twin waits for the first request's answer, then gets the same answer.
        deadline = time.monotonic() + WAIT_FOR_TWIN_S
        while existing is not None and existing.status_code is None and time.monotonic() < deadline:
            time.sleep(0.05)
            existing = IdempotencyRecord.objects.filter(pk=existing.pk).first()
        if existing is None:  # the first one crashed (5xx): let the client retry
            return _error(409, "api.request_in_progress", _("Retry the request."))
        if existing.status_code is None:
            return _error(409, "api.request_in_progress", _("The same request is still running."))
        response = HttpResponse(
            bytes(existing.body), status=existing.status_code, content_type=existing.content_type
        )
        response["Idempotent-Replayed"] = "true"
        return response

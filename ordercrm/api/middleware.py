"""The API's write boundary: every write request is one transaction, an ``Idempotency-Key``
makes a POST run at most once, and the rate limit is counted before either.

**One transaction per write.** A POST, PUT, PATCH or DELETE under ``/api/`` runs inside one
``transaction.atomic()`` around the whole view *and* the rendering of its response (the
services' own atomic blocks become savepoints). A 5xx answer, or an exception anywhere in the
view or the serializer, rolls everything back: an API 5xx means nothing changed, so a client
may retry it with or without a key.

**Idempotency that survives faults.** The design is "the answer is written in the same
transaction as the effect":

1. *Claim* (its own short transaction): insert ``IdempotencyRecord(token, key, digest,
   attempt, locked_until = now + IDEMPOTENCY_LEASE_SECONDS)``; ``status_code`` stays NULL.
2. *Run* (the request transaction): the view runs; before the commit the record is locked
   (``SELECT … FOR UPDATE``), checked to be still this attempt's, and the status, content type
   and body are written into it. Effect and answer commit together or not at all, so
   **a record without a status never has a committed effect**.
3. *Retry* with the same key and body: a finished record is replayed byte for byte
   (``Idempotent-Replayed: true``); a running one is awaited up to ``WAIT_FOR_TWIN_S`` (then
   409 ``api.request_in_progress`` with ``Retry-After``); a claim whose lease ran out (its
   process was killed, its database connection died, the commit failed) is taken over by a
   conditional update and the request runs — safe, since its effect never committed. An
   attempt that outlives its lease and finds the key taken over rolls its own work back and
   answers what the winner answered. A different body with the same key gets 409
   ``api.idempotency_key_reused``.

So: a failure before the commit (5xx, crash, killed worker, database outage) leaves nothing
but a claim, which is freed at once when the attempt can still reach the database and expires
after the lease otherwise; a failure after the commit (the response lost on the way, the
client gave up) leaves the stored answer, which every retry gets. A 4xx is an answer too and is
replayed. The rate limit (``ratelimit.hit``) is counted before the transaction opens, so its
counter row is never held by a slow request; a 429 is not stored.

It also marks every API request's changes as coming from the ``api`` source.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import time
import uuid

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from ordercrm.accounts.tokens import token_find
from ordercrm.api import ratelimit
from ordercrm.api.models import IdempotencyRecord
from ordercrm.core.context import change_source

WAIT_FOR_TWIN_S = 15
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _error(status: int, code: str, message: str, retry_after: int | None = None) -> JsonResponse:
    response = JsonResponse(
        {"error": {"code": code, "message": message, "details": {}}}, status=status
    )
    if retry_after is not None:
        response["Retry-After"] = str(max(1, retry_after))
    return response


def _unavailable() -> JsonResponse:
    return _error(
        503, "api.unavailable", _("The service is briefly unavailable; retry the request."), 5
    )


class _Failed(Exception):
    """The view answered 5xx: roll its transaction back and send this answer."""

    def __init__(self, response):
        self.response = response


class _LeaseLost(Exception):
    """Another attempt took the key over while this one ran: roll this one back."""


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        with change_source("api"):
            try:
                return self._handle(request)
            except DatabaseError:
                # The database went away in our own steps (token, claim, commit): whatever
                # was not committed is rolled back and the claim expires, so a retry is safe.
                return _unavailable()

    def _handle(self, request):
        auth = request.headers.get("Authorization", "")
        raw = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        token = token_find(raw) if raw else None
        if token is not None:
            request._ordercrm_token = (raw, token)  # TokenAuth reuses it: one lookup
            wait = ratelimit.hit(token.pk)
            if wait is not None:
                return _error(
                    429, "api.rate_limited", _("Too many requests; retry after a moment."), wait
                )
        if request.method not in WRITE_METHODS:
            return self.get_response(request)
        key = request.headers.get("Idempotency-Key")
        if request.method == "POST" and key and token is not None:
            return self._idempotent(request, token, key[:200])
        try:
            with transaction.atomic():
                return self._run(request)
        except _Failed as failed:
            return failed.response

    def _run(self, request):
        response = self.get_response(request)
        if response.status_code >= 500:
            raise _Failed(response)
        return response

    # ------------------------------------------------------------ idempotent POST

    def _idempotent(self, request, token, key: str):
        digest = hashlib.sha256(
            request.method.encode() + b" " + request.get_full_path().encode() + b"\n" + request.body
        ).hexdigest()
        attempt = uuid.uuid4()
        for _round in range(3):
            record = self._claim(token, key, digest, attempt)
            if record.request_digest != digest:
                return _error(
                    409,
                    "api.idempotency_key_reused",
                    _("This Idempotency-Key was used for a different request."),
                )
            if record.attempt == attempt and record.status_code is None:
                break  # ours: run it
            record = self._await(record, attempt)
            if record is None:
                continue  # the attempt we waited for failed and freed the key: claim it
            if record.status_code is not None:
                return self._replay(record)
            if record.attempt != attempt:
                return self._in_progress(record)
            break  # its lease ran out and we took it over: run it
        else:
            return _error(409, "api.request_in_progress", _("Retry the request."), 1)
        try:
            with transaction.atomic():
                response = self._run(request)
                self._store(record, attempt, response)
        except _Failed as failed:
            self._release(record, attempt)
            return failed.response
        except _LeaseLost:
            seen = IdempotencyRecord.objects.filter(pk=record.pk).first()
            seen = self._await(seen, None) if seen is not None else None
            if seen is None:
                return _error(409, "api.request_in_progress", _("Retry the request."), 1)
            return self._replay(seen) if seen.status_code else self._in_progress(seen)
        except DatabaseError:
            self._release(record, attempt)
            return _unavailable()
        return response

    @staticmethod
    def _lease_end() -> datetime.datetime:
        return timezone.now() + datetime.timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS)

    def _claim(self, token, key: str, digest: str, attempt) -> IdempotencyRecord:
        """The key's record: a new claim by ``attempt``, or the one already there."""
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    token=token,
                    key=key,
                    request_digest=digest,
                    attempt=attempt,
                    locked_until=self._lease_end(),
                )
        except IntegrityError:
            return IdempotencyRecord.objects.get(token=token, key=key)

    def _await(self, record: IdempotencyRecord, attempt) -> IdempotencyRecord | None:
        """Wait for a running twin's answer; take the claim over (as ``attempt``) once its
        lease has run out. Returns the record as last seen, ``None`` if it was freed."""
        deadline = time.monotonic() + WAIT_FOR_TWIN_S
        while record.status_code is None:
            now = timezone.now()
            if attempt is not None and (record.locked_until is None or record.locked_until <= now):
                taken = (
                    IdempotencyRecord.objects.filter(pk=record.pk, status_code__isnull=True)
                    .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
                    .update(attempt=attempt, locked_until=self._lease_end())
                )
                if taken:
                    record.attempt = attempt
                    return record
            if time.monotonic() >= deadline:
                return record
            time.sleep(0.05)
            record = IdempotencyRecord.objects.filter(pk=record.pk).first()
            if record is None:
                return None
        return record

    def _store(self, record: IdempotencyRecord, attempt, response) -> None:
        """Write the answer into the claim, inside the request's transaction, if the claim is
        still this attempt's (the row lock makes the check and the commit one step)."""
        held = (
            IdempotencyRecord.objects.select_for_update()
            .filter(pk=record.pk, attempt=attempt, status_code__isnull=True)
            .first()
        )
        if held is None:
            raise _LeaseLost()
        held.status_code = response.status_code
        held.content_type = response.get("Content-Type", "")
        held.body = bytes(response.content)
        held.locked_until = None
        held.save(update_fields=["status_code", "content_type", "body", "locked_until"])

    @staticmethod
    def _release(record: IdempotencyRecord, attempt) -> None:
        """Free the key after an attempt whose effect was rolled back, so the retry runs now
        (if the database is unreachable the lease frees it later). A commit that succeeded
        although it reported an error has a status, and is kept."""
        with contextlib.suppress(DatabaseError):
            IdempotencyRecord.objects.filter(
                pk=record.pk, attempt=attempt, status_code__isnull=True
            ).delete()

    @staticmethod
    def _replay(record: IdempotencyRecord) -> HttpResponse:
        response = HttpResponse(
            bytes(record.body), status=record.status_code, content_type=record.content_type
        )
        response["Idempotent-Replayed"] = "true"
        return response

    @staticmethod
    def _in_progress(record: IdempotencyRecord) -> JsonResponse:
        left = (record.locked_until - timezone.now()).total_seconds() if record.locked_until else 1
        return _error(
            409,
            "api.request_in_progress",
            _("The same request is still running."),
            int(left) + 1,
        )

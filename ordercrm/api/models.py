"""Idempotency records of API POST requests (tokens live in ``accounts``)."""

from __future__ import annotations

from django.db import models

from ordercrm.core.ids import new_id


class IdempotencyRecord(models.Model):
    """The answer to a POST with an ``Idempotency-Key``, replayed for retries.

    While ``status_code`` is NULL the key is claimed by the attempt ``attempt`` until
    ``locked_until``; the answer is written in the same transaction as the request's effect,
    so a NULL ``status_code`` always means that no effect committed (see
    ``ordercrm.api.middleware``).
    """

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    token = models.ForeignKey("accounts.ApiToken", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_digest = models.CharField(max_length=64)
    status_code = models.PositiveIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    attempt = models.UUIDField(null=True)
    locked_until = models.DateTimeField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return self.key

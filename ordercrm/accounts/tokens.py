"""Creating, finding and revoking API tokens."""

from __future__ import annotations

import secrets

from django.utils import timezone

from ordercrm.accounts.models import ApiToken, token_digest

PREFIX = "ocrm_"


def token_create(*, user, name: str = "API") -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the record and the raw token (shown only now)."""
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name or "API", prefix=raw[:12], digest=token_digest(raw)
    )
    return token, raw


def token_find(raw: str) -> ApiToken | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is not None and (
        token.last_used_at is None or (timezone.now() - token.last_used_at).total_seconds() > 60
    ):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token


def token_revoke(*, token: ApiToken, actor) -> None:
    if actor.pk != token.user_id and not actor.is_superuser:
        from ordercrm.core.exceptions import NotFound

        raise NotFound()
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())

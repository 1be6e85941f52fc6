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


def token_revoke(*, token: ApiToken, actor, company=None) -> None:
    """Revoke a token: its owner may, and so may a user manager of ``company`` when the
    owner is a member there (a leaked token is stopped by whoever runs the company's users;
    it stops working everywhere, as the token is the user's). Anyone else: not found."""
    from ordercrm.core.exceptions import NotFound

    allowed = actor.pk == token.user_id or actor.is_superuser
    if not allowed and company is not None:
        from ordercrm.accounts.access import access_for
        from ordercrm.accounts.models import Membership
        from ordercrm.core.permissions import Perm

        allowed = (
            access_for(actor, company).can(Perm.USER_MANAGE)
            and Membership.objects.filter(company=company, user_id=token.user_id).exists()
        )
    if not allowed:
        raise NotFound()
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())

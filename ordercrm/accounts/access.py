"""What a user may do and see in a company: role permissions plus record scope.

:func:`access_for` is computed once per user and company and cached on the user object, so a
request pays one query for it however many checks it makes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from django.db.models import Q

from ordercrm.accounts.models import Membership, SalesTeam
from ordercrm.accounts.roles import ROLE_PERMISSIONS, RecordScope
from ordercrm.core.exceptions import NotFound, PermissionDenied
from ordercrm.core.models import Company


@dataclass(frozen=True)
class Access:
    """A member's rights in one company. ``None`` membership means no rights at all."""

    user: object
    company: Company
    role: str | None
    scope: str
    team_ids: frozenset[UUID] = field(default_factory=frozenset)

    @property
    def is_member(self) -> bool:
        return self.role is not None

    def can(self, perm: str) -> bool:
        return self.role is not None and perm in ROLE_PERMISSIONS[self.role]

    def require(self, perm: str) -> None:
        """Raise ``core.permission_denied`` unless the role grants ``perm``."""
        if not self.is_member:
            raise NotFound()
        if not self.can(perm):
            raise PermissionDenied(details={"permission": perm})

    def owner_filter(self, owner_field: str, team_field: str | None = None) -> Q:
        """The record-scope condition for rows owned through ``owner_field`` (and a team).

        own: rows the user owns; team: also rows of the user's teams (members and managed);
        company: everything in the company. Non-members see nothing.
        """
        if not self.is_member:
            return Q(pk__in=[])
        if self.scope == RecordScope.COMPANY:
            return Q()
        condition = Q(**{owner_field: self.user.pk})
        if self.scope == RecordScope.TEAM and self.team_ids:
            if team_field:
                condition |= Q(**{f"{team_field}__in": self.team_ids})
            condition |= Q(**{f"{owner_field}__in": _team_member_ids(self)})
        return condition


def _team_member_ids(access: Access):
    return Membership.objects.filter(company=access.company, team_id__in=access.team_ids).values(
        "user_id"
    )


def access_for(user, company: Company) -> Access:
    """The user's :class:`Access` in ``company`` (cached on the user instance)."""
    cache = user.__dict__.setdefault("_ordercrm_access", {})
    if company.pk in cache:
        return cache[company.pk]
    membership = None
    if user.is_authenticated and user.is_active:
        membership = (
            Membership.objects.filter(user=user, company=company, is_active=True)
            .only("role", "record_scope", "team_id")
            .first()
        )
    if membership is None:
        access = Access(user=user, company=company, role=None, scope=RecordScope.OWN)
    else:
        team_ids = set(
            SalesTeam.objects.for_company(company).filter(manager=user).values_list("id", flat=True)
        )
        if membership.team_id:
            team_ids.add(membership.team_id)
        access = Access(
            user=user,
            company=company,
            role=membership.role,
            scope=membership.record_scope,
            team_ids=frozenset(team_ids),
        )
    cache[company.pk] = access
    return access


def companies_of(user) -> list[Company]:
    """The active companies ``user`` is an active member of, by name."""
    return list(
        Company.objects.filter(
            is_active=True, memberships__user=user, memberships__is_active=True
        ).order_by("name")
    )

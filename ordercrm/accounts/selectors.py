"""Reads of users, memberships and a user's own saved filters."""

from __future__ import annotations

from django.db.models import QuerySet

from ordercrm.accounts.models import Membership, SavedFilter
from ordercrm.core.models import Company


def saved_filter_list(user, company: Company, page: str) -> QuerySet[SavedFilter]:
    return SavedFilter.objects.for_company(company).filter(user=user, page=page)


def member_list(company: Company, *, active_only: bool = True) -> QuerySet[Membership]:
    """The company's memberships with their users and teams, by user name."""
    members = Membership.objects.filter(company=company).select_related("user", "team")
    if active_only:
        members = members.filter(is_active=True, user__is_active=True)
    return members.order_by("user__username")


def company_settings(access) -> Company:
    """The caller's company as it is now (settings and their ``version``), for any member:
    the order-to-cash rules it sets are what every role works under. Changing them is
    ``services.company_update`` (``settings_edit``)."""
    return Company.objects.get(pk=access.company.pk)

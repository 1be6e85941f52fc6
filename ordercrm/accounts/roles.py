"""Roles: named bundles of permissions and a default record scope, defined in code.

A member's role is per company (``Membership.role``). Each role is mirrored as a Django group
with the same permissions after every migration, so the admin shows exactly what code enforces.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ordercrm.core.permissions import Perm


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    SALES_REP = "sales_rep", _("Sales representative")
    FINANCE = "finance", _("Finance (approver)")
    WAREHOUSE = "warehouse", _("Warehouse")
    SUPPORT = "support", _("After-sales support")
    VIEWER = "viewer", _("Viewer")


class RecordScope(models.TextChoices):
    OWN = "own", _("Own records")
    TEAM = "team", _("Team records")
    COMPANY = "company", _("All company records")


P = Perm
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(P.values),
    Role.SALES_MANAGER: frozenset(
        {
            P.CUSTOMER_VIEW,
            P.CUSTOMER_EDIT,
            # Merging moves every document of a duplicate; a manager sees the team's.
            P.CUSTOMER_MERGE,
            P.PRODUCT_VIEW,
            P.ORDER_VIEW,
            P.ORDER_EDIT,
            P.ORDER_APPROVE,
            P.ORDER_CANCEL,
            P.ORDER_HOLD,
            P.STOCK_VIEW,
            P.REPORT_VIEW,
            P.AUDIT_VIEW,
            # A manager may quote a negotiated rate; beyond the company's tolerance it still
            # needs finance's approval (sales.approvals).
            P.EXCHANGE_RATE_OVERRIDE,
            P.ORDER_BACKDATE,
            P.RETURN_APPROVE,
            P.TARGET_EDIT,
        }
    ),
    Role.SALES_REP: frozenset(
        {P.CUSTOMER_VIEW, P.CUSTOMER_EDIT, P.PRODUCT_VIEW, P.ORDER_VIEW, P.ORDER_EDIT, P.STOCK_VIEW}
    ),
    Role.FINANCE: frozenset(
        {
            P.CUSTOMER_VIEW,
            P.PRODUCT_VIEW,
            P.ORDER_VIEW,
            P.ORDER_APPROVE,
            P.ORDER_HOLD,
            P.INVOICE_EDIT,
            P.PAYMENT_EDIT,
            P.CREDIT_CONTROL,
            P.REPORT_VIEW,
            P.AUDIT_VIEW,
            P.EXCHANGE_RATE_EDIT,
            P.EXCHANGE_RATE_OVERRIDE,
            # Refunds are money: finance approves a return that ends in a credit note.
            P.RETURN_APPROVE,
        }
    ),
    Role.WAREHOUSE: frozenset(
        {
            P.CUSTOMER_VIEW,
            P.PRODUCT_VIEW,
            P.ORDER_VIEW,
            P.STOCK_VIEW,
            P.STOCK_EDIT,
            P.SHIPMENT_EDIT,
            # The warehouse books returned goods in (the return receipt).
            P.RETURN_EDIT,
        }
    ),
    Role.SUPPORT: frozenset(
        {
            P.CUSTOMER_VIEW,
            P.PRODUCT_VIEW,
            P.ORDER_VIEW,
            P.STOCK_VIEW,
            P.TICKET_EDIT,
            P.RETURN_EDIT,
            P.REPORT_VIEW,
        }
    ),
    Role.VIEWER: frozenset(
        {P.CUSTOMER_VIEW, P.PRODUCT_VIEW, P.ORDER_VIEW, P.STOCK_VIEW, P.REPORT_VIEW}
    ),
}

DEFAULT_SCOPE: dict[str, str] = {
    Role.ADMIN: RecordScope.COMPANY,
    Role.SALES_MANAGER: RecordScope.TEAM,
    Role.SALES_REP: RecordScope.OWN,
    Role.FINANCE: RecordScope.COMPANY,
    Role.WAREHOUSE: RecordScope.COMPANY,
    Role.SUPPORT: RecordScope.COMPANY,
    Role.VIEWER: RecordScope.COMPANY,
}


def sync_role_groups(**kwargs) -> None:
    """Create or update one Django group per role with exactly the role's permissions."""
    from django.contrib.auth.models import Group, Permission

    using = kwargs.get("using", "default")
    by_codename = {
        p.codename: p
        for p in Permission.objects.using(using).filter(
            content_type__app_label="core", codename__in=Perm.values
        )
    }
    if len(by_codename) < len(Perm.values):
        return  # permissions are created by the contenttypes post_migrate that runs after us
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=f"role:{role}")
        group.permissions.set([by_codename[c] for c in sorted(codenames)])

"""Every permission OrderCRM checks, defined in code.

They are registered as Django permissions (on :class:`AccessRight`, a table-less model) so the
admin can show them; roles in ``ordercrm.accounts.roles`` bundle them. Code checks them through
``ordercrm.accounts.access`` with the member's role in the company at hand.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Perm(models.TextChoices):
    CUSTOMER_VIEW = "customer_view", _("View customers")
    CUSTOMER_EDIT = "customer_edit", _("Create and edit customers")
    CUSTOMER_MERGE = "customer_merge", _("Merge duplicate customers")
    PRODUCT_VIEW = "product_view", _("View products and prices")
    PRODUCT_EDIT = "product_edit", _("Edit products and price lists")
    ORDER_VIEW = "order_view", _("View sales orders")
    ORDER_EDIT = "order_edit", _("Create and edit sales orders")
    ORDER_APPROVE = "order_approve", _("Approve sales orders")
    ORDER_CANCEL = "order_cancel", _("Cancel and close sales orders")
    ORDER_HOLD = "order_hold", _("Put orders on hold and release them")
    STOCK_VIEW = "stock_view", _("View stock")
    STOCK_EDIT = "stock_edit", _("Receive and adjust stock")
    SHIPMENT_EDIT = "shipment_edit", _("Create and dispatch shipments")
    INVOICE_EDIT = "invoice_edit", _("Issue invoices and credit notes")
    PAYMENT_EDIT = "payment_edit", _("Record payments")
    CREDIT_CONTROL = "credit_control", _("Manage credit holds, credit limits and payment terms")
    TICKET_EDIT = "ticket_edit", _("Handle after-sales tickets")
    REPORT_VIEW = "report_view", _("View reports")
    AUDIT_VIEW = "audit_view", _("View the audit log")
    SETTINGS_EDIT = "settings_edit", _("Change company settings")
    USER_MANAGE = "user_manage", _("Manage users and roles")
    EXCHANGE_RATE_EDIT = "exchange_rate_edit", _("Set the company's exchange rates")
    EXCHANGE_RATE_OVERRIDE = "exchange_rate_override", _("Override an order's exchange rate")
    # Bulk loading master data and open orders; each kind also needs its own edit right
    # (ordercrm.imports.kinds.KINDS names it), because every row goes through that service.
    DATA_IMPORT = "data_import", _("Import master data and open orders")
    # Setting an order's date before today: reports and numbering follow the order date.
    ORDER_BACKDATE = "order_backdate", _("Back-date sales orders")
    RETURN_EDIT = "return_edit", _("Create returns and receive returned goods")
    RETURN_APPROVE = "return_approve", _("Approve returns")
    SERVICE_SETTINGS = "service_settings", _("Set up service levels and the working calendar")
    TARGET_EDIT = "target_edit", _("Set sales targets")


class AccessRight(models.Model):
    """Carrier of :class:`Perm` as Django permissions; it has no table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = list(Perm.choices)

    def __str__(self) -> str:
        return "access rights"

"""API v1: the company's order-to-cash settings (``GET``/``PATCH /settings``), the ones the
web's company settings page edits under "pricing, approval, credit, stock, quoting,
delivery, billing" (``accounts.services.ORDER_TO_CASH_SETTINGS``).

Any member reads them; a change needs ``settings_edit`` (administrators) and goes through
``accounts.services.company_update``, which validates every value by the model's rules. The
settings carry a ``version`` (also the ``ETag``): send it back (``version`` or ``If-Match``)
and a write based on an older one is refused (409, or 412 with ``If-Match``)."""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Field, Router, Schema
from pydantic import ConfigDict

from ordercrm.accounts.selectors import company_settings
from ordercrm.accounts.services import company_update
from ordercrm.api.base import Quantity, version_from
from ordercrm.api.v1.common import parse_decimal, with_errors
from ordercrm.api.v1.fields import Dec, In
from ordercrm.core.models import Company, CreditPolicy, ShippingPolicy, StockPolicy, TaxRounding
from ordercrm.core.money import RoundingMode

router = Router()

DECIMALS = (
    "approval_threshold",
    "exchange_rate_tolerance",
    "billing_tolerance",
    "over_delivery_tolerance",
    "under_delivery_tolerance",
)


class SettingsOut(Schema):
    code: str
    name: str
    base_currency: str
    version: int = Field(description="Send it back with a change (`version` or `If-Match`).")
    prices_include_tax: bool
    tax_rounding: TaxRounding
    rounding_mode: RoundingMode
    approval_threshold: Quantity | None = Field(
        None, description="Orders whose total in the company currency reaches it need approval."
    )
    exchange_rate_tolerance: Quantity = Field(description="Percent.")
    allow_self_approval: bool
    credit_policy: CreditPolicy
    stock_policy: StockPolicy
    shipping_policy: ShippingPolicy = Field(description="The default of new orders.")
    allow_zero_quantity_lines: bool
    quotation_validity_days: int = Field(description="0: quotations have no validity date.")
    quotation_expiry_notify: bool = Field(
        description="Email the customer when the daily task cancels an expired quotation."
    )
    availability_counts_quotations: bool = Field(
        description="Free stock at quoting also takes off other open quotations."
    )
    billing_tolerance: Quantity = Field(description="Percent beyond the invoiceable quantity.")
    over_delivery_tolerance: Quantity = Field(description="Percent; a product may set its own.")
    under_delivery_tolerance: Quantity = Field(description="Percent; a product may set its own.")


class SettingsPatch(In):
    """Only the settings sent change; values are checked as the settings page checks them
    (``core.validation_failed`` naming the fields, nothing changed)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"version": 3, "quotation_validity_days": 14, "billing_tolerance": "2.5"},
                {"shipping_policy": "ship_complete", "allow_zero_quantity_lines": False},
            ]
        }
    )

    version: int | None = None
    prices_include_tax: bool | None = None
    tax_rounding: TaxRounding | None = None
    rounding_mode: RoundingMode | None = None
    approval_threshold: Dec(Company, "approval_threshold") | None = Field(
        None, description="null or empty: no approval by amount."
    )
    exchange_rate_tolerance: Dec(Company, "exchange_rate_tolerance") | None = None
    allow_self_approval: bool | None = None
    credit_policy: CreditPolicy | None = None
    stock_policy: StockPolicy | None = None
    shipping_policy: ShippingPolicy | None = None
    allow_zero_quantity_lines: bool | None = None
    quotation_validity_days: int | None = Field(None, description="Days, 0 to 3650.")
    quotation_expiry_notify: bool | None = None
    availability_counts_quotations: bool | None = None
    billing_tolerance: Dec(Company, "billing_tolerance") | None = None
    over_delivery_tolerance: Dec(Company, "over_delivery_tolerance") | None = None
    under_delivery_tolerance: Dec(Company, "under_delivery_tolerance") | None = None


def _out(company: Company, response: HttpResponse) -> Company:
    response["ETag"] = f'"{company.version}"'
    return company


@router.get("/settings", response=with_errors({200: SettingsOut}), tags=["settings"])
def settings_get(request, response: HttpResponse):
    """The company's order-to-cash settings and their version."""
    return _out(company_settings(request.access), response)


@router.patch("/settings", response=with_errors({200: SettingsOut}), tags=["settings"])
def settings_update(request, body: SettingsPatch, response: HttpResponse):
    """Change some settings (administrators: ``settings_edit``). A stale version is
    ``accounts.stale_version`` with ``details.current_version``; a null sent for a setting
    that must have a value is a 422 on it."""
    values = body.dict(exclude_unset=True)
    version = version_from(request, values.pop("version", None))
    for name in DECIMALS:
        if name in values:
            values[name] = parse_decimal(values[name], name)
    company = company_update(company=request.company, actor=request.user, version=version, **values)
    return _out(company, response)

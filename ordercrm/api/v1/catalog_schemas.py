"""Request and response bodies of the catalog routes (``api/v1/catalog.py``): products,
units, categories, tax rates, price lists and their tiers.

Units are named by their code, products by SKU or id, categories and tax rates by id. Bounds
come from the columns (``fields.Text``/``Dec``); the services check the rest and answer
``core.validation_failed`` with ``details.fields``."""

from __future__ import annotations

from ninja import Field, Schema
from pydantic import ConfigDict

from ordercrm.api.base import Amount, Date, DateTime, Id, Quantity
from ordercrm.api.v1.fields import DATE, ID, Dec, In, Text
from ordercrm.api.v1.schemas import Page, PriceListOut, ProductOut
from ordercrm.catalog.models import (
    Category,
    KitComponent,
    PriceBase,
    PriceList,
    PriceListItem,
    PriceRule,
    Product,
    TaxMapping,
    TaxRate,
    Unit,
)
from ordercrm.customers.models import Customer


class UnitOut(Schema):
    id: Id
    code: str
    name: str = Field(description="The English name.")
    name_zh_hans: str
    name_zh_hant: str
    label: str = Field(description="The name in the request's language.")
    decimals: int

    @staticmethod
    def resolve_label(obj) -> str:
        return obj.label()


class UnitIn(In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"code": "roll", "name": "roll", "name_zh_hans": "卷", "decimals": 0}]
        }
    )

    code: Text(Unit, "code")
    name: Text(Unit, "name")
    name_zh_hans: Text(Unit, "name_zh_hans") = ""
    name_zh_hant: Text(Unit, "name_zh_hant") = ""
    decimals: int = Field(0, ge=0, le=4)


class UnitPatch(In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name_zh_hant": "捲", "decimals": 0}]}
    )

    code: Text(Unit, "code") | None = None
    name: Text(Unit, "name") | None = None
    name_zh_hans: Text(Unit, "name_zh_hans") | None = None
    name_zh_hant: Text(Unit, "name_zh_hant") | None = None
    decimals: int | None = Field(None, ge=0, le=4)


class CategoryOut(Schema):
    id: Id
    name: str
    parent_id: Id | None = None


class CategoryIn(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "包装材料 Packaging"}]})

    name: Text(Category, "name")
    parent_id: ID | None = None


class CategoryPatch(In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "Packaging", "parent_id": None}]}
    )

    name: Text(Category, "name") | None = None
    parent_id: ID | None = Field(None, description="null moves the category to the top.")


class TaxRateOut(Schema):
    id: Id
    name: str
    rate: Quantity
    is_default: bool
    is_active: bool


class TaxRateIn(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "VAT 3%", "rate": "3"}]})

    name: Text(TaxRate, "name")
    rate: Dec(TaxRate, "rate")
    is_default: bool = False


class TaxRatePatch(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"is_default": True}]})

    name: Text(TaxRate, "name") | None = None
    rate: Dec(TaxRate, "rate") | None = None
    is_default: bool | None = None
    is_active: bool | None = None


class TaxMappingRuleIn(In):
    from_tax_rate_id: ID = Field(description="The rate a product line would have.")
    to_tax_rate_id: ID = Field(description="The rate it gets for the mapping's customers.")


class TaxMappingIn(In):
    """A named set of rules "this rate → that rate", given to customers (``tax_mapping_id``);
    their order lines take the mapped rate. Active rates of the company, one rule per rate."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Export",
                    "rules": [
                        {
                            "from_tax_rate_id": "0190f0e4-0000-7000-8000-000000000001",
                            "to_tax_rate_id": "0190f0e4-0000-7000-8000-000000000002",
                        }
                    ],
                }
            ]
        }
    )

    name: Text(TaxMapping, "name")
    is_active: bool = True
    rules: list[TaxMappingRuleIn] = Field(default_factory=list, max_length=100)


class TaxMappingPatch(In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"version": 2, "is_active": False}, {"name": "Export (EU)"}]
        }
    )

    version: int | None = Field(None, description="The mapping's version; stale: 409.")
    name: Text(TaxMapping, "name") | None = None
    is_active: bool | None = None
    rules: list[TaxMappingRuleIn] | None = Field(
        None, max_length=100, description="Replaces all the mapping's rules; [] removes them."
    )


class TaxMappingRuleOut(Schema):
    from_tax_rate_id: Id
    from_name: str
    from_rate: Quantity
    to_tax_rate_id: Id
    to_name: str
    to_rate: Quantity


class TaxMappingOut(Schema):
    id: Id
    name: str
    is_active: bool
    version: int
    rules: list[TaxMappingRuleOut]

    @staticmethod
    def resolve_rules(obj) -> list[dict]:
        return [
            {
                "from_tax_rate_id": rule.from_rate_id,
                "from_name": rule.from_rate.name,
                "from_rate": rule.from_rate.rate,
                "to_tax_rate_id": rule.to_rate_id,
                "to_name": rule.to_rate.name,
                "to_rate": rule.to_rate.rate,
            }
            for rule in obj.loaded_rules
        ]


class ProductDetailOut(ProductOut):
    description: str
    barcode: str
    unit_id: Id
    unit_name: str = Field(description="The unit's name in the request's language.")
    category_id: Id | None = None
    tax_rate_id: Id
    reorder_point: Quantity | None = None
    over_delivery_tolerance: Quantity | None = Field(
        None, description="Percent; empty: the company's."
    )
    under_delivery_tolerance: Quantity | None = Field(
        None, description="Percent; empty: the company's."
    )
    is_kit: bool = Field(
        False, description="Sold as a kit of components (GET/PUT /products/{id}/kit)."
    )
    version: int
    updated_at: DateTime

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.unit.label()


class ProductDetailPage(Page):
    items: list[ProductDetailOut]


class ProductIn(In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "sku": "SRV-INSTALL",
                    "name": "安装服务 Installation",
                    "unit": "h",
                    "list_price": "380.00",
                    "is_stock_tracked": False,
                }
            ]
        }
    )

    sku: Text(Product, "sku")
    name: Text(Product, "name")
    unit: Text(Unit, "code") = Field(description="The unit's code, e.g. pcs, kg, h.")
    category_id: ID | None = None
    tax_rate_id: ID | None = Field(None, description="Default: the company's default rate.")
    list_price: Dec(Product, "list_price") = "0"
    cost: Dec(Product, "cost") = "0"
    is_stock_tracked: bool = Field(True, description="false for services.")
    is_active: bool = True
    reorder_point: Dec(Product, "reorder_point") | None = None
    over_delivery_tolerance: Dec(Product, "over_delivery_tolerance") | None = Field(
        None, description="Percent a line may ship beyond its order; empty: the company's."
    )
    under_delivery_tolerance: Dec(Product, "under_delivery_tolerance") | None = Field(
        None, description="Percent a line may ship short and count as delivered."
    )
    barcode: Text(Product, "barcode") = ""
    description: Text(Product, "description") = ""


class ProductPatch(In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"version": 2, "list_price": "12.80"}]}
    )

    version: int | None = None
    sku: Text(Product, "sku") | None = None
    name: Text(Product, "name") | None = None
    unit: Text(Unit, "code") | None = None
    category_id: ID | None = None
    tax_rate_id: ID | None = None
    list_price: Dec(Product, "list_price") | None = None
    cost: Dec(Product, "cost") | None = None
    is_stock_tracked: bool | None = None
    is_active: bool | None = None
    reorder_point: Dec(Product, "reorder_point") | None = None
    over_delivery_tolerance: Dec(Product, "over_delivery_tolerance") | None = None
    under_delivery_tolerance: Dec(Product, "under_delivery_tolerance") | None = None
    barcode: Text(Product, "barcode") | None = None
    description: Text(Product, "description") | None = None


class PriceListDetailOut(PriceListOut):
    is_active: bool
    valid_from: Date | None = None
    valid_to: Date | None = None
    version: int
    created_at: DateTime


class PriceListIn(In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "Dealers 2027", "currency": "CNY", "valid_from": "2027-01-01"}]
        }
    )

    name: Text(PriceList, "name")
    currency: Text(PriceList, "currency")
    is_default: bool = False
    is_active: bool = True
    valid_from: DATE | None = None
    valid_to: DATE | None = None


class PriceListPatch(In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"version": 1, "valid_to": "2027-12-31"}]}
    )

    version: int | None = None
    name: Text(PriceList, "name") | None = None
    currency: Text(PriceList, "currency") | None = None
    is_default: bool | None = None
    is_active: bool | None = None
    valid_from: DATE | None = None
    valid_to: DATE | None = None


class PriceListItemOut(Schema):
    id: Id
    price_list_id: Id
    product_id: Id
    sku: str
    min_quantity: Quantity
    unit_price: Quantity
    valid_from: Date | None = None
    valid_to: Date | None = None
    outcome: str | None = Field(None, description="On an upsert: created, updated or unchanged.")

    @staticmethod
    def resolve_sku(obj) -> str:
        return obj.product.sku

    @staticmethod
    def resolve_outcome(obj) -> str | None:
        return getattr(obj, "outcome", None)


class PriceListItemPage(Page):
    items: list[PriceListItemOut]


class PriceListItemIn(In):
    """An upsert by natural key: price list + product + minimum quantity (+ valid-from, empty
    for an undated price). Sending the same row again changes nothing."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"sku": "BOX-001", "min_quantity": "100", "unit_price": "3.61"}]
        }
    )

    sku: Text(Product, "sku") | None = Field(
        None, description="The product's SKU, or give product_id."
    )
    product_id: ID | None = None
    min_quantity: Dec(PriceListItem, "min_quantity") = "0"
    unit_price: Dec(PriceListItem, "unit_price")
    valid_from: DATE | None = None
    valid_to: DATE | None = None


class PriceListItemPatch(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"unit_price": "3.50"}]})

    min_quantity: Dec(PriceListItem, "min_quantity") | None = None
    unit_price: Dec(PriceListItem, "unit_price") | None = None
    valid_from: DATE | None = None
    valid_to: DATE | None = None


class PriceRuleOut(Schema):
    id: Id
    price_list_id: Id
    name: str
    product_id: Id | None = None
    sku: str | None = Field(None, description="The product's SKU, when the rule names one.")
    category_id: Id | None = None
    base: str = Field(description="list_price or cost: what the markup applies to.")
    markup_percent: Quantity = Field(description="Negative: a discount off the base.")
    rounding: Quantity = Field(description="Round to a multiple of this; 0: to four places.")
    surcharge: Quantity = Field(description="Added after rounding (-0.01 for 9.99 prices).")
    min_quantity: Quantity
    valid_from: Date | None = None
    valid_to: Date | None = None
    is_active: bool

    @staticmethod
    def resolve_sku(obj) -> str | None:
        return obj.product.sku if obj.product_id else None


class PriceRuleIn(In):
    """A computed price in the list: the product's list price or cost plus a markup, rounded,
    for one product (``sku`` or ``product_id``), one category (``category_id``) or all."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"base": "cost", "markup_percent": "25", "rounding": "1", "surcharge": "-0.01"}
            ]
        }
    )

    name: Text(PriceRule, "name") = ""
    sku: Text(Product, "sku") | None = None
    product_id: ID | None = None
    category_id: ID | None = None
    base: PriceBase = PriceBase.LIST_PRICE
    markup_percent: Dec(PriceRule, "markup_percent") = "0"
    rounding: Dec(PriceRule, "rounding") = "0"
    surcharge: Dec(PriceRule, "surcharge") = "0"
    min_quantity: Dec(PriceRule, "min_quantity") = "0"
    valid_from: DATE | None = None
    valid_to: DATE | None = None
    is_active: bool = True


class PriceRulePatch(In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"markup_percent": "30"}]})

    name: Text(PriceRule, "name") | None = None
    base: PriceBase | None = None
    markup_percent: Dec(PriceRule, "markup_percent") | None = None
    rounding: Dec(PriceRule, "rounding") | None = None
    surcharge: Dec(PriceRule, "surcharge") | None = None
    min_quantity: Dec(PriceRule, "min_quantity") | None = None
    valid_from: DATE | None = None
    valid_to: DATE | None = None
    is_active: bool | None = None


class AssignIn(In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"customer_codes": ["C00039", "C00040"]}]}
    )

    customer_codes: list[Text(Customer, "code")] = Field(
        min_length=1, max_length=1000, description="Customer codes, all or none assigned."
    )


class AssignedOut(Schema):
    assigned: list[str]


class KitComponentOut(Schema):
    product_id: Id
    sku: str
    name: str
    unit: str = Field(description="The component's unit in the request's language.")
    quantity: Quantity = Field(description="Per one kit.")
    on_hand: Quantity = Field(description="The component's stock on hand (saleable warehouses).")
    reserved: Quantity
    available: Quantity
    kits: Quantity = Field(description="Whole kits this component's free stock alone makes.")


class KitOut(Schema):
    product_id: Id
    sku: str
    is_kit: bool
    list_price: Amount = Field(description="The kit's own price: a kit is priced as one line.")
    available: Quantity = Field(
        description="Whole kits the components' free stock makes: the least over the "
        "components of ⌊available ÷ quantity per kit⌋."
    )
    version: int
    components: list[KitComponentOut]


class KitComponentIn(In):
    product_id: ID | None = None
    sku: Text(Product, "sku") | None = Field(None, description="Instead of product_id.")
    quantity: Dec(KitComponent, "quantity")


class KitIn(In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "version": 3,
                    "components": [
                        {"sku": "A-100", "quantity": "5"},
                        {"sku": "B-200", "quantity": "2"},
                    ],
                }
            ]
        }
    )

    version: int | None = Field(None, description="The product's version; stale: 409.")
    components: list[KitComponentIn] = Field(
        max_length=50, description="Replaces every component; [] makes it an ordinary product."
    )

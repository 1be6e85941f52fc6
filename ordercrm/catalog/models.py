"""Products, units, categories, tax rates and price lists with quantity tiers."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from ordercrm.core.models import CompanyOwned
from ordercrm.core.money import PERCENT_FIELD, PRICE_FIELD, QUANTITY_FIELD


def _is_traditional(language: str) -> bool:
    return "hant" in language or language in ("zh-tw", "zh-hk", "zh-mo")


class Unit(CompanyOwned):
    """A unit of measure. Its name is stored in each language OrderCRM speaks (``name`` is the
    English one and the fallback), because a unit is company data, not a message: a company
    adds its own (卷, roll) and the order page, the entry form and the PDFs in the customer's
    language each read :meth:`label` in their language."""

    code = models.CharField(_("code"), max_length=16)
    name = models.CharField(_("name (English)"), max_length=64)
    name_zh_hans = models.CharField(_("name (Simplified Chinese)"), max_length=64, blank=True)
    name_zh_hant = models.CharField(_("name (Traditional Chinese)"), max_length=64, blank=True)
    decimals = models.PositiveSmallIntegerField(
        _("quantity decimals"), default=0, help_text=_("0 for pieces, 3 for kilograms.")
    )

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="unit_code_unique"),
            models.CheckConstraint(condition=Q(decimals__lte=4), name="unit_decimals_max_4"),
        ]

    def label(self, language: str | None = None) -> str:
        """The unit's name in ``language`` (default: the active one); a Chinese name missing
        in one script falls back to the other, then to the English name."""
        language = (language or translation.get_language() or "en").lower()
        if language.startswith("zh"):
            if _is_traditional(language):
                return self.name_zh_hant or self.name_zh_hans or self.name
            return self.name_zh_hans or self.name_zh_hant or self.name
        return self.name

    def __str__(self) -> str:
        return self.label()


class TaxRate(CompanyOwned):
    name = models.CharField(_("name"), max_length=64)
    rate = models.DecimalField(_("rate (%)"), **PERCENT_FIELD)
    is_default = models.BooleanField(_("default"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("tax rate")
        verbose_name_plural = _("tax rates")
        ordering = ["-rate"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="tax_rate_name_unique"),
            models.UniqueConstraint(
                fields=["company"], condition=Q(is_default=True), name="tax_rate_one_default"
            ),
            models.CheckConstraint(
                condition=Q(rate__gte=0) & Q(rate__lt=100), name="tax_rate_between_0_and_100"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TaxMapping(CompanyOwned):
    """A named set of rules that replace one tax rate by another for the customers who have it
    (e.g. "Export": 13 % → 0 %). Applied when an order line is priced
    (``catalog.pricing.tax_mapping_rules``, ``sales.services.lines``)."""

    name = models.CharField(_("name"), max_length=64)
    is_active = models.BooleanField(_("active"), default=True)
    # moves on with every change: a write based on an older version is refused
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("tax mapping")
        verbose_name_plural = _("tax mappings")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="tax_mapping_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class TaxMappingRule(CompanyOwned):
    mapping = models.ForeignKey(TaxMapping, on_delete=models.CASCADE, related_name="rules")
    from_rate = models.ForeignKey(
        TaxRate, verbose_name=_("tax rate"), on_delete=models.PROTECT, related_name="+"
    )
    to_rate = models.ForeignKey(
        TaxRate, verbose_name=_("replaced by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("tax mapping rule")
        verbose_name_plural = _("tax mapping rules")
        constraints = [
            models.UniqueConstraint(
                fields=["mapping", "from_rate"], name="tax_mapping_rule_once_per_rate"
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_rate_id} → {self.to_rate_id}"


class Category(CompanyOwned):
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "parent", "name"], name="category_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Product(CompanyOwned):
    """A sellable item. ``list_price`` is in the company's base currency, before tax unless
    the company's prices include tax."""

    sku = models.CharField(_("product code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    barcode = models.CharField(_("barcode"), max_length=64, blank=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
    )
    tax_rate = models.ForeignKey(
        TaxRate, verbose_name=_("tax rate"), on_delete=models.PROTECT, related_name="+"
    )
    list_price = models.DecimalField(_("list price"), **PRICE_FIELD, default=Decimal("0"))
    cost = models.DecimalField(_("cost"), **PRICE_FIELD, default=Decimal("0"))
    is_active = models.BooleanField(_("active"), default=True)
    is_stock_tracked = models.BooleanField(
        _("stock-tracked"),
        default=True,
        help_text=_("Off for services: nothing is reserved, shipped or counted in stock."),
    )
    # Empty: the company's delivery tolerance applies (docs/decisions.md).
    over_delivery_tolerance = models.DecimalField(
        _("over-delivery tolerance (%)"),
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Empty: the company's."),
    )
    under_delivery_tolerance = models.DecimalField(
        _("under-delivery tolerance (%)"),
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Empty: the company's."),
    )
    reorder_point = models.DecimalField(
        _("reorder point"),
        max_digits=16,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("A stock.low event is sent when available stock falls to this level."),
    )
    # Set by ``catalog.services.product_kit_set``: the product is sold as a kit of the
    # products in ``kit_components`` and holds no stock itself (docs/decisions.md, "Kits").
    is_kit = models.BooleanField(_("kit"), default=False)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sku"]
        constraints = [
            models.UniqueConstraint(fields=["company", "sku"], name="product_sku_unique"),
            models.CheckConstraint(
                condition=Q(list_price__gte=0), name="product_price_not_negative"
            ),
            models.CheckConstraint(condition=Q(cost__gte=0), name="product_cost_not_negative"),
        ]
        indexes = [models.Index(fields=["company", "name"])]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class KitComponent(CompanyOwned):
    """One component of a kit: ``quantity`` of ``component`` per one unit of ``kit``.

    Components are stock-tracked products that are not kits themselves (no nesting, so no
    cycles); an order line of the kit copies these rows (``sales.OrderLineComponent``) when
    it is entered, so a later change of the kit leaves open orders as they were."""

    kit = models.ForeignKey(
        Product, verbose_name=_("kit"), on_delete=models.CASCADE, related_name="kit_components"
    )
    component = models.ForeignKey(
        Product, verbose_name=_("component"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(_("quantity per kit"), **QUANTITY_FIELD)
    position = models.PositiveIntegerField(_("position"), default=1)

    class Meta:
        verbose_name = _("kit component")
        verbose_name_plural = _("kit components")
        ordering = ["kit", "position"]
        constraints = [
            models.UniqueConstraint(fields=["kit", "component"], name="kit_component_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="kit_component_positive"),
            models.CheckConstraint(
                condition=~Q(kit=models.F("component")), name="kit_component_not_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.component_id}"


class PriceList(CompanyOwned):
    """Prices in one currency; one default list per currency, others assigned to customers."""

    name = models.CharField(_("name"), max_length=100)
    currency = models.CharField(_("currency"), max_length=3)
    is_default = models.BooleanField(_("default for its currency"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="price_list_name_unique"),
            models.UniqueConstraint(
                fields=["company", "currency"],
                condition=Q(is_default=True),
                name="price_list_one_default_per_currency",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="price_list_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"


class PriceListItem(CompanyOwned):
    """The unit price of a product from ``min_quantity`` up, optionally within dates."""

    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), on_delete=models.CASCADE, related_name="items"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="+"
    )
    min_quantity = models.DecimalField(_("from quantity"), **QUANTITY_FIELD, default=Decimal("0"))
    unit_price = models.DecimalField(_("unit price"), **PRICE_FIELD)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("price list item")
        verbose_name_plural = _("price list items")
        ordering = ["price_list", "product", "min_quantity"]
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "product", "min_quantity", "valid_from"],
                name="price_list_item_unique_tier",
            ),
            models.CheckConstraint(
                condition=Q(min_quantity__gte=0), name="price_tier_qty_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="price_tier_price_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["price_list", "product"])]

    def __str__(self) -> str:
        return f"{self.product_id} ≥ {self.min_quantity}: {self.unit_price}"


class PriceBase(models.TextChoices):
    LIST_PRICE = "list_price", _("List price")
    COST = "cost", _("Cost")


class PriceRule(CompanyOwned):
    """A computed price in a price list: the product's list price or cost plus ``markup_percent``
    (negative: a discount), rounded to a multiple of ``rounding`` and then moved by
    ``surcharge`` (step 1 and surcharge −0.01 give 9.99-style prices), from ``min_quantity``
    up, within dates. It applies to one product, to the products of one category, or to all
    (``catalog.pricing`` says which wins)."""

    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), on_delete=models.CASCADE, related_name="rules"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    base = models.CharField(
        _("based on"), max_length=16, choices=PriceBase.choices, default=PriceBase.LIST_PRICE
    )
    markup_percent = models.DecimalField(_("markup (%)"), **PERCENT_FIELD, default=Decimal("0"))
    rounding = models.DecimalField(_("round to"), **PRICE_FIELD, default=Decimal("0"))
    surcharge = models.DecimalField(_("then add"), **PRICE_FIELD, default=Decimal("0"))
    min_quantity = models.DecimalField(_("from quantity"), **QUANTITY_FIELD, default=Decimal("0"))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("price rule")
        verbose_name_plural = _("price rules")
        ordering = ["price_list", "min_quantity", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(product__isnull=True) | Q(category__isnull=True),
                name="price_rule_product_or_category",
            ),
            models.CheckConstraint(
                condition=Q(markup_percent__gte=-100), name="price_rule_markup_at_least_minus_100"
            ),
            models.CheckConstraint(
                condition=Q(rounding__gte=0) & Q(min_quantity__gte=0),
                name="price_rule_rounding_and_quantity_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="price_rule_valid_range",
            ),
        ]
        indexes = [models.Index(fields=["price_list", "is_active"])]

    def __str__(self) -> str:
        return self.name or f"{self.get_base_display()} {self.markup_percent:+}%"

    def describe(self) -> str:
        """What the rule computes, in the reader's language: ``Cost + 25 %, rounded to 1,
        then -0.01, from 10`` (the order page and the API's order lines show it)."""
        from django.utils.translation import gettext

        from ordercrm.core.money import plain

        markup = self.markup_percent
        text = gettext("%(base)s %(sign)s %(percent)s %%") % {
            "base": self.get_base_display(),
            "sign": "−" if markup < 0 else "+",
            "percent": plain(abs(markup)),
        }
        parts = [text]
        if self.rounding:
            parts.append(gettext("rounded to %(step)s") % {"step": plain(self.rounding)})
        if self.surcharge:
            amount = ("+" if self.surcharge > 0 else "") + plain(self.surcharge)
            parts.append(gettext("then %(amount)s") % {"amount": amount})
        if self.min_quantity:
            parts.append(gettext("from %(quantity)s") % {"quantity": plain(self.min_quantity)})
        return ", ".join(parts)


# A rate is company currency per unit of the foreign currency. The bounds keep a typo (or a
# "0.00000001" meant to slip an order under an approval threshold) out of the table: no real
# pair of ISO currencies is further apart than a million to one.
MIN_EXCHANGE_RATE = Decimal("0.00000001")
MAX_EXCHANGE_RATE = Decimal("1000000")


class ExchangeRate(CompanyOwned):
    """The company's rate for a foreign currency from ``date`` on (until a later row), set by
    finance. An order takes the rate in force on its order date."""

    currency = models.CharField(_("currency"), max_length=3)
    date = models.DateField(_("valid from"))
    rate = models.DecimalField(
        _("rate"),
        max_digits=18,
        decimal_places=8,
        help_text=_("Company currency per one unit of the currency."),
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "currency", "date"], name="exchange_rate_unique_per_day"
            ),
            models.CheckConstraint(
                condition=Q(rate__gt=0) & Q(rate__lte=MAX_EXCHANGE_RATE),
                name="exchange_rate_positive_bounded",
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="exchange_rate_currency_iso"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.date}: {self.rate}"

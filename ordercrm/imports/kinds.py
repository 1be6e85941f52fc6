"""What can be imported: for each kind its columns (with the labels a header is matched
against, in every language), the right it needs beside ``data_import``, its natural key and
the django-import-export resource that writes each row through the domain services.

A resource never saves a model itself: ``write`` calls the service of the use case
(``customer_create``/``customer_update``, ``product_create``/``product_update``,
``price_list_item_set``, ``stock_count``, ``order_create`` + ``order_submit``), so an
imported row obeys every rule a row typed in the UI obeys. Each row runs in its own
savepoint, rolled back when it fails, so an error row never half-writes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources
from import_export.instance_loaders import BaseInstanceLoader
from import_export.results import RowResult

from ordercrm.catalog import services as catalog
from ordercrm.catalog.models import Category, PriceList, PriceListItem, Product, TaxRate, Unit
from ordercrm.core.exceptions import DomainError, ValidationFailed
from ordercrm.core.permissions import Perm
from ordercrm.customers import services as customers
from ordercrm.customers.models import Address, AddressKind, Contact, Customer, PaymentTerm
from ordercrm.customers.selectors import DuplicateFinder
from ordercrm.imports.models import RowAction
from ordercrm.imports.widgets import (
    BooleanWidget,
    DateWidget,
    DecimalWidget,
    LookupWidget,
    TextWidget,
    text_of,
)
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import StockLevel, Warehouse
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Column:
    name: str
    label: object  # lazy translated text
    required: bool = False
    aliases: tuple[str, ...] = ()  # other headers seen in files (any language)


@dataclass(frozen=True)
class Kind:
    name: str
    label: object
    permission: str
    columns: tuple[Column, ...]
    importer: type
    key_help: object = ""
    labels: dict = field(default_factory=dict, compare=False)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def label_of(self, name: str) -> str:
        """The words a person reads for a column or a model field named in an error (a
        field the file fills through another column, e.g. product through the SKU, is named
        in the reader's language too, never as the code's name)."""
        column = self.column(name)
        if column:
            return str(column.label)
        label = self.labels.get(name) or FIELD_LABELS.get(name)
        return str(label) if label else name


# Model fields an error may name that are filled through a column of another name.
FIELD_LABELS = {
    "product": gettext_lazy("Product"),
    "customer": gettext_lazy("Customer"),
    "warehouse": gettext_lazy("Warehouse"),
    "price_list": gettext_lazy("Price list"),
    "contact": gettext_lazy("Contact"),
    "address": gettext_lazy("Address"),
}


@dataclass
class Outcome:
    action: str
    message: str = ""


# ---------------------------------------------------------------- describing errors


def describe(error: Exception, kind: Kind, columns: dict | None = None) -> str:
    """An error of a row as one line in the active language, naming columns by their labels
    (``columns`` maps a model field to the column that fills it, e.g. product → sku)."""
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return "; ".join(
                f"{kind.label_of((columns or {}).get(name, name))}: "
                f"{' '.join(str(m) for m in messages)}"
                for name, messages in error.message_dict.items()
            )
        return " ".join(str(m) for m in error.messages)
    if isinstance(error, DomainError):
        details = error.details or {}
        # "some values are not valid" says nothing the named fields after it do not
        generic = type(error) is ValidationFailed and (
            details.get("fields") or details.get("lines")
        )
        parts = [] if generic else [error.text]
        for name, problems in (details.get("fields") or {}).items():
            parts.append(f"{kind.label_of(name)}: {' '.join(str(p) for p in problems)}")
        lines = details.get("lines")
        if isinstance(lines, dict):
            for fields_ in lines.values():
                for name, problems in fields_.items():
                    parts.append(f"{kind.label_of(name)}: {' '.join(str(p) for p in problems)}")
        elif isinstance(lines, list):
            for item in lines:
                if "shortfall" in item:
                    parts.append(
                        _("%(sku)s: %(shortfall)s short (%(available)s available)")
                        % {
                            "sku": item.get("sku", ""),
                            "shortfall": item["shortfall"],
                            "available": item["available"],
                        }
                    )
        matches = details.get("matches") or []
        if matches:
            parts.append(", ".join(f"{m['code']} {m['name']}" for m in matches))
        return "; ".join(parts)
    log.exception("import row failed", exc_info=error)
    return _("This row could not be imported.")


# ---------------------------------------------------------------- the resource base


class ChunkLoader(BaseInstanceLoader):
    """Loads the existing records of a whole chunk by natural key in one query."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        resource.prime(dataset)
        keys = {resource.key_of(dict(zip(dataset.headers, r, strict=False))) for r in dataset}
        keys.discard(None)
        self.existing = resource.load_existing(keys) if keys else {}

    def get_instance(self, row):
        key = self.resource.key_of(row)
        return None if key is None else self.existing.get(key)


class ServiceResource(resources.ModelResource):
    """A django-import-export resource whose rows are written by a domain service.

    Empty cells are "not given": an update leaves the field as it is. A row whose given
    values equal the record's is *unchanged* and writes nothing, so importing the same file
    twice changes nothing the second time.
    """

    kind: Kind

    def __init__(self, *, company, actor):
        self.company, self.actor = company, actor
        super().__init__()
        self._before: dict | None = None
        self.seen: dict = {}  # natural key → the file row that wrote it, over the whole run
        self.row_count = 0
        for resource_field in self.fields.values():
            if isinstance(resource_field.widget, LookupWidget):
                resource_field.widget.company_id = company.pk

    class Meta:
        skip_diff = True
        report_skipped = True
        use_transactions = False
        instance_loader_class = ChunkLoader
        import_id_fields = ()

    # -- hooks each kind fills in
    def key_of(self, row: dict):
        raise NotImplementedError

    def load_existing(self, keys: set) -> dict:
        raise NotImplementedError

    def write(self, instance, is_create: bool, changes: dict, row: dict):
        raise NotImplementedError

    def extra_changes(self, instance, row: dict) -> bool:
        """True when columns outside the model (contacts, addresses) would add something."""
        return False

    # -- django-import-export hooks
    def get_queryset(self):
        return self._meta.model.objects.for_company(self.company)

    def get_instance(self, instance_loader, row):
        return instance_loader.get_instance(row)

    def prime(self, dataset) -> None:
        for resource_field in self.fields.values():
            widget = resource_field.widget
            if isinstance(widget, LookupWidget) and resource_field.column_name in dataset.headers:
                widget.prime(dataset[resource_field.column_name])

    def _given(self, row: dict, resource_field) -> bool:
        return resource_field.column_name in row and text_of(row[resource_field.column_name]) != ""

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if self._given(row, field):
            super().import_field(field, instance, row, is_m2m, **kwargs)

    def snapshot(self, instance) -> dict:
        return {
            f.attribute: getattr(instance, f.attribute, None)
            for f in self.get_import_fields()
            if f.attribute
        }

    def after_init_instance(self, instance, new, row, **kwargs):
        self._before = None if new else self.snapshot(instance)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors or self._before is None:
            return False
        return self.snapshot(instance) == self._before and not self.extra_changes(instance, row)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        if import_validation_errors:
            raise ValidationError(import_validation_errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        after = self.snapshot(instance)
        given = {
            f.attribute for f in self.get_import_fields() if f.attribute and self._given(row, f)
        }
        if is_create:
            changes = {name: after[name] for name in given}
        else:
            changes = {
                name: value for name, value in after.items() if value != (self._before or {})[name]
            }
        self.written = self.write(instance, is_create, changes, row)

    def before_import_row(self, row, **kwargs):
        key = self.key_of(row)
        if key is not None and key in self.seen:
            # the same record twice in one file: the later row is refused wherever it is
            # (same chunk or not), so the preview and the apply say the same
            raise ValidationError(
                _("This row names the same record as row %(number)s of the file.")
                % {"number": self.seen[key]}
            )

    def import_row(self, row, instance_loader, **kwargs):
        self.row_count += 1
        number = self.row_count + 1  # as a spreadsheet numbers it: the header is row 1
        with transaction.atomic():  # the row's savepoint
            result = super().import_row(row, instance_loader, **kwargs)
            if result.import_type in (RowResult.IMPORT_TYPE_ERROR, RowResult.IMPORT_TYPE_INVALID):
                transaction.set_rollback(True)
        # the first row naming a record owns it, even when it failed: were a later row to
        # write it instead, the same file uploaded again would let the first row update it
        key = self.key_of(row)
        if key is not None:
            self.seen.setdefault(key, number)
        return result

    def run(self, dataset) -> list[Outcome]:
        """Import ``dataset`` (headers are the kind's column names) and say what each row did."""
        result = self.import_data(dataset, use_transactions=False, raise_errors=False)
        columns = {f.attribute: f.column_name for f in self.fields.values() if f.attribute}
        outcomes = []
        for row_result in result.rows:
            if row_result.import_type == RowResult.IMPORT_TYPE_NEW:
                outcomes.append(Outcome(RowAction.CREATE))
            elif row_result.import_type == RowResult.IMPORT_TYPE_UPDATE:
                outcomes.append(Outcome(RowAction.UPDATE))
            elif row_result.import_type == RowResult.IMPORT_TYPE_SKIP:
                outcomes.append(Outcome(RowAction.UNCHANGED))
            elif row_result.validation_error is not None:
                outcomes.append(
                    Outcome(
                        RowAction.ERROR,
                        describe(row_result.validation_error, self.kind, columns),
                    )
                )
            else:
                error = row_result.errors[0].error if row_result.errors else Exception()
                outcomes.append(Outcome(RowAction.ERROR, describe(error, self.kind, columns)))
        return outcomes


def _field(name: str, attribute: str | None = None, widget=None):
    return fields.Field(
        attribute=attribute or name, column_name=name, widget=widget or TextWidget()
    )


# ---------------------------------------------------------------- customers

ADDRESS_PARTS = ("line1", "line2", "city", "region", "postal_code", "country", "recipient")


class CustomerResource(ServiceResource):
    code = _field("code")
    name = _field("name")
    kind_ = _field("customer_type", "kind")
    tax_id = _field("tax_id")
    phone = _field("phone")
    email = _field("email")
    website = _field("website")
    language = _field("language")
    currency = _field("currency")
    credit_limit = _field("credit_limit", widget=DecimalWidget())
    payment_terms = _field("payment_terms", widget=LookupWidget(PaymentTerm, "name"))
    price_list = _field("price_list", widget=LookupWidget(PriceList, "name"))
    notes = _field("notes")

    class Meta(ServiceResource.Meta):
        model = Customer
        fields = (
            "code",
            "name",
            "kind_",
            "tax_id",
            "phone",
            "email",
            "website",
            "language",
            "currency",
            "credit_limit",
            "payment_terms",
            "price_list",
            "notes",
        )

    def key_of(self, row):
        return text_of(row.get("code")).lower() or None

    def prime(self, dataset):
        """One look-up per chunk for what each row's checks need: the customers whose name,
        tax ID, phone or code a row repeats (the duplicate check of ``customer_create``)."""
        super().prime(dataset)
        rows = [dict(zip(dataset.headers, r, strict=False)) for r in dataset]
        # one finder for the whole run: the customers earlier chunks created stay known to it,
        # also in the preview, whose chunks are rolled back, so it finds what the apply will
        if getattr(self, "finder", None) is None:
            self.finder = DuplicateFinder(self.company)
        self.finder.load(
            [{n: text_of(row.get(n)) for n in ("name", "tax_id", "phone")} for row in rows],
            codes=[text_of(row.get("code")) for row in rows],
        )

    def load_existing(self, keys):
        # codes are unique ignoring case, as customer_create checks them
        found = list(self.get_queryset().annotate(code_key=Lower("code")).filter(code_key__in=keys))
        ids = [c.pk for c in found]
        # what the existing customers already have, so a row only adds what is missing
        self.contacts = set(
            Contact.objects.for_company(self.company)
            .filter(customer_id__in=ids)
            .values_list("customer_id", "name")
        )
        self.addresses = set(
            Address.objects.for_company(self.company)
            .filter(customer_id__in=ids)
            .values_list("customer_id", "kind", "line1", "city")
        )
        return {c.code.lower(): c for c in found}

    def _contact(self, row) -> dict | None:
        values = {
            part: text_of(row.get(f"contact_{part}"))
            for part in ("name", "title", "email", "phone")
        }
        return values if values["name"] else None

    def _addresses(self, row) -> list[dict]:
        found = []
        for kind in AddressKind.values:
            values = {part: text_of(row.get(f"{kind}_{part}")) for part in ADDRESS_PARTS}
            if values["line1"] or values["city"]:
                values["country"] = (values["country"] or "CN").upper()
                found.append({"kind": kind, **values})
        return found

    def _missing_contact(self, customer, contact) -> bool:
        return contact is not None and (customer.pk, contact["name"]) not in self.contacts

    def _missing_address(self, customer, address) -> bool:
        key = (customer.pk, address["kind"], address["line1"], address["city"])
        return key not in self.addresses

    def extra_changes(self, instance, row):
        return self._missing_contact(instance, self._contact(row)) or any(
            self._missing_address(instance, a) for a in self._addresses(row)
        )

    def import_row(self, row, instance_loader, **kwargs):
        mark, self._learnt = self.finder.mark(), []
        result = super().import_row(row, instance_loader, **kwargs)
        if result.import_type in (RowResult.IMPORT_TYPE_ERROR, RowResult.IMPORT_TYPE_INVALID):
            # the row's savepoint was rolled back: so is what the checks learnt from it
            self.finder.restore(mark)
            for known, key in self._learnt:
                known.discard(key)
        return result

    def _learn(self, known: set, key) -> None:
        known.add(key)
        self._learnt.append((known, key))

    def write(self, instance, is_create, changes, row):
        contact = self._contact(row)
        if is_create:
            # one call makes the customer with its contact and addresses: no look-ups of
            # what a new customer cannot have yet
            customer = customers.customer_create(
                company=self.company,
                actor=self.actor,
                finder=self.finder,
                contacts=[contact] if contact else [],
                addresses=self._addresses(row),
                **changes,
            )
            return customer
        customer = instance
        if changes:
            customer = customers.customer_update(customer=instance, actor=self.actor, **changes)
        if self._missing_contact(customer, contact):
            customers.contact_add(customer=customer, actor=self.actor, **contact)
            self._learn(self.contacts, (customer.pk, contact["name"]))
            self.finder.add_contact_phone(customer.pk, contact["phone"])
        for address in self._addresses(row):
            if self._missing_address(customer, address):
                customers.address_add(customer=customer, actor=self.actor, **address)
                self._learn(
                    self.addresses,
                    (customer.pk, address["kind"], address["line1"], address["city"]),
                )
        return customer


# ---------------------------------------------------------------- products


class ProductResource(ServiceResource):
    sku = _field("sku")
    name = _field("name")
    description = _field("description")
    barcode = _field("barcode")
    unit = _field("unit", widget=LookupWidget(Unit, "code"))
    category = _field("category", widget=LookupWidget(Category, "name"))
    tax_rate = _field("tax_rate", widget=LookupWidget(TaxRate, "name"))
    list_price = _field("list_price", widget=DecimalWidget())
    cost = _field("cost", widget=DecimalWidget())
    is_stock_tracked = _field("is_stock_tracked", widget=BooleanWidget())
    is_active = _field("is_active", widget=BooleanWidget())

    class Meta(ServiceResource.Meta):
        model = Product
        fields = (
            "sku",
            "name",
            "description",
            "barcode",
            "unit",
            "category",
            "tax_rate",
            "list_price",
            "cost",
            "is_stock_tracked",
            "is_active",
        )

    def key_of(self, row):
        return text_of(row.get("sku")) or None

    def load_existing(self, keys):
        return {p.sku: p for p in self.get_queryset().filter(sku__in=keys)}

    def write(self, instance, is_create, changes, row):
        if is_create:
            changes.setdefault(
                "unit", Unit.objects.for_company(self.company).filter(code="pcs").first()
            )
            return catalog.product_create(company=self.company, actor=self.actor, **changes)
        return catalog.product_update(product=instance, actor=self.actor, **changes)


# ---------------------------------------------------------------- price-list items


class PriceListItemResource(ServiceResource):
    price_list = _field("price_list", widget=LookupWidget(PriceList, "name"))
    product = _field("sku", "product", widget=LookupWidget(Product, "sku"))
    min_quantity = _field("min_quantity", widget=DecimalWidget())
    unit_price = _field("unit_price", widget=DecimalWidget())
    valid_from = _field("valid_from", widget=DateWidget())
    valid_to = _field("valid_to", widget=DateWidget())

    class Meta(ServiceResource.Meta):
        model = PriceListItem
        fields = ("price_list", "product", "min_quantity", "unit_price", "valid_from", "valid_to")

    def _quantity(self, row) -> Decimal | None:
        try:
            return (
                DecimalWidget().clean(row.get("min_quantity"))
                if text_of(row.get("min_quantity"))
                else Decimal(0)
            )
        except ValueError:
            return None

    def _valid_from(self, row):
        if not text_of(row.get("valid_from")):
            return None
        try:
            return DateWidget().clean(row.get("valid_from"))
        except ValueError:
            return False

    def key_of(self, row):
        """The natural key of ``price_list_item_set``: price list, product, minimum quantity
        and valid-from."""
        quantity = self._quantity(row)
        valid_from = self._valid_from(row)
        lists = self.fields["price_list"].widget.found
        products = self.fields["product"].widget.found
        price_list = lists.get(text_of(row.get("price_list")))
        product = products.get(text_of(row.get("sku")))
        if quantity is None or valid_from is False or price_list is None or product is None:
            return None
        return (price_list.pk, product.pk, quantity.normalize(), valid_from)

    def load_existing(self, keys):
        items = self.get_queryset().filter(
            price_list_id__in={k[0] for k in keys}, product_id__in={k[1] for k in keys}
        )
        return {
            (i.price_list_id, i.product_id, i.min_quantity.normalize(), i.valid_from): i
            for i in items
        }

    def init_instance(self, row=None):
        return PriceListItem(company=self.company, min_quantity=Decimal(0))

    def snapshot(self, instance):
        values = super().snapshot(instance)
        # 10 and 10.0000 are the same price: compare numbers, not their scale
        return {k: (v.normalize() if isinstance(v, Decimal) else v) for k, v in values.items()}

    def write(self, instance, is_create, changes, row):
        return catalog.price_list_item_set(
            price_list=instance.price_list,
            product=instance.product,
            unit_price=instance.unit_price,
            min_quantity=instance.min_quantity,
            valid_from=instance.valid_from,
            valid_to=instance.valid_to,
            actor=self.actor,
        )


# ---------------------------------------------------------------- opening stock


class OpeningStockResource(ServiceResource):
    warehouse = _field("warehouse", widget=LookupWidget(Warehouse, "code"))
    product = _field("sku", "product", widget=LookupWidget(Product, "sku"))
    on_hand = _field("quantity", "on_hand", widget=DecimalWidget())

    class Meta(ServiceResource.Meta):
        model = StockLevel
        fields = ("warehouse", "product", "on_hand")

    def key_of(self, row):
        warehouse = self.fields["warehouse"].widget.found.get(text_of(row.get("warehouse")))
        product = self.fields["product"].widget.found.get(text_of(row.get("sku")))
        if warehouse is None or product is None:
            return None
        return (warehouse.pk, product.pk)

    def load_existing(self, keys):
        levels = self.get_queryset().filter(
            warehouse_id__in={k[0] for k in keys}, product_id__in={k[1] for k in keys}
        )
        return {(s.warehouse_id, s.product_id): s for s in levels}

    def snapshot(self, instance):
        values = super().snapshot(instance)
        return {k: (v.normalize() if isinstance(v, Decimal) else v) for k, v in values.items()}

    def init_instance(self, row=None):
        return StockLevel(company=self.company, on_hand=Decimal(0))

    def write(self, instance, is_create, changes, row):
        return inventory.stock_count(
            company=self.company,
            actor=self.actor,
            warehouse=instance.warehouse,
            counts=[{"product": instance.product, "quantity": instance.on_hand}],
            reason=_("Opening stock"),
        )


# ---------------------------------------------------------------- open orders


class OrderImporter:
    """Open orders, one row per line; consecutive rows with the same customer and customer PO
    reference are one order. An order already made with that reference is unchanged; a new
    one is created and submitted through the sales services (pricing, numbering, approval
    rules, credit check, stock reservation), all its rows in one savepoint."""

    kind: Kind

    def __init__(self, *, company, actor):
        self.company, self.actor = company, actor
        self.customers = LookupWidget(Customer, "code", company_id=company.pk)

    def run(self, dataset) -> list[Outcome]:
        rows = [dict(zip(dataset.headers, r, strict=False)) for r in dataset]
        self.customers.prime(text_of(r.get("customer")) for r in rows)
        outcomes: list[Outcome] = []
        start = 0
        while start < len(rows):
            key = (text_of(rows[start].get("customer")), text_of(rows[start].get("reference")))
            end = start + 1
            while end < len(rows) and key == (
                text_of(rows[end].get("customer")),
                text_of(rows[end].get("reference")),
            ):
                end += 1
            outcomes += self._order(key, rows[start:end])
            start = end
        return outcomes

    def _order(self, key, rows) -> list[Outcome]:
        code, reference = key
        try:
            with transaction.atomic():
                outcome = self._write(code, reference, rows)
        except (DomainError, ValidationError) as error:
            outcome = Outcome(RowAction.ERROR, describe(error, self.kind))
        except ValueError as error:
            outcome = Outcome(RowAction.ERROR, str(error))
        return [outcome] + [Outcome(outcome.action, outcome.message) for _row in rows[1:]]

    def _write(self, code, reference, rows) -> Outcome:
        errors = {}
        if not reference:
            errors["reference"] = [_("This field is required.")]
        try:
            customer = self.customers.clean(code)
        except ValueError as error:
            errors["customer"] = [str(error)]
        if errors:
            raise ValidationError(errors)
        if (
            SalesOrder.objects.for_company(self.company)
            .filter(customer=customer, customer_reference=reference)
            .exclude(status="cancelled")
            .exists()
        ):
            return Outcome(RowAction.UNCHANGED)
        lines = []
        header = {"customer_reference": reference}
        for row in rows:
            line = {"sku": text_of(row.get("sku")), "quantity": text_of(row.get("quantity"))}
            for name in ("unit_price", "discount_percent"):
                if text_of(row.get(name)):
                    line[name] = text_of(row.get(name))
            lines.append(line)
            for name in ("order_date", "requested_date"):
                if text_of(row.get(name)):
                    try:
                        header[name] = DateWidget().clean(row.get(name))
                    except ValueError as error:
                        raise ValidationError({name: [str(error)]}) from None
        order = sales.order_create(
            company=self.company, actor=self.actor, customer=customer, lines=lines, **header
        )
        order = sales.order_submit(order=order, actor=self.actor)
        if order.status == "pending_approval":
            return Outcome(
                RowAction.CREATE,
                _("%(number)s waits for approval: %(reasons)s")
                % {"number": order.number, "reasons": order.status_reason},
            )
        return Outcome(RowAction.CREATE, _("%(number)s confirmed") % {"number": order.number})


# ---------------------------------------------------------------- the kinds


KINDS: dict[str, Kind] = {}


def _register(kind: Kind) -> None:
    kind.importer.kind = kind
    KINDS[kind.name] = kind


_register(
    Kind(
        name="customers",
        label=gettext_lazy("Customers"),
        permission=Perm.CUSTOMER_EDIT,
        importer=CustomerResource,
        key_help=gettext_lazy("A row whose customer code exists updates that customer."),
        columns=(
            Column(
                "code",
                gettext_lazy("Customer code"),
                aliases=("客户代码", "客户编号", "customer no"),
            ),
            Column(
                "name",
                gettext_lazy("Name"),
                True,
                ("客户名称", "公司名称", "customer name", "company"),
            ),
            Column("customer_type", gettext_lazy("Type"), aliases=("类型",)),
            Column(
                "tax_id",
                gettext_lazy("Tax ID"),
                aliases=("税号", "纳税人识别号", "统一社会信用代码"),
            ),
            Column("phone", gettext_lazy("Phone"), aliases=("电话", "手机", "tel")),
            Column("email", gettext_lazy("Email"), aliases=("邮箱", "电子邮件", "e-mail")),
            Column("website", gettext_lazy("Website"), aliases=("网站",)),
            Column("language", gettext_lazy("Language"), aliases=("语言",)),
            Column("currency", gettext_lazy("Currency"), aliases=("币种", "货币")),
            Column("credit_limit", gettext_lazy("Credit limit"), aliases=("信用额度",)),
            Column("payment_terms", gettext_lazy("Payment terms"), aliases=("付款条件", "账期")),
            Column("price_list", gettext_lazy("Price list"), aliases=("价目表", "价格表")),
            Column("notes", gettext_lazy("Notes"), aliases=("备注",)),
            Column("contact_name", gettext_lazy("Contact name"), aliases=("联系人", "联系人姓名")),
            Column("contact_title", gettext_lazy("Contact job title"), aliases=("职务", "职位")),
            Column("contact_email", gettext_lazy("Contact email"), aliases=("联系人邮箱",)),
            Column("contact_phone", gettext_lazy("Contact phone"), aliases=("联系人电话",)),
            Column("billing_line1", gettext_lazy("Billing address"), aliases=("开票地址",)),
            Column("billing_city", gettext_lazy("Billing city"), aliases=("开票城市",)),
            Column(
                "billing_region", gettext_lazy("Billing province / state"), aliases=("开票省份",)
            ),
            Column(
                "billing_postal_code", gettext_lazy("Billing postal code"), aliases=("开票邮编",)
            ),
            Column("billing_country", gettext_lazy("Billing country"), aliases=("开票国家",)),
            Column(
                "shipping_line1", gettext_lazy("Shipping address"), aliases=("收货地址", "送货地址")
            ),
            Column("shipping_city", gettext_lazy("Shipping city"), aliases=("收货城市", "城市")),
            Column(
                "shipping_region",
                gettext_lazy("Shipping province / state"),
                aliases=("收货省份", "省份"),
            ),
            Column(
                "shipping_postal_code",
                gettext_lazy("Shipping postal code"),
                aliases=("收货邮编", "邮编"),
            ),
            Column(
                "shipping_country", gettext_lazy("Shipping country"), aliases=("收货国家", "国家")
            ),
            Column("shipping_recipient", gettext_lazy("Shipping recipient"), aliases=("收货人",)),
        ),
    )
)
_register(
    Kind(
        name="products",
        label=gettext_lazy("Products"),
        permission=Perm.PRODUCT_EDIT,
        importer=ProductResource,
        key_help=gettext_lazy("A row whose SKU exists updates that product."),
        columns=(
            Column(
                "sku",
                gettext_lazy("SKU"),
                True,
                ("产品编码", "产品代码", "物料编码", "product code"),
            ),
            Column("name", gettext_lazy("Name"), True, ("产品名称", "品名", "product name")),
            Column("description", gettext_lazy("Description"), aliases=("描述", "规格")),
            Column("barcode", gettext_lazy("Barcode"), aliases=("条码", "条形码", "ean")),
            Column("unit", gettext_lazy("Unit"), aliases=("单位",)),
            Column("category", gettext_lazy("Category"), aliases=("类别", "分类")),
            Column("tax_rate", gettext_lazy("Tax rate"), aliases=("税率",)),
            Column(
                "list_price",
                gettext_lazy("List price"),
                aliases=("标准价", "定价", "价格", "price"),
            ),
            Column("cost", gettext_lazy("Cost"), aliases=("成本",)),
            Column("is_stock_tracked", gettext_lazy("Stock-tracked"), aliases=("库存管理",)),
            Column("is_active", gettext_lazy("Active"), aliases=("启用",)),
        ),
    )
)
_register(
    Kind(
        name="price_list_items",
        label=gettext_lazy("Price-list items"),
        permission=Perm.PRODUCT_EDIT,
        importer=PriceListItemResource,
        key_help=gettext_lazy(
            "Price list, SKU and minimum quantity name a price: a row naming one updates it."
        ),
        columns=(
            Column("price_list", gettext_lazy("Price list"), True, ("价目表", "价格表")),
            Column("sku", gettext_lazy("SKU"), True, ("产品编码", "物料编码", "product code")),
            Column(
                "min_quantity",
                gettext_lazy("Minimum quantity"),
                aliases=("起订量", "最小数量", "min qty"),
            ),
            Column("unit_price", gettext_lazy("Unit price"), True, ("单价", "价格", "price")),
            Column("valid_from", gettext_lazy("Valid from"), aliases=("生效日期", "开始日期")),
            Column(
                "valid_to", gettext_lazy("Valid to"), aliases=("失效日期", "截止日期", "结束日期")
            ),
        ),
    )
)
_register(
    Kind(
        name="opening_stock",
        label=gettext_lazy("Opening stock"),
        permission=Perm.STOCK_EDIT,
        importer=OpeningStockResource,
        key_help=gettext_lazy(
            "Each row sets the quantity on hand of a product in a warehouse (a stock count)."
        ),
        columns=(
            Column("warehouse", gettext_lazy("Warehouse"), True, ("仓库", "仓库代码")),
            Column("sku", gettext_lazy("SKU"), True, ("产品编码", "物料编码", "product code")),
            Column(
                "quantity",
                gettext_lazy("Quantity"),
                True,
                ("数量", "库存", "现有", "on hand", "qty"),
            ),
        ),
    )
)
_register(
    Kind(
        name="orders",
        label=gettext_lazy("Open orders"),
        permission=Perm.ORDER_EDIT,
        importer=OrderImporter,
        key_help=gettext_lazy(
            "Rows with the same customer and customer PO reference make one order; an order "
            "already imported with that reference is left as it is."
        ),
        columns=(
            Column(
                "customer", gettext_lazy("Customer code"), True, ("客户代码", "客户编号", "客户")
            ),
            Column(
                "reference",
                gettext_lazy("Customer PO reference"),
                True,
                ("客户订单号", "采购单号", "po", "po number"),
            ),
            Column("sku", gettext_lazy("SKU"), True, ("产品编码", "物料编码", "product code")),
            Column("quantity", gettext_lazy("Quantity"), True, ("数量", "qty")),
            Column("unit_price", gettext_lazy("Unit price"), aliases=("单价", "price")),
            Column("discount_percent", gettext_lazy("Discount %"), aliases=("折扣", "discount")),
            Column("order_date", gettext_lazy("Order date"), aliases=("订单日期", "下单日期")),
            Column(
                "requested_date",
                gettext_lazy("Requested delivery date"),
                aliases=("交货日期", "交期"),
            ),
        ),
    )
)


def kind_of(name: str) -> Kind | None:
    return KINDS.get(name)

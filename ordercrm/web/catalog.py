"""Catalog pages: products (list, new, edit, the product page), price lists (list, new, edit,
the list with its tiers edited row by row, its customers).

Forms only parse what was typed (their fields come from the model columns, so labels are the
translated ``verbose_name``s); every rule is the service's. A refused save shows the service's
reasons next to the fields they name, keeps what was typed and answers 422; a stale version
answers 409 with the current values. Tier rows are edited in place with htmx (the answer is
the row itself) and, without script, by the same forms posting to the same addresses.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.forms.models import fields_for_model
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ordercrm.catalog import selectors as catalog_selectors
from ordercrm.catalog import services as catalog
from ordercrm.catalog.models import (
    Category,
    PriceBase,
    PriceList,
    PriceListItem,
    Product,
    TaxRate,
    Unit,
)
from ordercrm.core.db import reading_from_replica
from ordercrm.core.exceptions import Conflict, DomainError, PermissionDenied
from ordercrm.core.money import plain
from ordercrm.core.permissions import Perm
from ordercrm.web.decorators import member_view
from ordercrm.web.errors import error_lines

PAGE_SIZE = 50
PRODUCT_FORM_FIELDS = [
    "sku",
    "name",
    "unit",
    "category",
    "tax_rate",
    "list_price",
    "cost",
    "is_stock_tracked",
    "over_delivery_tolerance",
    "under_delivery_tolerance",
    "reorder_point",
    "barcode",
    "description",
    "is_active",
]
PRICE_LIST_FORM_FIELDS = ["name", "currency", "valid_from", "valid_to", "is_default", "is_active"]
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def show_refusal(form: forms.Form, error: DomainError) -> list[str]:
    """Put a service's field errors on the form's fields; return the lines that belong to no
    field (the message first), for the top of the form."""
    fields = (error.details or {}).get("fields") or {}
    rest = [error.text]
    for name, problems in fields.items():
        for problem in problems:
            if name in form.fields:
                form.add_error(name, problem)
            else:
                rest.append(problem)
    if not fields:
        rest = error_lines(error)
    return rest


class ProductForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(Product, fields=PRODUCT_FORM_FIELDS))
        self.fields["unit"].queryset = Unit.objects.for_company(company)
        self.fields["category"].queryset = Category.objects.for_company(company)
        self.fields["tax_rate"].queryset = TaxRate.objects.for_company(company).filter(
            is_active=True
        )
        self.fields["description"].widget.attrs["rows"] = 3
        for name in ("list_price", "cost", "reorder_point"):
            self.fields[name].widget.attrs["inputmode"] = "decimal"


class PriceListForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(
            fields_for_model(
                PriceList,
                fields=PRICE_LIST_FORM_FIELDS,
                widgets={"valid_from": DATE_INPUT, "valid_to": DATE_INPUT},
            )
        )
        self.fields["currency"].widget.attrs.update(
            {"maxlength": 3, "size": 4, "autocapitalize": "characters"}
        )


class PriceListItemForm(forms.Form):
    """One tier as typed. Numbers stay text here: the service reads them against the columns
    and names what is wrong, in the same words as the API and the importer."""

    sku = forms.CharField(label=gettext_lazy("Product code"), required=False, max_length=64)
    min_quantity = forms.CharField(label=gettext_lazy("From quantity"), required=False)
    unit_price = forms.CharField(label=gettext_lazy("Unit price"), required=False)
    valid_from = forms.DateField(label=gettext_lazy("Valid from"), required=False)
    valid_to = forms.DateField(label=gettext_lazy("Valid to"), required=False)


class PriceRuleForm(forms.Form):
    """A price rule as typed: numbers stay text, the service names what is wrong."""

    name = forms.CharField(label=gettext_lazy("Name"), required=False, max_length=100)
    sku = forms.CharField(
        label=gettext_lazy("Product code"),
        required=False,
        max_length=64,
        help_text=gettext_lazy("Empty: the category below, or every product."),
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"), queryset=Category.objects.none(), required=False
    )
    base = forms.ChoiceField(label=gettext_lazy("Based on"), choices=PriceBase.choices)
    markup_percent = forms.CharField(
        label=gettext_lazy("Markup (%)"),
        help_text=gettext_lazy("Negative for a discount, e.g. -10."),
    )
    rounding = forms.CharField(
        label=gettext_lazy("Round to"),
        required=False,
        help_text=gettext_lazy("A multiple of this, e.g. 0.1 or 1; empty: to four places."),
    )
    surcharge = forms.CharField(
        label=gettext_lazy("Then add"),
        required=False,
        help_text=gettext_lazy("After rounding, e.g. -0.01 for prices ending in .99."),
    )
    min_quantity = forms.CharField(label=gettext_lazy("From quantity"), required=False)
    valid_from = forms.DateField(label=gettext_lazy("Valid from"), required=False)
    valid_to = forms.DateField(label=gettext_lazy("Valid to"), required=False)

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.for_company(company)


# ---------------------------------------------------------------- products


@member_view
@reading_from_replica()
def product_list(request):
    """Products by code, searchable, filtered by category (with its subcategories) and by
    active / inactive / all."""
    access = request.access
    search = request.GET.get("q", "")
    status = request.GET.get("status", "active")
    categories = list(catalog_selectors.category_list(access))
    category = next((c for c in categories if str(c.pk) == request.GET.get("category")), None)
    products = catalog_selectors.product_list(
        access,
        search=search,
        category_id=category.pk if category else None,
        active_only=status == "active",
        inactive_only=status == "inactive",
    )
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/product_list.html",
        {
            "page": page,
            "q": search,
            "query": query.urlencode(),
            "status": status,
            "categories": categories,
            "category": category,
            "can_edit": access.can(Perm.PRODUCT_EDIT),
        },
    )


def _product_values(form: ProductForm) -> dict:
    return {name: form.cleaned_data[name] for name in PRODUCT_FORM_FIELDS if name in form.fields}


def _product_form_page(request, form, product=None, errors=None, status=200):
    return render(
        request,
        "web/product_form.html",
        {"form": form, "product": product, "errors": errors or []},
        status=status,
    )


@member_view
def product_new(request):
    access = request.access
    access.require(Perm.PRODUCT_EDIT)
    company = access.company
    default_tax = catalog_selectors.tax_rate_list(access).filter(is_default=True).first()
    initial = {"is_active": True, "is_stock_tracked": True, "tax_rate": default_tax}
    form = ProductForm(request.POST or None, company=company, initial=initial)
    if request.method != "POST":
        return _product_form_page(request, form)
    if not form.is_valid():
        return _product_form_page(request, form, status=422)
    try:
        product = catalog.product_create(
            company=company, actor=request.user, **_product_values(form)
        )
    except DomainError as error:
        return _product_form_page(request, form, errors=show_refusal(form, error), status=422)
    messages.success(request, _("Product %(sku)s created.") % {"sku": product.sku})
    return HttpResponseRedirect(reverse("product_detail", args=[product.pk]))


@member_view
def product_edit(request, product_id):
    access = request.access
    access.require(Perm.PRODUCT_EDIT)
    product = catalog_selectors.product_get(access, product_id)
    initial = {name: getattr(product, name) for name in PRODUCT_FORM_FIELDS}
    initial["version"] = product.version
    form = ProductForm(request.POST or None, company=access.company, initial=initial)
    if request.method != "POST":
        return _product_form_page(request, form, product)
    if not form.is_valid():
        return _product_form_page(request, form, product, status=422)
    try:
        catalog.product_update(
            product=product,
            actor=request.user,
            version=form.cleaned_data["version"],
            **_product_values(form),
        )
    except Conflict as error:
        # Someone saved first: show their values, say so, and let the user redo the change.
        product = catalog_selectors.product_get(access, product_id)
        fresh = {name: getattr(product, name) for name in PRODUCT_FORM_FIELDS}
        form = ProductForm(initial={**fresh, "version": product.version}, company=access.company)
        return _product_form_page(
            request,
            form,
            product,
            errors=[error.text, _("The form now shows the saved values.")],
            status=409,
        )
    except DomainError as error:
        return _product_form_page(
            request, form, product, errors=show_refusal(form, error), status=422
        )
    messages.success(request, _("Saved."))
    return HttpResponseRedirect(reverse("product_detail", args=[product.pk]))


@member_view
def product_detail(request, product_id):
    """A product: its facts, stock per warehouse, its prices in every list (tiers and dates)
    and its latest order lines, each part only for those whose role may see it."""
    access = request.access
    product = catalog_selectors.product_get(access, product_id)
    context = {
        "product": product,
        "prices": catalog_selectors.product_prices(access, product),
        "today": datetime.date.today(),
        "can_edit": access.can(Perm.PRODUCT_EDIT),
    }
    if access.can(Perm.STOCK_VIEW) and product.is_stock_tracked:
        from ordercrm.inventory import selectors as inventory_selectors

        if product.is_kit:
            context["kit"] = inventory_selectors.kit_stock(product)
        else:
            context["levels"] = inventory_selectors.stock_levels(access, product_id=product.pk)
    elif product.is_kit:
        context["kit_parts"] = catalog_selectors.kit_components(product)
    if access.can(Perm.ORDER_VIEW):
        from ordercrm.sales.selectors import product_recent_lines

        context["recent_lines"] = product_recent_lines(access, product.pk)
    return render(request, "web/product_detail.html", context)


def _kit_text(product) -> str:
    return "\n".join(
        f"{part.component.sku} {plain(part.quantity)}"
        for part in catalog_selectors.kit_components(product)
    )


def _kit_rows(text: str) -> list[dict]:
    """``component code quantity`` per line (every paste box's reading); nothing typed
    is no component (an ordinary product again)."""
    from ordercrm.core.validation import parse_pasted_rows

    if not (text or "").strip():
        return []
    return parse_pasted_rows(text, with_price=False)


def _by_row(error: DomainError, rows: list[dict]) -> list[str]:
    """The service's per-line problems named by the typed row's number, so the user finds
    them in the box they typed."""
    lines = (error.details or {}).get("lines")
    if isinstance(lines, dict) and rows:
        error.details = {
            **error.details,
            "lines": {},
            "rows": {
                str(rows[int(index)]["row"]): [p for ps in fields.values() for p in ps]
                for index, fields in lines.items()
                if index.isdigit() and int(index) < len(rows)
            },
        }
    return error_lines(error)


@member_view
def product_kit_edit(request, product_id):
    """A kit's components as typed lines (``code quantity``, one per component); refusals
    are listed above the box by row and nothing is saved; a stale version answers 409 with
    the saved components."""
    access = request.access
    access.require(Perm.PRODUCT_EDIT)
    product = catalog_selectors.product_get(access, product_id)
    form = {"components": _kit_text(product), "version": product.version}
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        form = {
            "components": request.POST.get("components", ""),
            "version": _int_or_none(request.POST.get("version")),
        }
        rows: list[dict] = []
        try:
            rows = _kit_rows(form["components"])
            catalog.product_kit_set(
                product=product,
                actor=request.user,
                components=[{"sku": r["sku"], "quantity": r["quantity"]} for r in rows],
                version=form["version"],
            )
        except Conflict as error:
            product = catalog_selectors.product_get(access, product_id)
            form = {"components": _kit_text(product), "version": product.version}
            errors, status = [error.text, _("The form now shows the saved values.")], 409
        except DomainError as error:
            errors, status = _by_row(error, rows), 422
        else:
            messages.success(request, _("Kit components saved."))
            return HttpResponseRedirect(reverse("product_detail", args=[product.pk]))
    return render(
        request,
        "web/product_kit_form.html",
        {"product": product, "form": form, "errors": errors},
        status=status,
    )


@require_POST
@member_view
def product_set_active(request, product_id):
    access = request.access
    product = catalog_selectors.product_get(access, product_id)
    active = request.POST.get("active") == "1"
    try:
        catalog.product_set_active(
            product=product,
            actor=request.user,
            active=active,
            version=_int_or_none(request.POST.get("version")),
        )
    except Conflict as error:
        messages.error(request, error.text)
    else:
        messages.success(
            request, _("The product is active again.") if active else _("The product is inactive.")
        )
    return HttpResponseRedirect(reverse("product_detail", args=[product.pk]))


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- price lists


@member_view
@reading_from_replica()
def price_lists(request):
    access = request.access
    return render(
        request,
        "web/price_lists.html",
        {
            "price_lists": catalog_selectors.price_list_list(access),
            "can_edit": access.can(Perm.PRODUCT_EDIT),
        },
    )


def _price_list_form_page(request, form, price_list=None, errors=None, status=200):
    return render(
        request,
        "web/price_list_form.html",
        {"form": form, "price_list": price_list, "errors": errors or []},
        status=status,
    )


def _price_list_values(form) -> dict:
    return {name: form.cleaned_data[name] for name in PRICE_LIST_FORM_FIELDS}


@member_view
def price_list_new(request):
    access = request.access
    access.require(Perm.PRODUCT_EDIT)
    initial = {"currency": access.company.base_currency, "is_active": True}
    form = PriceListForm(request.POST or None, initial=initial)
    if request.method != "POST":
        return _price_list_form_page(request, form)
    if not form.is_valid():
        return _price_list_form_page(request, form, status=422)
    try:
        price_list = catalog.price_list_create(
            company=access.company, actor=request.user, **_price_list_values(form)
        )
    except DomainError as error:
        return _price_list_form_page(request, form, errors=show_refusal(form, error), status=422)
    messages.success(request, _("Price list %(name)s created.") % {"name": price_list.name})
    return HttpResponseRedirect(reverse("price_list_detail", args=[price_list.pk]))


@member_view
def price_list_edit(request, price_list_id):
    access = request.access
    access.require(Perm.PRODUCT_EDIT)
    price_list = catalog_selectors.price_list_get(access, price_list_id)
    initial = {name: getattr(price_list, name) for name in PRICE_LIST_FORM_FIELDS}
    form = PriceListForm(request.POST or None, initial={**initial, "version": price_list.version})
    if request.method != "POST":
        return _price_list_form_page(request, form, price_list)
    if not form.is_valid():
        return _price_list_form_page(request, form, price_list, status=422)
    try:
        catalog.price_list_update(
            price_list=price_list,
            actor=request.user,
            version=form.cleaned_data["version"],
            **_price_list_values(form),
        )
    except Conflict as error:
        price_list = catalog_selectors.price_list_get(access, price_list_id)
        fresh = {name: getattr(price_list, name) for name in PRICE_LIST_FORM_FIELDS}
        form = PriceListForm(initial={**fresh, "version": price_list.version})
        return _price_list_form_page(
            request,
            form,
            price_list,
            errors=[error.text, _("The form now shows the saved values.")],
            status=409,
        )
    except DomainError as error:
        return _price_list_form_page(
            request, form, price_list, errors=show_refusal(form, error), status=422
        )
    messages.success(request, _("Saved."))
    return HttpResponseRedirect(reverse("price_list_detail", args=[price_list.pk]))


def _price_list_page(request, price_list, *, editing=None, status=200):
    """The list with its tiers. ``editing`` is ``(key, form, errors)`` for the row being edited
    (``"new"`` for the add row) when a save without script was refused."""
    from ordercrm.customers.price_lists import price_list_customers

    access = request.access
    items = catalog_selectors.price_list_items(price_list)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    can_edit = access.can(Perm.PRODUCT_EDIT)
    edit_key = editing[0] if editing else request.GET.get("edit")
    context = {
        "price_list": price_list,
        "page": page,
        "can_edit": can_edit,
        "edit_key": edit_key if can_edit else None,
        "add_form": PriceListItemForm(),
        "add_errors": [],
        "rules": catalog_selectors.price_list_rules(price_list),
        "rule_form": PriceRuleForm(company=access.company),
        "rule_errors": [],
        "export_query": f"price_list={price_list.pk}",
    }
    if editing:
        key, form, errors = editing
        if key == "rule":
            context.update(rule_form=form, rule_errors=errors)
        elif key == "new":
            context.update(add_form=form, add_errors=errors)
        else:
            context.update(edit_form=form, edit_errors=errors)
    elif can_edit and edit_key and edit_key != "new":
        row = next((i for i in page if str(i.pk) == edit_key), None)
        if row is not None:
            context["edit_form"] = _item_form(row)
    if access.can(Perm.CUSTOMER_VIEW):
        context["customers"] = price_list_customers(access, price_list)[:200]
    return render(request, "web/price_list_detail.html", context, status=status)


@member_view
def price_list_detail(request, price_list_id):
    price_list = catalog_selectors.price_list_get(request.access, price_list_id)
    return _price_list_page(request, price_list)


def _item_form(item: PriceListItem) -> PriceListItemForm:
    return PriceListItemForm(
        initial={
            "sku": item.product.sku,
            "min_quantity": _plain(item.min_quantity),
            "unit_price": _plain(item.unit_price),
            "valid_from": item.valid_from,
            "valid_to": item.valid_to,
        }
    )


def _plain(value) -> str:
    return plain(value)


def _row(request, price_list, item, *, form=None, errors=None, status=200):
    """One tier row (htmx's answer): shown, or as an edit row with its errors."""
    template = "web/price_list_item_edit.html" if form is not None else "web/price_list_item.html"
    return render(
        request,
        template,
        {
            "price_list": price_list,
            "item": item,
            "form": form,
            "errors": errors or [],
            "can_edit": request.access.can(Perm.PRODUCT_EDIT),
        },
        status=status,
    )


def _item_values(form: PriceListItemForm) -> dict:
    data = form.cleaned_data
    return {
        "min_quantity": data["min_quantity"] or "0",
        "unit_price": data["unit_price"],
        "valid_from": data["valid_from"],
        "valid_to": data["valid_to"],
    }


@require_POST
@member_view
def price_list_item_add(request, price_list_id):
    """Add a tier (or update the one with the same product, quantity and start date: the
    service's natural key). htmx gets the new row followed by a fresh add row; a refusal
    gets the add row back with the reasons at its fields."""
    access = request.access
    access.require(Perm.PRODUCT_EDIT)
    price_list = catalog_selectors.price_list_get(access, price_list_id)
    form = PriceListItemForm(request.POST)
    errors: list[str] = []
    item = None
    if form.is_valid():
        product = catalog_selectors.product_by_sku(access, form.cleaned_data["sku"])
        if product is None:
            form.add_error(
                "sku",
                _("No product with this code.")
                if form.cleaned_data["sku"].strip()
                else _("This field is required."),
            )
        else:
            try:
                item = catalog.price_list_item_set(
                    price_list=price_list, product=product, actor=request.user, **_item_values(form)
                )
            except DomainError as error:
                errors = show_refusal(form, error)
    if item is None:
        if request.htmx:
            return _row(request, price_list, None, form=form, errors=errors, status=422)
        return _price_list_page(request, price_list, editing=("new", form, errors), status=422)
    if not request.htmx:
        messages.success(request, _("Saved."))
        return HttpResponseRedirect(reverse("price_list_detail", args=[price_list.pk]))
    item = catalog_selectors.price_list_item_get(access, price_list, item.pk)
    fresh = _row(request, price_list, None, form=PriceListItemForm()).content
    saved = _row(request, price_list, item).content
    return HttpResponse(fresh + saved)


@member_view
def price_list_item(request, price_list_id, item_id):
    """GET: the row, or with ``?edit=1`` the row as a form (htmx). POST: save the row."""
    access = request.access
    price_list = catalog_selectors.price_list_get(access, price_list_id)
    item = catalog_selectors.price_list_item_get(access, price_list, item_id)
    if request.method != "POST":
        if request.GET.get("edit") and access.can(Perm.PRODUCT_EDIT):
            return _row(request, price_list, item, form=_item_form(item))
        return _row(request, price_list, item)
    access.require(Perm.PRODUCT_EDIT)
    form = PriceListItemForm(request.POST)
    errors: list[str] = []
    if form.is_valid():
        try:
            catalog.price_list_item_update(item=item, actor=request.user, **_item_values(form))
        except DomainError as error:
            errors = show_refusal(form, error)
        else:
            if not request.htmx:
                messages.success(request, _("Saved."))
                return HttpResponseRedirect(reverse("price_list_detail", args=[price_list.pk]))
            item = catalog_selectors.price_list_item_get(access, price_list, item.pk)
            return _row(request, price_list, item)
    if request.htmx:
        return _row(request, price_list, item, form=form, errors=errors, status=422)
    return _price_list_page(request, price_list, editing=(str(item.pk), form, errors), status=422)


@require_POST
@member_view
def price_list_item_remove(request, price_list_id, item_id):
    access = request.access
    access.require(Perm.PRODUCT_EDIT)
    price_list = catalog_selectors.price_list_get(access, price_list_id)
    item = catalog_selectors.price_list_item_get(access, price_list, item_id)
    catalog.price_list_item_remove(item=item, actor=request.user)
    if request.htmx:
        return HttpResponse("")
    messages.success(request, _("Removed."))
    return HttpResponseRedirect(reverse("price_list_detail", args=[price_list.pk]))


@require_POST
@member_view
def price_rule_add(request, price_list_id):
    """Add a price rule to the list; a refusal shows the page again with the reasons at the
    form's fields."""
    access = request.access
    access.require(Perm.PRODUCT_EDIT)
    price_list = catalog_selectors.price_list_get(access, price_list_id)
    form = PriceRuleForm(request.POST, company=access.company)
    errors: list[str] = []
    if form.is_valid():
        data = form.cleaned_data
        product = None
        if data["sku"].strip():
            product = catalog_selectors.product_by_sku(access, data["sku"])
            if product is None:
                form.add_error("sku", _("No product with this code."))
        if not form.errors:
            try:
                catalog.price_rule_create(
                    price_list=price_list,
                    actor=request.user,
                    name=data["name"],
                    product=product,
                    category=data["category"],
                    base=data["base"],
                    markup_percent=data["markup_percent"],
                    rounding=data["rounding"] or "0",
                    surcharge=data["surcharge"] or "0",
                    min_quantity=data["min_quantity"] or "0",
                    valid_from=data["valid_from"],
                    valid_to=data["valid_to"],
                )
            except DomainError as error:
                errors = show_refusal(form, error)
            else:
                messages.success(request, _("Price rule added."))
                return HttpResponseRedirect(
                    reverse("price_list_detail", args=[price_list.pk]) + "#price-rules"
                )
    return _price_list_page(request, price_list, editing=("rule", form, errors), status=422)


@require_POST
@member_view
def price_rule_change(request, price_list_id, rule_id):
    """Switch a rule off or on (``active``) or remove it (``remove``)."""
    access = request.access
    access.require(Perm.PRODUCT_EDIT)
    price_list = catalog_selectors.price_list_get(access, price_list_id)
    rule = catalog_selectors.price_rule_get(access, price_list, rule_id)
    if request.POST.get("action") == "remove":
        catalog.price_rule_remove(rule=rule, actor=request.user)
        messages.success(request, _("Removed."))
    else:
        catalog.price_rule_update(
            rule=rule, actor=request.user, is_active=request.POST.get("active") == "1"
        )
        messages.success(request, _("Saved."))
    return HttpResponseRedirect(reverse("price_list_detail", args=[price_list.pk]) + "#price-rules")


@require_POST
@member_view
def price_list_customers(request, price_list_id):
    """Assign the list to customers by code (one or more, separated by commas, spaces or
    lines), or take one customer off it (back to the default list of its currency)."""
    from ordercrm.customers import selectors as customer_selectors
    from ordercrm.customers.price_lists import customer_price_list_set, price_list_assign

    access = request.access
    price_list = catalog_selectors.price_list_get(access, price_list_id)
    try:
        if request.POST.get("unassign"):
            access.require(Perm.PRODUCT_EDIT)
            customer = customer_selectors.customer_get(access, request.POST["unassign"])
            if customer.price_list_id != price_list.pk:
                raise PermissionDenied()
            customer_price_list_set(customer=customer, price_list=None, actor=request.user)
        else:
            codes = request.POST.get("codes", "").replace(",", " ").split()
            price_list_assign(price_list=price_list, codes=codes, actor=request.user)
    except PermissionDenied:
        raise
    except DomainError as error:
        for line in error_lines(error):
            messages.error(request, line)
    else:
        messages.success(request, _("Saved."))
    return HttpResponseRedirect(reverse("price_list_detail", args=[price_list.pk]) + "#customers")

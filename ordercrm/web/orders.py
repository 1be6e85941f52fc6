"""Order pages: list with filters and export, entry with live totals, the order page with
its actions, shipping, invoicing and payments, and the approvals inbox.

Every form posts to a view that calls one service; a ``DomainError`` comes back inline in the
user's language. htmx swaps parts of pages where it helps (live totals, adding and deleting
lines); without JavaScript the same forms post and re-render the whole page.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from ordercrm.core.dates import company_today
from ordercrm.core.db import reading_from_replica
from ordercrm.core.documents import pdf_response
from ordercrm.core.exceptions import DomainError
from ordercrm.core.models import ShippingPolicy
from ordercrm.core.permissions import Perm
from ordercrm.customers import selectors as customer_selectors
from ordercrm.imports import exports
from ordercrm.sales import selectors as sales_selectors
from ordercrm.sales import services as sales
from ordercrm.sales import workflow
from ordercrm.sales.filters import OrderListFilter
from ordercrm.sales.workflow import Status
from ordercrm.web.decorators import member_view
from ordercrm.web.errors import error_lines
from ordercrm.web.reasons import reasons_text

PAGE_SIZE = 50
BLANK_LINES = 3
PROGRESS_LABELS = {
    "not_shipped": gettext_lazy("Not shipped"),
    "partially_shipped": gettext_lazy("Partially shipped"),
    "shipped": gettext_lazy("Shipped"),
    "not_invoiced": gettext_lazy("Not invoiced"),
    "partially_invoiced": gettext_lazy("Partially invoiced"),
    "invoiced": gettext_lazy("Invoiced"),
    "unpaid": gettext_lazy("Unpaid"),
    "partially_paid": gettext_lazy("Partially paid"),
    "paid": gettext_lazy("Paid"),
    "overpaid": gettext_lazy("Overpaid"),
}


# ---------------------------------------------------------------- list and export


# The list's query-string names → fields of the one order filter (sales.filters), the same
# names its export reads.
ORDER_FILTERS = exports.ORDERS.params


def _filtered(request):
    """The visible orders narrowed by the list's filters (query string), and the filters.

    A malformed date, id or an unknown status raises ``ValidationFailed``, shown on the page."""
    values = {name: request.GET.get(name, "").strip() for name in ORDER_FILTERS}
    orders = OrderListFilter.parse(values, ORDER_FILTERS).orders(request.access)
    return orders, values


def _uuid_or_none(value: str):
    from ordercrm.core.ids import parse_id

    if not value:
        return None
    try:
        return parse_id(value)
    except DomainError:
        return None


@member_view
@reading_from_replica()
def order_list(request):
    from ordercrm.accounts import selectors as account_selectors
    from ordercrm.core.exceptions import ValidationFailed

    request.access.require(Perm.ORDER_VIEW)
    error = None
    try:
        orders, values = _filtered(request)
    except ValidationFailed as exc:
        error = exc
        orders, values = sales_selectors.order_list(request.access).none(), {}
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/order_list.html",
        {
            "page": page,
            "filters": values,
            "error": error,
            "statuses": Status.choices,
            "axes": [
                (
                    axis,
                    label,
                    values.get(axis, ""),
                    [(v, PROGRESS_LABELS[v]) for v in sales_selectors.PROGRESS_VALUES[axis]],
                )
                for axis, label in (
                    ("fulfilment", _("Shipping")),
                    ("invoicing", _("Invoicing")),
                    ("payment", _("Payment")),
                )
            ],
            # only a user who sees others' orders gets to filter by salesperson
            "salespeople": account_selectors.member_list(request.access.company)
            if request.access.scope != "own"
            else [],
            "saved_filters": account_selectors.saved_filter_list(
                request.user, request.access.company, "orders"
            ),
            "query": query.urlencode(),
        },
        status=422 if error else 200,
    )


@require_POST
@member_view
def saved_filter(request):
    """Save the current list filter under a name, or delete one (``delete`` = its id)."""
    from ordercrm.accounts import services as account_services

    if request.POST.get("delete"):
        account_services.saved_filter_delete(
            user=request.user, company=request.access.company, filter_id=request.POST["delete"]
        )
    else:
        try:
            account_services.saved_filter_save(
                user=request.user,
                company=request.access.company,
                page="orders",
                name=request.POST.get("name", ""),
                query=request.POST.get("query", ""),
            )
        except DomainError as exc:
            messages.error(request, exc.text)
    return HttpResponseRedirect(reverse("order_list") + "?" + request.POST.get("query", ""))


# ---------------------------------------------------------------- entry


def _posted_lines(request) -> list[dict]:
    skus = request.POST.getlist("sku")
    quantities = request.POST.getlist("quantity")
    discounts = request.POST.getlist("discount")
    prices = request.POST.getlist("unit_price")
    lines = []
    for index, (sku, quantity, discount) in enumerate(
        zip(skus, quantities, discounts, strict=False)
    ):
        lines.append(
            {
                "sku": sku.strip(),
                "quantity": quantity.strip(),
                "discount_percent": discount.strip() or "0",
                # empty: the price list's; a negative price makes a discount or rebate line
                "unit_price": prices[index].strip() if index < len(prices) else "",
            }
        )
    return lines


def _posted_entry_header(request) -> dict:
    """The header fields of the entry form as the service takes them (it parses the dates and
    the discount and refuses an unknown shipping policy): an empty order date is today, an
    empty validity date the company's default, an empty order discount none, an empty
    shipping policy the company's."""
    header = {"customer_reference": request.POST.get("customer_reference", "").strip()}
    for field in ("order_date", "valid_until", "discount_percent", "shipping_policy"):
        value = request.POST.get(field, "").strip()
        if value:
            header[field] = value
    return header


def _entry_context(request, lines, customer_id="", errors=None, preview=None, **extra):
    """What the entry form shows: customers, the product list (code, name, available stock,
    for the SKU field's suggestions) and, once previewed, each line priced with its stock."""
    from ordercrm.catalog.selectors import product_list
    from ordercrm.inventory.selectors import availability

    access = request.access
    products = list(product_list(access)[:1000])
    preview_lines = list(getattr(preview, "preview_lines", []) or [])
    stock = availability(access.company, {p.pk for p in products})
    for product in products:
        product.available = stock[product.pk].available if product.pk in stock else Decimal(0)
    line_stock = sales_selectors.lines_stock(preview, preview_lines) if preview_lines else []
    return {
        "lines": lines,
        "customer_id": customer_id,
        "customers": customer_selectors.customer_list(access)[:500],
        "products": products,
        # each priced line with its free stock (None: not stock-tracked), by the rule the
        # order page and the API use (sales.selectors.lines_stock)
        "preview_rows": list(zip(preview_lines, line_stock, strict=True)),
        "stock_warning": sales_selectors.stock_warning(preview_lines, line_stock),
        "order_discount": sales_selectors.order_discount_of(preview, preview_lines)
        if preview_lines
        else None,
        "validity_days": access.company.quotation_validity_days,
        "shipping_policies": ShippingPolicy.choices,
        "company_shipping_policy": access.company.shipping_policy,
        "today": company_today(access.company),
        "errors": errors or [],
        "preview": preview,
        "templates": sales_selectors.order_templates(access, _uuid_or_none(customer_id or "")),
        # The form's one-time token: kept through every preview of this form, so however
        # often it is saved (double click, Back and resubmit) it makes one order.
        "entry_token": _entry_token(request),
        **extra,
    }


def _entry_token(request) -> uuid.UUID:
    """The posted form's token, or a new one for a new form."""
    return _uuid_or_none(request.POST.get("entry_token", "")) or uuid.uuid4()


CUSTOMER_OPTIONS = 50


@member_view
def order_customer_options(request):
    """The customer choices of order entry for a search (htmx swaps them into the select):
    up to 50 matches by name, code, tax ID, phone or contact, and the customer already
    chosen so a search never drops it."""
    access = request.access
    access.require(Perm.ORDER_EDIT)
    chosen = _uuid_or_none(request.GET.get("customer", ""))
    customers = list(
        customer_selectors.customer_list(access, search=request.GET.get("customer_q", ""))[
            :CUSTOMER_OPTIONS
        ]
    )
    if chosen and all(c.pk != chosen for c in customers):
        customers = [*customer_selectors.customer_list(access).filter(pk=chosen), *customers]
    return render(
        request,
        "web/customer_options.html",
        {"customers": customers, "customer_id": str(chosen) if chosen else ""},
    )


def _delete_line(lines: list, action: str) -> None:
    """``action`` = ``delete:<index>`` removes that line of the form. A button's value is
    input too: anything but a shown line's index deletes nothing."""
    index = action.split(":", 1)[1]
    if index.isdigit() and int(index) < len(lines):
        del lines[int(index)]


@member_view
def order_new(request):
    """Order entry. Buttons: add a line, delete a line, update totals, save as draft."""
    request.access.require(Perm.ORDER_EDIT)
    if request.method == "GET":
        lines = [{"sku": "", "quantity": "", "discount_percent": "0"} for _ in range(BLANK_LINES)]
        if request.GET.get("template"):
            lines = sales_selectors.template_entry_lines(request.access, request.GET["template"])
        return render(
            request,
            "web/order_new.html",
            _entry_context(request, lines, request.GET.get("customer", "")),
        )
    lines = _posted_lines(request)
    customer_id = request.POST.get("customer", "")
    # Changes posted by htmx carry no button: they only refresh the totals.
    action = request.POST.get("action", "preview")
    paste_errors = []
    if action == "add":
        lines.append({"sku": "", "quantity": "", "discount_percent": "0"})
    elif action == "paste":  # "SKU quantity" per line, as copied from a spreadsheet or email
        from ordercrm.web.stock import parse_quantity_lines

        try:
            pasted = parse_quantity_lines(request.POST.get("pasted", ""))
        except DomainError as error:
            paste_errors = error_lines(error)
        else:
            lines = [line for line in lines if line["sku"]] + [
                {**line, "discount_percent": "0"} for line in pasted
            ]
    elif action.startswith("delete:"):
        _delete_line(lines, action)
    filled = [line for line in lines if line["sku"]]
    errors, preview = list(paste_errors), None
    header = _posted_entry_header(request)
    # Saving prices the lines once, in order_create (it raises what a preview would); the
    # preview is for the totals while the form is being filled in.
    if customer_id and filled and action != "save":
        try:
            preview = sales.order_preview(
                company=request.company,
                actor=request.user,
                customer=customer_id,
                lines=filled,
                **header,
            )
        except DomainError as error:
            errors = error_lines(error)
    if action == "save":
        if not customer_id:
            errors = [_("Choose a customer.")]
        elif not errors:
            try:
                order = sales.order_create(
                    company=request.company,
                    actor=request.user,
                    customer=customer_id,
                    lines=filled,
                    entry_token=_uuid_or_none(request.POST.get("entry_token", "")),
                    **header,
                )
            except DomainError as error:
                errors = error_lines(error)
            else:
                if order.replayed:
                    text = _("This form was already saved as order %(number)s; here it is.")
                else:
                    text = _("Order %(number)s saved as a draft.")
                messages.success(request, text % {"number": order.number})
                target = reverse("order_detail", args=[order.pk])
                if request.htmx:  # a full navigation, not a swap of the entry form
                    return HttpResponseClientRedirect(target)
                return HttpResponseRedirect(target)
    context = _entry_context(
        request,
        lines,
        customer_id,
        errors,
        preview,
        header=header,
        customer_reference=header["customer_reference"],
    )
    return render(
        request, "web/order_new.html", context, status=422 if errors and action == "save" else 200
    )


# ---------------------------------------------------------------- draft editing


EDIT_HEADER = ("customer_reference", "requested_date", "notes", "payment_terms")


def _draft_lines(lines) -> list[dict]:
    """A draft's product lines as the edit form's rows (a hand-set price is kept)."""
    return [
        {
            "sku": line.product.sku if line.product else "",
            "quantity": _plain(line.quantity),
            "discount_percent": _plain(line.discount_percent),
            "unit_price": _plain(line.unit_price) if line.price_overridden else "",
        }
        for line in lines
        if line.kind == "product"
    ]


def _plain(value) -> str:
    from ordercrm.core.money import plain

    return plain(value) if value is not None else ""


def _posted_edit_lines(request) -> list[dict]:
    lines = _posted_lines(request)
    for line, price in zip(lines, request.POST.getlist("unit_price"), strict=False):
        line["unit_price"] = price.strip()
    return lines


def _posted_header(request, company) -> dict:
    """The header fields of the edit form, as the service takes them."""
    from ordercrm.customers.selectors import payment_term_list

    header = {
        "customer_reference": request.POST.get("customer_reference", "").strip(),
        "notes": request.POST.get("notes", "").strip(),
        "requested_date": request.POST.get("requested_date", "").strip() or None,
        # parsed by the service (a bad date or discount is an error on its field)
        "order_date": request.POST.get("order_date", "").strip(),
        "valid_until": request.POST.get("valid_until", "").strip(),  # empty: no validity
        "discount_percent": request.POST.get("discount_percent", "").strip() or "0",
    }
    policy = request.POST.get("shipping_policy", "").strip()
    if policy:  # not posted: unchanged; an unknown one is refused at its field by the service
        header["shipping_policy"] = policy
    term = _uuid_or_none(request.POST.get("payment_terms", ""))
    header["payment_terms"] = payment_term_list(company).filter(pk=term).first() if term else None
    return header


def _edit_customers(access, order, chosen: str) -> list:
    """The customers the edit form offers (the first 500 the user may see, plus the order's
    and the chosen one)."""
    customers = list(customer_selectors.customer_list(access)[:500])
    shown = {str(c.pk) for c in customers}
    wanted = {str(order.customer_id), chosen} - shown
    ids = [u for u in (_uuid_or_none(w) for w in wanted) if u]
    if ids:
        customers = [*customer_selectors.customer_list(access).filter(pk__in=ids), *customers]
    return customers


@member_view
def order_edit(request, order_id):
    """Edit a draft: header (PO reference, requested date, notes, payment terms) and product
    lines, saved through ``order_update`` at the version the user loaded. Someone else's save
    in between is shown inline with the order as it is now, the user's input kept."""
    from django.utils.dateparse import parse_date

    from ordercrm.customers.selectors import payment_term_list
    from ordercrm.sales.exceptions import NotEditable, StaleVersion

    access = request.access
    access.require(Perm.ORDER_EDIT)
    order = sales_selectors.order_get(access, order_id)
    current_lines = sales_selectors.order_lines(order)
    others = [
        {"kind": ln.kind, "description": ln.description}
        for ln in current_lines
        if ln.kind != "product"
    ]  # sections and notes are kept as they are, after the products
    if "edit" not in sales_selectors.order_actions(access, order):  # only a draft is
        messages.error(request, NotEditable().text)
        return HttpResponseRedirect(reverse("order_detail", args=[order.pk]))
    stale = None
    if request.method == "GET":
        lines = _draft_lines(current_lines) or [
            {"sku": "", "quantity": "", "discount_percent": "0", "unit_price": ""}
        ]
        header = {
            "customer_reference": order.customer_reference,
            "notes": order.notes,
            "requested_date": order.requested_date.isoformat() if order.requested_date else "",
            "payment_terms": order.payment_terms,
            "order_date": order.order_date.isoformat(),
            "valid_until": order.valid_until.isoformat() if order.valid_until else "",
            "discount_percent": _plain(order.discount_percent),
            "shipping_policy": order.effective_shipping_policy,
        }
        version, errors, action = order.version, [], "load"
        customer_id = str(order.customer_id)
    else:
        lines = _posted_edit_lines(request)
        header = _posted_header(request, request.company)
        # another customer re-prices and re-taxes the draft (sales.order_update); its own
        # payment terms follow unless the user chose others in the same edit
        customer_id = request.POST.get("customer", "").strip() or str(order.customer_id)
        chosen = _uuid_or_none(customer_id)
        errors_before = [_("Choose a customer.")] if chosen is None else []
        if chosen and chosen != order.customer_id:
            header["customer"] = chosen
            if header["payment_terms"] == order.payment_terms:
                header.pop("payment_terms")
        version = _posted_version(request) or 0
        errors, action = errors_before, request.POST.get("action", "preview")
        if action == "add":
            lines.append({"sku": "", "quantity": "", "discount_percent": "0", "unit_price": ""})
        elif action.startswith("delete:"):
            _delete_line(lines, action)
        raw_date = header["requested_date"]
        if raw_date:
            try:
                parsed = parse_date(raw_date)
            except ValueError:
                parsed = None
            if parsed is None:
                errors.append(_("Requested delivery date: enter a valid date."))
            header["requested_date"] = parsed
        if action == "save" and not errors:
            filled = [
                {k: v for k, v in line.items() if v != "" or k == "sku"}
                for line in lines
                if line["sku"]
            ]
            try:
                saved = sales.order_update(
                    order=order,
                    actor=request.user,
                    version=version,
                    lines=filled + others,
                    **header,
                )
            except StaleVersion:
                order = sales_selectors.order_get(access, order.pk)
                stale = {
                    "order": order,
                    "lines": sales_selectors.order_lines(order),
                }
                errors = [
                    _(
                        "Someone else saved this order while you were editing it (now version "
                        "%(version)s). It is shown below as it is now; your changes are still "
                        "in the form. Check them and save again to replace it."
                    )
                    % {"version": order.version}
                ]
                version = order.version
            except DomainError as error:
                errors = error_lines(error)
            else:
                messages.success(request, _("Order %(number)s saved.") % {"number": saved.number})
                return HttpResponseRedirect(reverse("order_detail", args=[saved.pk]))
        header["requested_date"] = raw_date
    preview = None
    filled = [line for line in lines if line["sku"]]
    if filled and not stale:
        try:
            preview = sales.order_preview(
                company=request.company,
                actor=request.user,
                customer=header.get("customer") or order.customer_id,
                lines=[{k: v for k, v in ln.items() if v != "" or k == "sku"} for ln in filled],
                currency=None if header.get("customer") else order.currency,
                order_date=header.get("order_date") or order.order_date,
                discount_percent=header.get("discount_percent") or "0",
            )
        except DomainError as error:
            if not errors:
                errors = error_lines(error)
    return render(
        request,
        "web/order_edit.html",
        {
            "order": order,
            "version": version,
            "lines": lines,
            "header": header,
            "customer_id": customer_id,
            "customers": _edit_customers(access, order, customer_id),
            "payment_terms": payment_term_list(request.company),
            "shipping_policies": ShippingPolicy.choices,
            "errors": errors,
            "stale": stale,
            "preview": preview,
        },
        status=409 if stale else (422 if errors and action == "save" else 200),
    )


# ---------------------------------------------------------------- order page


def _order_context(request, order):
    from ordercrm.billing.models import PaymentMethod
    from ordercrm.billing.selectors import invoice_list
    from ordercrm.fulfilment.selectors import advance_position, order_line_stock, shipment_list
    from ordercrm.notifications.selectors import order_activity

    access = request.access
    lines = sales_selectors.order_lines(order)
    state = sales_selectors.order_state(order, lines)
    progress = state.progress
    available = sales_selectors.order_actions(access, order, state)

    reasons = order.approval_reasons
    # before confirmation nothing is reserved: show free stock and what would be short
    before_confirmation = order.status in workflow.QUOTATION
    figures = sales_selectors.order_line_figures(order, lines) if before_confirmation else []
    shortfall = [f for f in figures if f.shortfall]
    from ordercrm.service import selectors as service_selectors

    return {
        "order": order,
        # a quotation's warning when a line asks for more than the free stock (the API's too)
        "stock_warning": sales_selectors.with_stock(order, lines) if before_confirmation else [],
        "order_discount": sales_selectors.order_discount_of(order, lines),
        "order_cases": list(service_selectors.case_list(access, order_id=order.pk)[:20])
        if access.can(Perm.CUSTOMER_VIEW)
        else [],
        "can_open_case": access.can(Perm.TICKET_EDIT) and order.status not in workflow.QUOTATION,
        "before_confirmation": before_confirmation,
        "figures": {f.line.pk: f for f in figures},
        "shortfall_lines": shortfall,
        "rate": sales_selectors.order_exchange_rate(order),
        "shipping_policy_label": ShippingPolicy(order.effective_shipping_policy).label,
        "can_set_rate": "rate" in available,
        "can_edit": "edit" in available,
        "decisions": sales_selectors.order_decisions(order),
        # margins reveal costs: for those who decide on prices
        "show_margin": access.can(Perm.ORDER_APPROVE),
        "reason_texts": reasons_text(reasons, order, lines),
        "payment_methods": PaymentMethod.choices,
        "progress_text": [
            _("No shipment needed")
            if order.services_only
            else PROGRESS_LABELS[progress.fulfilment],
            PROGRESS_LABELS[progress.invoicing],
            PROGRESS_LABELS[progress.payment],
        ],
        "lines": lines,
        # what the ship form offers per line: what is ready now, never more than is open
        "stock": {row.line.pk: row for row in order_line_stock(order, lines)},
        "to_ship": state.to_ship,
        "progress": progress,
        "actions": [a for a in available if a in workflow.ORDER_ACTIONS],
        "action_titles": {row.name: row.title for row in workflow.BUTTONS},
        "reasons": reasons,
        "timeline": order_activity(access, order.pk),
        "can_resend": access.can(Perm.SETTINGS_EDIT),
        "revisions": _revisions(order, lines),
        "can_reorder": "reorder" in available,
        "can_amend": "amend" in available,
        "can_email": "email" in available,
        "shipments": shipment_list(access, order_id=order.pk),
        "invoices": invoice_list(access, order_id=order.pk),
        "can_ship": "ship" in available,
        "advance": advance_position(order),
        "fulfilment_exceptions": _open_exceptions(access, order),
        "can_decide_exceptions": access.can(Perm.SHIPMENT_EDIT),
        # what stays open may be declined (no backorder) by who may short-close
        "can_decline_backorder": order.status in workflow.SHIPPABLE
        and state.anything_to_ship
        and access.can(Perm.ORDER_CANCEL),
        "can_invoice": "invoice" in available,
        "can_pay": "pay" in available,
        **_returns_context(access, order, lines),
        **_credit_context(access, order),
    }


def _credit_context(access, order) -> dict:
    """Who shares the order's sales credit, and whether the viewer may change it."""
    from ordercrm.analytics import performance

    return {
        "credit_splits": performance.order_credit_splits(access, order),
        "can_split": access.can(Perm.TARGET_EDIT),
    }


def _open_exceptions(access, order) -> list:
    """The order's undecided fulfilment exceptions (a cancelled shipment, a failed delivery)."""
    from ordercrm.fulfilment import selectors as fulfilment_selectors

    return fulfilment_selectors.order_exceptions(access, order, open_only=True)


def _returns_context(access, order, lines) -> dict:
    """The order's returns and whether a new one can be started (``returns`` decides)."""
    from ordercrm.returns import selectors as returns_selectors

    room = returns_selectors.returnable(order, lines)
    return {
        "rmas": returns_selectors.order_rma_summary(access, order),
        # the returned / replaced / credited columns, once anything came back or was credited
        "after_sales": any(
            line.qty_returned or line.qty_credited or line.qty_replaced or line.qty_refunded
            for line in lines
        ),
        "can_return": access.can(Perm.RETURN_EDIT)
        and order.status in returns_selectors.RETURNABLE_ORDERS
        and any(q > 0 for q in room.values()),
    }


def _revisions(order, lines) -> list[dict]:
    """Each amendment as readable rows: lines added, removed and changed (field: before →
    after) and header changes, newest first."""
    from django.core.exceptions import FieldDoesNotExist

    from ordercrm.sales.models import SalesOrder, SalesOrderLine

    positions = {
        str(line.pk): f"#{line.position} {line.product.sku if line.product else ''}"
        for line in lines
    }

    def label(model, name):
        try:
            return str(model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:  # a snapshot key that is not a field
            return name

    def describe(snapshot):
        return " ".join(
            str(snapshot.get(k, ""))
            for k in ("description", "quantity", "unit_price")
            if snapshot.get(k)
        )

    result = []
    for revision in (
        sales_selectors.order_revisions(order)
        .exclude(revision=0)
        .select_related("created_by")
        .order_by("-revision")
    ):
        diff = revision.diff or {}
        rows = []
        line_diff = diff.get("lines", {})
        for added in line_diff.get("added", []):
            rows.append(("+", _("Line added"), describe(added)))
        for removed in line_diff.get("removed", []):
            rows.append(("−", _("Line removed"), describe(removed)))
        for line_id, fields in line_diff.get("changed", {}).items():
            for name, (before, after) in fields.items():
                rows.append(
                    (
                        "~",
                        f"{positions.get(line_id, '')} {label(SalesOrderLine, name)}",
                        f"{before} → {after}",
                    )
                )
        for name, change in diff.items():
            if name != "lines" and isinstance(change, list) and len(change) == 2:
                rows.append(("~", label(SalesOrder, name), f"{change[0]} → {change[1]}"))
        result.append({"revision": revision, "rows": rows})
    return result


@member_view
def order_detail(request, order_id):
    order = sales_selectors.order_get(request.access, order_id)
    return render(request, "web/order_detail.html", _order_context(request, order))


def _amend(request, order):
    """Amend a confirmed order: the quantities and prices that differ from the current ones
    become one new revision (the service checks shipped/invoiced floors, credit and
    approval rules again)."""
    from decimal import Decimal, InvalidOperation

    changes = []
    for line in sales_selectors.order_lines(order):
        change = {"line_id": str(line.pk)}
        for field, current in (("quantity", line.quantity), ("unit_price", line.unit_price)):
            raw = request.POST.get(f"amend_{field}_{line.pk}", "").strip()
            if not raw:
                continue
            try:
                if Decimal(raw) == current:
                    continue
            except InvalidOperation:
                pass  # let the service say what is wrong with it
            change[field] = raw
        if request.POST.get(f"amend_remove_{line.pk}"):
            change = {"line_id": str(line.pk), "remove": True}
        if len(change) > 1:
            changes.append(change)
    if not changes:
        return _redisplay(request, order, [_("Nothing was changed.")])
    sales.order_amend(
        order=order,
        actor=request.user,
        version=_posted_version(request) or order.version,
        lines=changes,
        reason=request.POST.get("reason", ""),
    )
    messages.success(request, str(workflow.AMEND.message))
    return order


def _send_to_customer(request, order):
    sales.order_send_to_customer(order=order, actor=request.user)
    messages.success(
        request,
        _("The order confirmation is queued for the customer; the timeline shows when it is sent."),
    )
    return order


def _reorder(request, order):
    copy = sales.order_reorder(order=order, actor=request.user)
    messages.success(request, _("Order %(number)s saved as a draft.") % {"number": copy.number})
    return copy


def _workflow_action(action: str):
    def run(request, order):
        # a repeat (Back and the button again, a second tab, a retry) has no second effect;
        # the page says so instead of confirming an action that did not happen again
        repeated = workflow.BY_NAME[action].already_done(order.status)
        done = sales.order_action(
            order=order,
            actor=request.user,
            action=action,
            version=_posted_version(request),
            note=request.POST.get("comment", ""),
            # finance's choice when cancelling an invoiced order: credit its invoices
            credit=action == "cancel" and bool(request.POST.get("credit_invoices")),
        )
        if repeated and done.status == order.status:
            messages.info(
                request,
                _("Order %(number)s is already “%(status)s”; nothing was changed.")
                % {"number": done.number, "status": Status(done.status).label},
            )
            return done
        # what the page confirms after it (the status badge tells the rest)
        message = workflow.BY_NAME[action].message_for(done.status)
        if message:
            messages.success(request, str(message) % {"number": done.number})
        return done

    return run


def _comment(request, order):
    """A plain comment; ``@username`` tells that colleague (if they may see the order)."""
    comment = sales.order_comment_add(
        order=order, actor=request.user, text=request.POST.get("text", "")
    )
    if comment.mentioned:
        messages.success(
            request,
            _("Comment posted; %(names)s will be notified.")
            % {"names": ", ".join(str(user) for user in comment.mentioned)},
        )
    else:
        messages.success(request, _("Comment posted."))
    return order


def _set_rate(request, order):
    """A hand-set exchange rate on a draft (empty: back to the company rate table), through
    the draft edit service, which checks the permission and the version."""
    updated = sales.order_update(
        order=order,
        actor=request.user,
        version=_posted_version(request) or -1,
        exchange_rate=request.POST.get("exchange_rate", "").strip(),
    )
    if updated.exchange_rate_overridden:
        messages.success(request, _("Exchange rate set on this order."))
    else:
        messages.success(request, _("This order uses the company rate table again."))
    return updated


def _posted_version(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


# Each button of the order page: a function (request, order) → the order to show next (the
# same one, or a new draft for reorder). A DomainError is shown inline on the order page.
ORDER_PAGE_ACTIONS = {
    **{name: _workflow_action(name) for name in workflow.ORDER_ACTIONS},
    "amend": _amend,
    "email": _send_to_customer,
    "reorder": _reorder,
    "comment": _comment,
    "rate": _set_rate,
}


def _redisplay(request, order, errors):
    context = _order_context(request, sales_selectors.order_get(request.access, order.pk))
    context["errors"] = errors
    return render(request, "web/order_detail.html", context, status=409)


@require_POST
@member_view
def order_action(request, order_id, action):
    order = sales_selectors.order_get(request.access, order_id)
    if action not in ORDER_PAGE_ACTIONS:
        return HttpResponse(status=404)
    try:
        shown = ORDER_PAGE_ACTIONS[action](request, order)
    except DomainError as error:
        return _redisplay(request, order, error_lines(error))
    if isinstance(shown, HttpResponse):  # e.g. "nothing was changed", shown inline
        return shown
    return HttpResponseRedirect(reverse("order_detail", args=[shown.pk]))


@require_POST
@member_view
def order_ship(request, order_id):
    from ordercrm.fulfilment.services import shipment_create

    order = sales_selectors.order_get(request.access, order_id)
    lines = [
        {"order_line_id": key.removeprefix("ship_"), "quantity": value}
        for key, value in request.POST.items()
        if key.startswith("ship_") and value.strip() not in ("", "0")
    ]
    # "Plan shipment" keeps it a draft (picked later, dispatched or cancelled on its page)
    plan = request.POST.get("plan") == "1"
    try:
        shipment = shipment_create(
            order=order,
            actor=request.user,
            lines=lines,
            carrier=request.POST.get("carrier", ""),
            tracking_number=request.POST.get("tracking_number", ""),
            dispatch=not plan,
            decline_backorder=not plan and request.POST.get("decline_backorder") == "1",
        )
    except DomainError as error:
        return _redisplay(request, order, error_lines(error))
    if plan:
        messages.success(
            request,
            _("Shipment %(number)s planned: dispatch or cancel it on its page.")
            % {"number": shipment.number},
        )
        return HttpResponseRedirect(reverse("shipment_detail", args=[shipment.pk]))
    messages.success(request, _("Shipment dispatched."))
    return HttpResponseRedirect(reverse("order_detail", args=[order.pk]))


@require_POST
@member_view
def order_invoice(request, order_id):
    from ordercrm.billing.services import invoice_create

    order = sales_selectors.order_get(request.access, order_id)
    draft = request.POST.get("draft") == "1"  # a draft to review and edit before issue
    try:
        invoice = invoice_create(order=order, actor=request.user, issue=not draft)
    except DomainError as error:
        return _redisplay(request, order, error_lines(error))
    if draft:
        messages.success(request, _("Draft invoice created; review its lines, then issue it."))
        return HttpResponseRedirect(reverse("invoice_detail", args=[invoice.pk]))
    messages.success(request, _("Invoice issued."))
    return HttpResponseRedirect(reverse("order_detail", args=[order.pk]))


@require_POST
@member_view
def order_payment(request, order_id):
    """Money received for this order: the billing service applies it to the order's open
    invoices, oldest first, and keeps any rest as an advance for its next invoice."""
    from ordercrm.billing.services import payment_record

    order = sales_selectors.order_get(request.access, order_id)
    try:
        payment_record(
            company=request.company,
            actor=request.user,
            customer=order.customer_id,
            amount=request.POST.get("amount", ""),
            currency=order.currency,
            method=request.POST.get("method", "bank_transfer"),
            reference=request.POST.get("reference", ""),
            order=order,
        )
    except DomainError as error:
        return _redisplay(request, order, error_lines(error))
    messages.success(request, _("Payment recorded."))
    return HttpResponseRedirect(reverse("order_detail", args=[order.pk]))


@member_view
def order_pdf(request, order_id):
    from ordercrm.sales.documents import order_pdf as render_pdf

    order = sales_selectors.order_get(request.access, order_id)
    return pdf_response(render_pdf(request.access, order.pk, request.GET.get("lang")), order.number)


@member_view
@reading_from_replica()
def approvals(request):
    """What waits for this approver: each order with its lines' figures and its reasons in
    words, so the decision can be taken from here."""
    items = sales_selectors.approval_inbox(request.access)
    return render(
        request,
        "web/approvals.html",
        {
            "items": [
                {
                    "item": item,
                    "reasons": reasons_text(item.reasons, item.order, item.lines),
                    "short": [f for f in item.line_figures if f.shortfall],
                }
                for item in items
            ]
        },
    )

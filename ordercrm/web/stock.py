"""Stock pages: stock by warehouse, the moves ledger, receipts and adjustments (lines typed
or pasted as ``SKU quantity``), and a receipt's page, where it can be reversed."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from ordercrm.catalog import selectors as catalog_selectors
from ordercrm.core.db import reading_from_replica
from ordercrm.core.exceptions import DomainError, ValidationFailed
from ordercrm.core.ids import parse_id
from ordercrm.core.permissions import Perm
from ordercrm.core.validation import parse_pasted_rows
from ordercrm.inventory import selectors as inventory_selectors
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import MoveKind
from ordercrm.web.decorators import member_view
from ordercrm.web.errors import error_lines

PAGE_SIZE = 50


def _warehouse_choice(request, warehouses):
    """The warehouse picked in the query string, if it is one of the company's."""
    wanted = request.GET.get("warehouse", "")
    return next((w for w in warehouses if str(w.pk) == wanted), None)


@member_view
@reading_from_replica()
def stock_levels(request):
    access = request.access
    warehouses = list(inventory_selectors.warehouse_list(access.company))
    warehouse = _warehouse_choice(request, warehouses)
    search = request.GET.get("q", "").strip()
    levels = inventory_selectors.stock_levels(
        access, warehouse_id=warehouse.pk if warehouse else None, search=search
    )
    page = Paginator(levels, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/stock_levels.html",
        {
            "page": page,
            "warehouses": warehouses,
            "warehouse": warehouse,
            "q": search,
            "query": query.urlencode(),
            "can_edit": access.can(Perm.STOCK_EDIT),
        },
    )


@member_view
@reading_from_replica()
def stock_moves(request):
    """The ledger, newest first, by warehouse, kind and product."""
    access = request.access
    warehouses = list(inventory_selectors.warehouse_list(access.company, active_only=False))
    warehouse = _warehouse_choice(request, warehouses)
    kind = request.GET.get("kind", "")
    product = None
    if request.GET.get("product"):
        try:
            product = catalog_selectors.product_get(access, parse_id(request.GET["product"]))
        except DomainError:
            product = None
    moves = inventory_selectors.stock_moves(
        access,
        warehouse_id=warehouse.pk if warehouse else None,
        kind=kind if kind in MoveKind.values else "",
        product_id=product.pk if product else None,
    ).order_by("-created_at", "-id")
    page = Paginator(moves, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    reversed_ids = inventory_selectors.reversed_receipts(
        access.company, [m.reference_id for m in page if m.kind == MoveKind.RECEIPT]
    )
    return render(
        request,
        "web/stock_moves.html",
        {
            "page": page,
            "receipt_kinds": (MoveKind.RECEIPT, MoveKind.RECEIPT_REVERSAL),
            "reversed_ids": reversed_ids,
            "can_edit": access.can(Perm.STOCK_EDIT),
            "warehouses": warehouses,
            "warehouse": warehouse,
            "kinds": MoveKind.choices,
            "kind": kind,
            "product": product,
            "query": query.urlencode(),
        },
    )


def parse_quantity_lines(text: str) -> list[dict]:
    """``SKU quantity`` per line, as every paste box reads it (``core.validation.
    parse_pasted_rows``: tab, semicolon, comma or spaces between; a bad row is named by
    its number). The quantities stay text: the stock service checks them."""
    return [
        {"sku": row["sku"], "quantity": row["quantity"]}
        for row in parse_pasted_rows(text, with_price=False)
    ]


@member_view
def stock_entry(request, kind: str):
    """Receive goods or adjust stock in one warehouse; errors come back inline and nothing is
    booked unless every line is valid."""
    access = request.access
    access.require(Perm.STOCK_EDIT)
    if kind not in ("receipt", "adjustment"):
        raise Http404()
    warehouses = list(inventory_selectors.warehouse_list(access.company))
    errors: list[str] = []
    form = {
        "warehouse": request.POST.get("warehouse", ""),
        "lines": request.POST.get("lines", ""),
        "note": request.POST.get("note", ""),
    }
    if request.method == "POST":
        warehouse = next((w for w in warehouses if str(w.pk) == form["warehouse"]), None)
        try:
            if warehouse is None:
                raise ValidationFailed(_("Choose a warehouse."))
            lines = parse_quantity_lines(form["lines"])
            if kind == "receipt":
                moves = inventory.stock_receive(
                    company=access.company,
                    actor=request.user,
                    warehouse=warehouse,
                    lines=lines,
                    reference=form["note"][:64],
                )
            else:
                moves = inventory.stock_adjust(
                    company=access.company,
                    actor=request.user,
                    warehouse=warehouse,
                    lines=lines,
                    reason=form["note"][:200],
                )
        except DomainError as exc:
            errors = error_lines(exc)
        else:
            messages.success(
                request,
                _("%(count)s stock moves booked as %(reference)s.")
                % {"count": len(moves), "reference": moves[0].reference if moves else ""},
            )
            return HttpResponseRedirect(reverse("stock_moves") + f"?warehouse={warehouse.pk}")
    return render(
        request,
        "web/stock_entry.html",
        {"kind": kind, "warehouses": warehouses, "form": form, "errors": errors},
        status=422 if errors else 200,
    )


@member_view
def stock_receipt(request, receipt_id: str):
    """One receipt: its lines, the stock they are part of now, and *Reverse receipt* (a
    reason and a tick to confirm). A refusal (stock reserved for orders, already reversed)
    is shown beside the button and nothing is booked."""
    access = request.access
    receipt_id = parse_id(receipt_id)
    receipt = inventory_selectors.stock_receipt(access, receipt_id)
    can_edit = access.can(Perm.STOCK_EDIT)
    errors: list[str] = []
    form = {"reason": request.POST.get("reason", ""), "confirm": request.POST.get("confirm")}
    status = 200
    if request.method == "POST":
        access.require(Perm.STOCK_EDIT)
        try:
            if not form["confirm"]:
                raise ValidationFailed(_("Tick the box to confirm the reversal."))
            inventory.stock_receipt_reverse(
                company=access.company,
                actor=request.user,
                receipt_id=receipt_id,
                reason=form["reason"][:200],
            )
        except DomainError as exc:
            errors = error_lines(exc)
            status = exc.http_status if exc.http_status in (409, 422) else 422
            receipt = inventory_selectors.stock_receipt(access, receipt_id)
        else:
            messages.success(
                request, _("Receipt %(reference)s reversed.") % {"reference": receipt.reference}
            )
            return HttpResponseRedirect(reverse("stock_receipt", args=[receipt_id]))
    lines = [
        {
            "move": move,
            "stock": receipt.levels.get(move.product_id, inventory_selectors.Availability()),
        }
        for move in receipt.lines
    ]
    return render(
        request,
        "web/stock_receipt.html",
        {
            "receipt": receipt,
            "lines": lines,
            "can_edit": can_edit,
            "form": form,
            "errors": errors,
        },
        status=status,
    )

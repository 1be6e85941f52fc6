"""Model → JSON-ready dicts for API v1 (decimal strings, ISO dates, UUID strings)."""

from __future__ import annotations

from ordercrm.api.base import dec, iso, uid


def customer(c) -> dict:
    return {
        "id": str(c.pk),
        "code": c.code,
        "name": c.name,
        "kind": c.kind,
        "language": c.language,
        "currency": c.currency,
        "email": c.email,
        "phone": c.phone,
        "tax_id": c.tax_id,
        "credit_limit": dec(c.credit_limit),
        "credit_hold": c.credit_hold,
        "receivable_balance": dec(c.receivable_balance),
        "version": c.version,
        "created_at": iso(c.created_at),
    }


def contact(c) -> dict:
    return {
        "id": str(c.pk),
        "name": c.name,
        "title": c.title,
        "email": c.email,
        "phone": c.phone,
        "is_primary": c.is_primary,
    }


def address(a) -> dict:
    return {
        "id": str(a.pk),
        **{
            f: getattr(a, f)
            for f in (
                "kind",
                "recipient",
                "phone",
                "line1",
                "line2",
                "city",
                "region",
                "postal_code",
                "country",
                "is_default",
            )
        },
    }


def product(p) -> dict:
    return {
        "id": str(p.pk),
        "sku": p.sku,
        "name": p.name,
        "unit": p.unit.code if p.unit_id else "",
        "list_price": dec(p.list_price),
        "tax_rate": dec(p.tax_rate.rate, quantity=True) if p.tax_rate_id else None,
        "is_stock_tracked": p.is_stock_tracked,
        "is_active": p.is_active,
        "created_at": iso(p.created_at),
    }


def order_line(line, tracked: bool = True) -> dict:
    backordered = line.backordered if tracked and line.kind == "product" else 0
    return {
        "id": str(line.pk),
        "position": line.position,
        "kind": line.kind,
        "product_id": uid(line.product_id),
        "sku": line.product.sku if line.product_id else None,
        "description": line.description,
        "quantity": dec(line.quantity, quantity=True),
        "unit_price": dec(line.unit_price, quantity=True),
        "discount_percent": dec(line.discount_percent, quantity=True),
        "tax_rate": dec(line.tax_percent, quantity=True),
        "net": dec(line.net),
        "tax": dec(line.tax),
        "gross": dec(line.gross),
        "quantity_reserved": dec(line.qty_reserved, quantity=True),
        "quantity_backordered": dec(backordered, quantity=True),
        "quantity_shipped": dec(line.qty_shipped, quantity=True),
        "quantity_returned": dec(line.qty_returned, quantity=True),
        "quantity_invoiced": dec(line.qty_invoiced, quantity=True),
        "quantity_credited": dec(line.qty_credited, quantity=True),
        "quantity_closed": dec(line.qty_closed, quantity=True),
    }


def order(o, lines=None, approvals=None) -> dict:
    """The contract's order: statuses of the three progress axes, totals, approval, lines.
    The progress axes need the lines; list pages read them in one extra query."""
    import json

    from ordercrm.sales.selectors import order_progress

    data = {
        "id": str(o.pk),
        "number": o.number,
        "status": o.status,
        "customer_id": str(o.customer_id),
        "customer_name": o.customer.name,
        "salesperson_id": uid(o.salesperson_id),
        "currency": o.currency,
        "exchange_rate": dec(o.exchange_rate, quantity=True),
        "order_date": iso(o.order_date),
        "requested_delivery_date": iso(o.requested_date),
        "customer_reference": o.customer_reference,
        "invoicing_policy": o.invoicing_policy,
        "warehouse_id": uid(o.warehouse_id),
        "total_net": dec(o.net_total),
        "total_tax": dec(o.tax_total),
        "total_gross": dec(o.gross_total),
        "amount_invoiced": dec(o.amount_invoiced),
        "amount_paid": dec(o.amount_paid),
        "version": o.version,
        "revision": o.revision,
        "created_at": iso(o.created_at),
        "warnings": getattr(o, "warnings", []),
    }
    if lines is not None:
        progress = order_progress(o, lines, paid=o.amount_paid)
        data["fulfilment_status"] = progress.fulfilment
        data["invoice_status"] = progress.invoicing
        data["payment_status"] = progress.payment
        data["lines"] = [
            order_line(line, bool(line.product_id and line.product.is_stock_tracked))
            for line in lines
        ]
    reasons = []
    if o.status == "pending_approval" and o.status_reason.startswith("["):
        reasons = json.loads(o.status_reason)
    data["approval"] = {
        "reasons": reasons,
        "steps": [
            {
                "level": a.level,
                "role": a.role,
                "approver_ids": a.approver_ids,
                "status": a.status,
                "decided_by": uid(a.decided_by_id),
                "decided_at": iso(a.decided_at),
            }
            for a in (approvals or [])
        ],
    }
    return data


def shipment(s, lines=None) -> dict:
    data = {
        "id": str(s.pk),
        "number": s.number,
        "order_id": str(s.order_id),
        "status": s.status,
        "carrier": s.carrier,
        "tracking_number": s.tracking_number,
        "dispatched_at": iso(s.dispatched_at),
        "created_at": iso(s.created_at),
    }
    if lines is not None:
        data["lines"] = [
            {
                "id": str(x.pk),
                "order_line_id": str(x.order_line_id),
                "quantity": dec(x.quantity, quantity=True),
                "qty_returned": dec(x.qty_returned, quantity=True),
            }
            for x in lines
        ]
    return data


def invoice(i, lines=None) -> dict:
    data = {
        "id": str(i.pk),
        "kind": i.kind,
        "number": i.number,
        "status": i.status,
        "order_id": str(i.order_id),
        "customer_id": str(i.customer_id),
        "currency": i.currency,
        "issue_date": iso(i.issue_date),
        "due_date": iso(i.due_date),
        "net_total": dec(i.net_total),
        "tax_total": dec(i.tax_total),
        "gross_total": dec(i.gross_total),
        "amount_paid": dec(i.amount_paid),
        "amount_credited": dec(i.amount_credited),
        "open_amount": dec(i.open_amount),
        "created_at": iso(i.created_at),
    }
    if lines is not None:
        data["lines"] = [
            {
                "id": str(x.pk),
                "order_line_id": str(x.order_line_id),
                "description": x.description,
                "quantity": dec(x.quantity, quantity=True),
                "unit_price": dec(x.unit_price, quantity=True),
                "net": dec(x.net),
                "tax": dec(x.tax),
                "gross": dec(x.gross),
                "qty_credited": dec(x.qty_credited, quantity=True),
            }
            for x in lines
        ]
    return data


def payment(p) -> dict:
    return {
        "id": str(p.pk),
        "number": p.number,
        "customer_id": str(p.customer_id),
        "order_id": uid(p.order_id),
        "method": p.method,
        "amount": dec(p.amount),
        "currency": p.currency,
        "received_on": iso(p.received_on),
        "reference": p.reference,
        "amount_allocated": dec(p.amount_allocated),
        "unallocated": dec(p.unallocated),
        "created_at": iso(p.created_at),
    }


def event(e) -> dict:
    return {
        "id": str(e.pk),
        "type": e.type,
        "entity_type": e.entity_type,
        "entity_id": e.entity_id,
        "payload": e.payload,
        "created_at": iso(e.created_at),
    }

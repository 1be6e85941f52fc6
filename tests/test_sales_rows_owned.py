"""Nothing outside sales writes sales rows: fulfilment and billing move an order's counters,
amounts and version through ``sales.counters``; every other app reads.

A static check of the source (tests excluded): it fails when a module outside ``ordercrm.sales``
assigns a sales counter or amount on an object (``line.qty_invoiced = …``,
``order_line.qty_returned += …``, ``order.version += 1``), calls a writing queryset method on a
sales model (``SalesOrderLine.objects…update(`` / ``bulk_update`` / ``create`` / ``delete``), or
``save()``s an order or order line. The ``lint-imports`` contract beside it keeps
``sales.counters`` and ``sales.locks`` to the apps that may use them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent / "ordercrm"
CHECKED_APPS = (
    "billing",
    "fulfilment",
    "inventory",
    "returns",
    "notifications",
    "api",
    "web",
    "console",
)

# Fields only sales models have: writing one on any object outside sales is a sales write.
SALES_ONLY_FIELDS = {
    "qty_reserved",
    "qty_shipped",
    "qty_invoiced",
    "qty_closed",
    "qty_replaced",
    "amount_invoiced",
}
# Fields other models share (invoice lines are credited, shipment lines returned, invoices
# paid, documents versioned): a sales write when the object is named as an order or its line.
SHARED_FIELDS = {"qty_returned", "qty_credited", "amount_paid", "version", "status"}
ORDERISH = re.compile(r"(^|_)(order|orders|order_line|order_lines|sales_order)$")
WRITING_METHODS = {
    "update",
    "bulk_update",
    "bulk_create",
    "create",
    "get_or_create",
    "update_or_create",
    "delete",
}


def _sales_models() -> set[str]:
    return {model.__name__ for model in apps.get_app_config("sales").get_models()}


def _root_and_names(node: ast.AST) -> tuple[str | None, list[str]]:
    """The name a chain ``a.b(...).c`` starts from and the attributes along it."""
    names = []
    while True:
        if isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Name):
            return node.id, names[::-1]
        else:
            return None, names[::-1]


def _orderish(node: ast.AST) -> bool:
    """``order``, ``locked_order``, ``x.order_line``, ``order_lines[k]``…"""
    if isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Name):
        return bool(ORDERISH.search(node.id))
    if isinstance(node, ast.Attribute):
        return bool(ORDERISH.search(node.attr))
    return False


def sales_writes(source: str, sales_models: set[str]) -> list[str]:
    """Every place in ``source`` that writes a sales row, as ``line: text``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for part in target.elts if isinstance(target, ast.Tuple) else [target]:
                if isinstance(part, ast.Attribute) and (
                    part.attr in SALES_ONLY_FIELDS
                    or (part.attr in SHARED_FIELDS and _orderish(part.value))
                ):
                    found.append(f"{node.lineno}: {ast.unparse(part)} =")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func.attr
            root, names = _root_and_names(node.func.value)
            if method in WRITING_METHODS and root in sales_models:
                found.append(f"{node.lineno}: {root}.{'.'.join(names)}….{method}(")
            elif (method == "save" and _orderish(node.func.value)) or (
                method in {"update", "bulk_update", "delete"}
                and "lines" in names
                and root is not None
                and ORDERISH.search(root)
            ):
                found.append(f"{node.lineno}: {ast.unparse(node.func)}(")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "setattr"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in SALES_ONLY_FIELDS
        ):
            found.append(f"{node.lineno}: setattr(…, {node.args[1].value!r})")
    return found


def _modules():
    for app in CHECKED_APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            yield path


def test_no_app_outside_sales_writes_sales_rows():
    models = _sales_models()
    offences = {
        str(path.relative_to(ROOT.parent)): writes
        for path in _modules()
        if (writes := sales_writes(path.read_text(encoding="utf-8"), models))
    }
    assert offences == {}, "write these through ordercrm.sales.counters (or a sales service)"


@pytest.mark.parametrize(
    "snippet",
    [
        "line.qty_invoiced = 3",
        "by_id[k].qty_reserved += q",
        "order_line.qty_returned += q",
        "x.order_line.qty_credited -= q",
        "order.version += 1",
        "locked_order.amount_paid, other = 1, 2",
        "SalesOrderLine.objects.for_company(c).filter(order=o).update(qty_shipped=1)",
        "SalesOrderLine.objects.for_company(c).bulk_update(lines, ['qty_invoiced'])",
        "SalesOrder.objects.for_company(c).filter(pk=o.pk).update(version=2)",
        "order.save(update_fields=['status'])",
        "order.lines.filter(kind='product').update(qty_closed=0)",
        "setattr(line, 'qty_shipped', 2)",
    ],
)
def test_the_check_sees_each_kind_of_sales_write(snippet):
    assert sales_writes(snippet, _sales_models())


@pytest.mark.parametrize(
    "snippet",
    [
        "invoice_line.qty_credited += q",
        "sl.qty_returned += q",
        "invoice.amount_paid += total",
        "shipment.version += 1",
        "counters.order_lines_invoice(order, {line.pk: q})",
        "SalesOrderLine.objects.for_company(c).filter(order=o).values('pk')",
    ],
)
def test_the_check_lets_other_apps_write_their_own_rows(snippet):
    assert not sales_writes(snippet, _sales_models())

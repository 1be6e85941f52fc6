"""Pasted rows and per-row errors: one parser and one quantity rule for every list input."""

from decimal import Decimal

import pytest
from django.db import models

from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.validation import InvalidValue, RowErrors, parse_pasted_rows

QUANTITY = models.DecimalField(max_digits=18, decimal_places=4)  # a quantity column


def test_each_row_takes_its_own_separator_and_a_header_is_skipped():
    rows = parse_pasted_rows("SKU\tQty\nP0\t3\nP1, 2\nP2;1;9.50\n\nP3 4")
    assert [(r["sku"], r["quantity"], r["unit_price"], r["row"]) for r in rows] == [
        ("P0", "3", "", 2),
        ("P1", "2", "", 3),
        ("P2", "1", "9.50", 4),
        ("P3", "4", "", 6),
    ]


def test_every_bad_row_is_named_at_once_and_nothing_is_returned():
    with pytest.raises(ValidationFailed) as raised:
        parse_pasted_rows("P0 3 extra\nP1 2\nP2", with_price=False)
    assert set(raised.value.details["rows"]) == {"1", "3"}


def test_a_reader_refuses_rows_beside_the_shape_errors():
    def read(row):
        if row["quantity"] == "x":
            raise InvalidValue("not a number")
        return {**row, "quantity": Decimal(row["quantity"])}

    with pytest.raises(ValidationFailed) as raised:
        parse_pasted_rows("sku,qty\nP0,2\nP1,x\nZZZ,1\nP2", read=read)
    assert raised.value.details["rows"] == {
        "3": ["not a number"],
        "5": ["Expected: product code, quantity[, unit price]."],
    }


def test_nothing_pasted_is_an_error_on_row_one():
    with pytest.raises(ValidationFailed) as raised:
        parse_pasted_rows("  \n ")
    assert list(raised.value.details["rows"]) == ["1"]


@pytest.mark.parametrize(
    ("value", "options", "expected"),
    [
        ("2.5", {}, Decimal("2.5")),
        ("0", {}, Decimal(0)),
        ("0", {"allow_zero": False}, None),
        ("-1", {}, None),
        ("-1", {"signed": True}, Decimal(-1)),
        ("0", {"signed": True, "allow_zero": False}, None),
        ("1.00000", {}, None),
        ("abc", {}, None),
        ("1e30", {}, None),
    ],
)
def test_one_quantity_rule(value, options, expected):
    errors = RowErrors()
    assert errors.quantity(0, value, QUANTITY, **options) == expected
    assert bool(errors) is (expected is None)


def test_row_errors_raise_together_in_the_lines_shape():
    errors = RowErrors()
    assert errors.row(0, {}, "not-an-id", "order_line_id", "Unknown line.") is None
    errors.quantity(1, "-2", QUANTITY)
    with pytest.raises(ValidationFailed) as raised:
        errors.raise_if_any()
    assert raised.value.details == {
        "lines": {
            "0": {"order_line_id": ["Unknown line."]},
            "1": {"quantity": ["Enter a quantity greater than zero."]},
        }
    }

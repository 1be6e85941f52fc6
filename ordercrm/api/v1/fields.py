"""Constrained field types of the API's request bodies, derived from the model columns.

``Text(Model, "field")`` is a string without NUL and at most the column's ``max_length``;
``Dec(Model, "field")`` a decimal string with at most the column's digits before the point
and its decimals after; ``In`` is the base of every request body and refuses unknown fields
(a typo in an integration is a 422 naming the field, not silently ignored). The same bounds
are enforced by the services through ``core.validation`` for the web, imports and the CLI.
"""

from __future__ import annotations

from typing import Annotated

from ninja import Schema
from pydantic import ConfigDict, Field

NO_NUL = r"^[^\x00]*$"
ID = Annotated[str, Field(max_length=64, pattern=NO_NUL)]
DATE = Annotated[str, Field(max_length=32, pattern=NO_NUL, examples=["2026-12-15"])]
SHORT = Annotated[str, Field(max_length=100, pattern=NO_NUL)]


class In(Schema):
    """Base of request bodies: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


def _field(model, name):
    return model._meta.get_field(name)


def Text(model, name: str):
    length = _field(model, name).max_length
    return Annotated[str, Field(max_length=length, pattern=NO_NUL)]


def Dec(model, name: str):
    field = _field(model, name)
    whole = field.max_digits - field.decimal_places
    places = field.decimal_places
    return Annotated[
        str,
        Field(
            pattern=rf"^[+-]?[0-9]{{1,{whole}}}(\.[0-9]{{0,{places}}}0*)?$",
            max_length=whole + places + 40,
            description=f"A decimal string: at most {whole} digits before the point, "
            f"{places} after.",
        ),
    ]

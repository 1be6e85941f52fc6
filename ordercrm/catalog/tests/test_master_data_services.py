"""Units (with their names in three languages), categories and tax rates."""

from decimal import Decimal

import pytest
from django.utils import translation

from ordercrm.accounts.roles import Role
from ordercrm.catalog import services
from ordercrm.catalog.models import Category, TaxRate, Unit
from ordercrm.core.exceptions import PermissionDenied, ValidationFailed


def test_seeded_units_are_named_in_each_language(company):
    pcs = Unit.objects.for_company(company).get(code="pcs")
    kg = Unit.objects.for_company(company).get(code="kg")
    assert [pcs.label("en"), pcs.label("zh-hans"), pcs.label("zh-hant")] == ["pcs", "件", "件"]
    assert [kg.label("en"), kg.label("zh-hans"), kg.label("zh-hant")] == ["kg", "千克", "公斤"]
    with translation.override("zh-hans"):
        assert str(kg) == "千克"


def test_a_unit_missing_one_chinese_name_falls_back_to_the_other_then_english(company, admin):
    roll = services.unit_create(
        company=company, actor=admin, code="roll", name="roll", name_zh_hans="卷"
    )
    bare = services.unit_create(company=company, actor=admin, code="pair", name="pair")
    assert (roll.label("zh-hant"), bare.label("zh-hans")) == ("卷", "pair")


def test_unit_refusals_name_each_field_and_change_nothing(company, admin):
    before = Unit.objects.for_company(company).count()
    with pytest.raises(ValidationFailed) as raised:
        services.unit_create(company=company, actor=admin, code="PCS", name="", decimals=7)
    assert set(raised.value.details["fields"]) == {"code", "name", "decimals"}
    assert Unit.objects.for_company(company).count() == before


def test_unit_update_renames_in_one_language(company, admin):
    box = Unit.objects.for_company(company).get(code="box")
    services.unit_update(unit=box, actor=admin, name_zh_hant="盒")
    box.refresh_from_db()
    assert (box.name, box.name_zh_hans, box.name_zh_hant) == ("box", "箱", "盒")


def test_category_create_update_and_no_loops(company, admin):
    tools = services.category_create(company=company, actor=admin, name="Tools")
    drills = services.category_create(company=company, actor=admin, name="Drills", parent=tools)
    with pytest.raises(ValidationFailed) as raised:
        services.category_update(category=tools, actor=admin, parent=drills)
    assert set(raised.value.details["fields"]) == {"parent"}
    with pytest.raises(ValidationFailed) as raised:
        services.category_create(company=company, actor=admin, name="drills", parent=tools)
    assert set(raised.value.details["fields"]) == {"name"}
    services.category_update(category=drills, actor=admin, name="Drills & drivers", parent=None)
    drills.refresh_from_db()
    tools.refresh_from_db()
    assert (drills.name, drills.parent_id, tools.parent_id) == ("Drills & drivers", None, None)


def test_categories_are_the_catalog_editors(company, make_user):
    rep = make_user(Role.SALES_REP, company)
    with pytest.raises(PermissionDenied):
        services.category_create(company=company, actor=rep, name="Mine")
    assert not Category.objects.for_company(company).exists()


def test_tax_rate_update_moves_the_default_and_keeps_it_active(company, admin):
    nine = TaxRate.objects.for_company(company).get(name="VAT 9%")
    services.tax_rate_update(tax_rate=nine, actor=admin, is_default=True, rate="9.5")
    defaults = list(
        TaxRate.objects.for_company(company).filter(is_default=True).values_list("name", "rate")
    )
    assert defaults == [("VAT 9%", Decimal("9.5"))]
    with pytest.raises(ValidationFailed) as raised:
        services.tax_rate_update(tax_rate=nine, actor=admin, is_active=False)
    assert set(raised.value.details["fields"]) == {"is_active"}
    with pytest.raises(ValidationFailed) as raised:
        services.tax_rate_update(tax_rate=nine, actor=admin, rate="100")
    assert set(raised.value.details["fields"]) == {"rate"}
    nine.refresh_from_db()
    assert (nine.rate, nine.is_active) == (Decimal("9.5"), True)

"""product_kit_set: a kit's components, its rules and refusals (nothing changed)."""

from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.catalog import services
from ordercrm.catalog.models import KitComponent, Product
from ordercrm.catalog.selectors import kit_components
from ordercrm.core.exceptions import PermissionDenied, ValidationFailed
from ordercrm.core.models import AuditEntry


@pytest.fixture
def a(company, make_product):
    return make_product(company, sku="A")


@pytest.fixture
def b(company, make_product):
    return make_product(company, sku="B")


@pytest.fixture
def kit(company, make_product):
    return make_product(company, sku="K", list_price=Decimal("99"))


def components(product):
    return [(c.component.sku, c.quantity) for c in kit_components(product)]


def refused(kit, admin, rows, **kwargs):
    with pytest.raises(ValidationFailed) as raised:
        services.product_kit_set(product=kit, actor=admin, components=rows, **kwargs)
    return raised.value


def unchanged(kit, before_version=1):
    kit.refresh_from_db()
    assert (kit.is_kit, kit.version) == (False, before_version)
    assert not KitComponent.objects.for_company(kit.company_id).filter(kit=kit).exists()


def test_a_kit_is_made_of_components_and_replaced_whole(company, admin, kit, a, b):
    made = services.product_kit_set(
        product=kit,
        actor=admin,
        components=[{"product": a, "quantity": "5"}, {"sku": "B", "quantity": "2.5"}],
        version=1,
    )
    assert (made.is_kit, made.version) == (True, 2)
    assert components(made) == [("A", 5), ("B", Decimal("2.5"))]
    replaced = services.product_kit_set(
        product=kit, actor=admin, components=[{"product_id": str(b.pk), "quantity": "1"}]
    )
    assert components(replaced) == [("B", 1)]
    actions = AuditEntry.objects.for_company(company).filter(entity_id=str(kit.pk))
    assert list(actions.values_list("action", flat=True)) == ["create", "kit_set", "kit_set"]


def test_the_same_components_write_nothing(company, admin, kit, a):
    rows = [{"product": a, "quantity": "5"}]
    services.product_kit_set(product=kit, actor=admin, components=rows)
    again = services.product_kit_set(product=kit, actor=admin, components=rows)
    assert again.version == 2


def test_no_components_make_an_ordinary_product_again(admin, kit, a):
    services.product_kit_set(product=kit, actor=admin, components=[{"product": a, "quantity": 1}])
    plain = services.product_kit_set(product=kit, actor=admin, components=[])
    assert (plain.is_kit, components(plain)) == (False, [])


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"sku": "K", "quantity": "1"}, "cannot contain itself"),
        ({"sku": "NOPE", "quantity": "1"}, "Unknown product"),
        ({"sku": "A", "quantity": "0"}, "greater than zero"),
        ({"sku": "A", "quantity": "-2"}, "greater than zero"),
        ({"sku": "A", "quantity": "x"}, ""),
    ],
)
def test_a_bad_component_is_refused_on_its_row(admin, kit, a, b, row, message):
    error = refused(kit, admin, [{"sku": "B", "quantity": "1"}, row])
    assert error.code == "core.validation_failed"
    [(index, fields)] = error.details["lines"].items()
    assert index == "1"
    assert message in " ".join(p for ps in fields.values() for p in ps)
    unchanged(kit)


def test_a_component_named_twice_is_refused(admin, kit, a):
    error = refused(kit, admin, [{"sku": "A", "quantity": "1"}, {"product": a, "quantity": "2"}])
    assert error.details["lines"]["1"]["product"] == ["This component is named twice."]
    unchanged(kit)


def test_a_kit_cannot_contain_a_kit_nor_be_a_component(admin, company, make_product, kit, a):
    services.product_kit_set(product=kit, actor=admin, components=[{"product": a, "quantity": 2}])
    outer = make_product(company, sku="OUTER")
    error = refused(outer, admin, [{"product": kit, "quantity": "1"}])
    assert error.details["lines"]["0"]["product"] == ["K is a kit: a kit cannot contain a kit."]
    unchanged(outer)
    # A is a component of K: it cannot become a kit (that would nest)
    error = refused(a, admin, [{"product": outer, "quantity": "1"}])
    assert error.code == "catalog.kit_nested"
    assert error.details == {"kits": ["K"]}
    unchanged(a)


def test_services_are_neither_kits_nor_components(admin, company, make_product, kit):
    service = make_product(company, sku="SVC", is_stock_tracked=False)
    error = refused(kit, admin, [{"product": service, "quantity": "1"}])
    assert "service" in error.details["lines"]["0"]["product"][0]
    unchanged(kit)
    error = refused(service, admin, [{"product": kit, "quantity": "1"}])
    assert error.code == "catalog.kit_not_stock_tracked"


def test_a_component_of_another_company_is_unknown(admin, kit, other_company, make_product):
    foreign = make_product(other_company, sku="FOREIGN")
    error = refused(kit, admin, [{"product_id": str(foreign.pk), "quantity": "1"}])
    assert error.details["lines"]["0"]["product"] == ["Unknown product."]
    unchanged(kit)


def test_a_stale_version_is_refused(admin, kit, a):
    with pytest.raises(services.StaleVersion):
        services.product_kit_set(
            product=kit, actor=admin, components=[{"product": a, "quantity": 1}], version=7
        )
    unchanged(kit)


def test_the_same_components_again_at_an_old_version_change_nothing(admin, kit, a):
    """A double click or Back and resubmit posts what was just saved, at the version the page
    was loaded at: not a conflict, and nothing is written."""
    saved = services.product_kit_set(
        product=kit, actor=admin, components=[{"product": a, "quantity": 2}], version=kit.version
    )
    again = services.product_kit_set(
        product=kit, actor=admin, components=[{"product": a, "quantity": 2}], version=kit.version
    )
    assert again.version == saved.version
    with pytest.raises(services.StaleVersion):
        services.product_kit_set(
            product=kit,
            actor=admin,
            components=[{"product": a, "quantity": 3}],
            version=kit.version,
        )


def test_only_catalog_editors_define_kits(make_user, company, kit, a):
    rep = make_user(Role.SALES_REP, company, username="kit-rep")
    with pytest.raises(PermissionDenied):
        services.product_kit_set(product=kit, actor=rep, components=[{"product": a, "quantity": 1}])
    unchanged(kit)


def test_a_kit_and_its_components_stay_stock_tracked(admin, kit, a):
    services.product_kit_set(product=kit, actor=admin, components=[{"product": a, "quantity": 1}])
    for product in (kit, a):
        with pytest.raises(ValidationFailed) as raised:
            services.product_update(product=product, actor=admin, is_stock_tracked=False)
        assert "is_stock_tracked" in raised.value.details["fields"]
        assert Product.objects.for_company(product.company_id).get(pk=product.pk).is_stock_tracked

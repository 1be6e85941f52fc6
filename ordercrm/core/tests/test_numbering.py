import threading

import pytest
from django.db import connection, transaction

from ordercrm.core.models import NumberSequence
from ordercrm.core.numbering import next_number, next_value


def test_numbers_are_consecutive_per_company_type_and_year(company, other_company):
    with transaction.atomic():
        assert next_number(company=company, prefix="SO", year=2026) == "SO-2026-000001"
        assert next_number(company=company, prefix="SO", year=2026) == "SO-2026-000002"
        assert next_number(company=company, prefix="SO", year=2027) == "SO-2027-000001"
        assert next_number(company=company, prefix="INV", year=2026) == "INV-2026-000001"
        assert next_number(company=other_company, prefix="SO", year=2026) == "SO-2026-000001"


def test_a_rolled_back_document_gives_its_number_back(company):
    with transaction.atomic():
        assert next_value(company=company, key="SO", year=2026) == 1

    def save_a_failing_document():
        with transaction.atomic():
            assert next_value(company=company, key="SO", year=2026) == 2
            raise RuntimeError("the document failed to save")

    with pytest.raises(RuntimeError, match="failed to save"):
        save_a_failing_document()
    with transaction.atomic():
        assert next_value(company=company, key="SO", year=2026) == 2


@pytest.mark.django_db(transaction=True)
def test_numbering_outside_a_transaction_is_refused(company):
    with pytest.raises(RuntimeError, match="inside"):
        next_value(company=company, key="SO", year=2026)
    assert not NumberSequence.objects.for_company(company).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_threads_taking_fifty_numbers_each_get_400_consecutive_numbers(make_company):
    company = make_company("numbers")
    taken: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def take_fifty():
        try:
            start.wait()
            for _ in range(50):
                with transaction.atomic():
                    taken.append(next_value(company=company, key="SO", year=2026))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=take_fifty) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(taken) == list(range(1, 401))
    assert NumberSequence.objects.for_company(company).get(key="SO", year=2026).last_value == 400

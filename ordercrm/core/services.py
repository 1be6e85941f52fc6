"""Write use cases of the kernel: companies."""

from __future__ import annotations

from django.db import transaction

from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.models import Company
from ordercrm.core.signals import company_created


@transaction.atomic
def company_create(*, code: str, name: str, default_rules: bool = True, **values) -> Company:
    """Create a company; every app adds its defaults in the same transaction.

    ``default_rules=False`` leaves out the default approval rules (sales), for a company whose
    administrator sets up every rule by hand (and for tests of the rules themselves).
    Raises ``core.company_exists`` if the code is taken.
    """
    if Company.objects.filter(code=code).exists():
        raise ValidationFailed(code="core.company_exists", details={"fields": {"code": ["exists"]}})
    company = Company.objects.create(code=code, name=name, **values)
    company_created.send(sender=Company, company=company, default_rules=default_rules)
    return company

"""Background work of the habits: fitting the CLV models and computing the demand forecasts
take seconds (scipy, statsmodels), so a page never waits for them: it asks for them here and
shows them once ``ordercrm worker`` has put them in the cache."""

from __future__ import annotations

import datetime

from django_tasks import task


@task()
def fit_clv_models(company_id: str, day: str) -> bool:
    from ordercrm.analytics.habits import selectors
    from ordercrm.core.models import Company

    company = Company.objects.get(pk=company_id)
    return selectors.clv_models(company, datetime.date.fromisoformat(day)) is not None


@task()
def compute_demand(company_id: str, user_id: str, day: str) -> int:
    from django.contrib.auth import get_user_model

    from ordercrm.accounts.access import access_for
    from ordercrm.analytics.habits import selectors
    from ordercrm.core.models import Company

    access = access_for(
        get_user_model().objects.get(pk=user_id), Company.objects.get(pk=company_id)
    )
    report, _as_of = selectors.demand_report(access, today=datetime.date.fromisoformat(day))
    return len(report["products"])

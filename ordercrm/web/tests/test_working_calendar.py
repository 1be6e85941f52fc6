"""The working-calendar editor (issue 18): reachable from Settings; the year's China holidays
and 调休 working days with the company's overrides; a day or a range set as holiday or
working day; a China day overridden with one click and the override removed; the SLA
calendar follows it. In English and Simplified Chinese."""

import datetime

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.core.exceptions import DomainError
from ordercrm.service import selectors, services, sla
from ordercrm.service.models import CalendarDay

URL = "/service/settings/"


def days(company):
    return dict(CalendarDay.objects.for_company(company).values_list("date", "is_working"))


def test_settings_links_to_the_calendar(client, admin, make_user, company):
    client.force_login(admin)
    html = client.get("/settings/").content.decode()
    assert 'id="settings-calendar"' in html
    client.force_login(make_user(Role.SUPPORT, company, username="agent-w"))
    assert client.get(URL).status_code == 403


def test_the_year_shows_china_days_and_company_overrides(client, admin, company):
    client.force_login(admin)
    html = client.get(f"{URL}?year=2026").content.decode()
    # 2026-02-17 Spring Festival (Tuesday off); 2026-02-14 a 调休 Saturday worked
    assert 'id="day-2026-02-17"' in html
    assert 'id="day-2026-02-14"' in html
    assert "Spring Festival" in html
    assert "Make-up working day" in html
    rows = {row.date: row for row in selectors.calendar_year(company, 2026)[0]}
    assert rows[datetime.date(2026, 2, 17)].working is False
    assert rows[datetime.date(2026, 2, 14)].working is True
    # the company works on Spring Festival's Tuesday: one click, and the SLA calendar agrees
    response = client.post(
        URL, {"form": "day", "date": "2026-02-17", "is_working": "1", "year": "2026"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?year=2026#calendar")
    assert days(company) == {datetime.date(2026, 2, 17): True}
    assert sla.calendar_for(company).is_working_day(datetime.date(2026, 2, 17))
    html = client.get(f"{URL}?year=2026").content.decode()
    row = html[html.index('id="day-2026-02-17"') :]
    row = row[: row.index("</tr>")]
    assert "Remove" in row
    assert "Working day" in row
    client.post(URL, {"form": "day_remove", "date": "2026-02-17", "year": "2026"})
    assert days(company) == {}
    assert not sla.calendar_for(company).is_working_day(datetime.date(2026, 2, 17))


def test_a_company_holiday_week_in_one_go(client, admin, company):
    client.force_login(admin)
    response = client.post(
        URL,
        {
            "form": "day",
            "date": "2026-08-03",
            "until": "2026-08-07",
            "is_working": "0",
            "name": "Summer break",
        },
    )
    assert response.status_code == 302
    assert sorted(days(company)) == [datetime.date(2026, 8, d) for d in range(3, 8)]
    assert not any(days(company).values())
    calendar = sla.calendar_for(company)
    assert not calendar.is_working_day(datetime.date(2026, 8, 5))
    assert calendar.is_working_day(datetime.date(2026, 8, 10))
    html = client.get(f"{URL}?year=2026").content.decode()
    assert html.count("Summer break") == 5


@pytest.mark.parametrize(
    ("until", "field"),
    [("2026-08-01", "until"), ("2027-08-05", "until"), ("soon", "until")],
)
def test_a_bad_range_is_refused_and_nothing_is_written(client, admin, company, until, field):
    with pytest.raises(DomainError) as refused:
        services.calendar_day_set(
            company=company, actor=admin, date="2026-08-03", until=until, is_working=False
        )
    assert field in refused.value.details["fields"]
    client.force_login(admin)
    response = client.post(
        URL, {"form": "day", "date": "2026-08-03", "until": until, "is_working": "0"}
    )
    assert response.status_code == 422
    assert days(company) == {}


def test_the_editor_in_simplified_chinese(client, admin, company):
    admin.language = "zh-hans"
    admin.save(update_fields=["language"])
    client.force_login(admin)
    html = client.get(f"{URL}?year=2026", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'id="day-2026-02-17"' in html
    assert "春节" in html


def _hours(company):
    from ordercrm.service.models import WorkingHours

    return [
        (r.weekday, f"{r.start:%H:%M}-{r.end:%H:%M}")
        for r in WorkingHours.objects.for_company(company).order_by("weekday", "start")
    ]


def test_the_weekly_hours_are_edited_and_the_sla_clock_counts_them(client, admin, company):
    client.force_login(admin)
    week = {f"day_{d}": "" for d in range(7)}
    week.update(day_0="08:00-12:00, 13:00-17:00", day_5="09:00-12:00")

    saved = client.post(URL, {"form": "hours", **week})

    assert saved.status_code == 302
    assert _hours(company) == [(0, "08:00-12:00"), (0, "13:00-17:00"), (5, "09:00-12:00")]
    page = client.get(URL).content.decode()
    assert 'value="08:00-12:00, 13:00-17:00"' in page
    calendar = sla.calendar_for(company)
    # Monday 2026-11-30 11:00 Shanghai + 2 working hours: 12:00 lunch, so 14:00
    start = datetime.datetime(2026, 11, 30, 3, 0, tzinfo=datetime.UTC)
    assert calendar.add(start, 120) == datetime.datetime(2026, 11, 30, 6, 0, tzinfo=datetime.UTC)
    assert not calendar.is_working_day(datetime.date(2026, 12, 1))  # a Tuesday, now not worked


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("9-12", "09:00-12:00"),
        ("12:00-09:00", "end after it starts"),
        ("09:00-12:00, 11:00-13:00", "must not overlap"),
    ],
)
def test_bad_weekly_hours_are_refused_where_typed_and_nothing_changes(
    client, admin, company, typed, message
):
    before = _hours(company)
    client.force_login(admin)

    refused = client.post(URL, {"form": "hours", "day_2": typed})

    assert refused.status_code == 422
    html = refused.content.decode()
    assert message in html
    assert f'value="{typed}"' in html  # what was typed is kept
    assert "day_2:" not in html  # the reason sits beside Wednesday's box, in words
    assert _hours(company) == before


def test_a_week_without_hours_is_refused(admin, company):
    with pytest.raises(DomainError):
        services.working_hours_set(company=company, actor=admin, week={})

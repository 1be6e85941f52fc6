"""The working calendar (pure): weekly hours, a weekend, China's National Day, a 调休
Saturday, the company's own days, and the years the package does not know."""

import datetime

from ordercrm.service.working_time import WorkingCalendar

TZ = datetime.timezone(datetime.timedelta(hours=8))


def at(y, m, d, hh, mm=0):
    return datetime.datetime(y, m, d, hh, mm, tzinfo=TZ)


def test_a_weekend_is_skipped():
    calendar = WorkingCalendar()
    # Friday 17:00 + 8 working hours: 1 h Friday, Monday 9–12 and 13–17
    assert calendar.add(at(2026, 11, 6, 17), 8 * 60) == at(2026, 11, 9, 17)
    assert calendar.minutes_between(at(2026, 11, 6, 17), at(2026, 11, 9, 10)) == 120


def test_lunch_and_after_hours_do_not_count():
    calendar = WorkingCalendar()
    assert calendar.add(at(2026, 11, 9, 11), 120) == at(2026, 11, 9, 14)
    assert calendar.add(at(2026, 11, 9, 20), 30) == at(2026, 11, 10, 9, 30)


def test_national_day_holidays_are_skipped():
    calendar = WorkingCalendar()
    # Wednesday 30 September 17:00: 1 h, then 1–7 October are the holiday
    assert calendar.add(at(2026, 9, 30, 17), 8 * 60) == at(2026, 10, 8, 17)
    assert not calendar.is_working_day(datetime.date(2026, 10, 5))  # a Monday


def test_a_tiaoxiu_saturday_is_worked():
    calendar = WorkingCalendar()
    assert calendar.is_working_day(datetime.date(2026, 10, 10))  # Saturday, 调休
    assert calendar.add(at(2026, 10, 9, 17), 4 * 60) == at(2026, 10, 10, 12)
    # without China's calendar the Saturday is a weekend day
    plain = WorkingCalendar(use_china=False)
    assert plain.add(at(2026, 10, 9, 17), 4 * 60) == at(2026, 10, 12, 12)


def test_company_days_override_everything():
    calendar = WorkingCalendar(
        days={datetime.date(2026, 10, 8): False, datetime.date(2026, 11, 7): True}
    )
    assert calendar.add(at(2026, 9, 30, 17), 8 * 60) == at(2026, 10, 9, 17)
    # a company-made working Saturday takes the standard day's hours
    assert calendar.add(at(2026, 11, 6, 18), 60) == at(2026, 11, 7, 10)


def test_years_the_package_does_not_know_follow_the_week():
    calendar = WorkingCalendar()
    # 2031-01-03 is a Friday
    assert calendar.add(datetime.datetime(2031, 1, 3, 17, tzinfo=TZ), 120) == datetime.datetime(
        2031, 1, 6, 10, tzinfo=TZ
    )


def test_no_working_time_within_the_horizon_is_none_not_a_hang():
    import pytest

    from ordercrm.service.working_time import NoWorkingTime

    with pytest.raises(NoWorkingTime):
        WorkingCalendar(week={}, use_china=False).add(at(2026, 11, 9, 9), 60)

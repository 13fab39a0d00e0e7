"""The admin's settings: deadlines, reminder days and holidays; checked, stored, and in force
for steps taken after the change (never for due times already set)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from store.db import Database
from store.models import Claim
from store.timerules import settings, timecache
from store.timerules.models import Setting
from store.transitions import transition
from workflow.clock import FrozenClock
from workflow.errors import TransitionRefused, ValidationFailed
from workflow.machines import Deadline
from workflow.timerules import TimeRules, official_calendar_knows

from .builders import County, county, export_claim, person
from .page_support import csrf_of, sign_in

# These tests live on Saturday 28 November 2026 (the ``c`` fixture sets the clock); the next
# working days are Mon 30 Nov, Tue 1, Wed 2, Thu 3, Fri 4 Dec, then Mon 7 Dec.
SATURDAY = datetime(2026, 11, 28, 10, 0)


def _end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59)


@pytest.fixture
def c(db: Database, clock: FrozenClock) -> County:
    clock.current = SATURDAY
    return county(db)


def _rules(db: Database) -> TimeRules:
    with db.sessions() as s:
        return settings.current(db, s)


def _rules_in_force(db: Database) -> TimeRules:
    with db.sessions() as s:
        return timecache.time_rules(db, s)


def _stored(db: Database) -> dict[str, object]:
    with db.sessions() as s:
        return dict(s.execute(select(Setting.key, Setting.value)).all())


# --- the store ---------------------------------------------------------------------------


def test_without_settings_the_tables_defaults_apply(db):
    rules = _rules_in_force(db)
    assert rules.deadlines["claim"]["submitted"] == Deadline(working_days=5)
    assert rules.deadlines["claim"]["village_verified"] == Deadline(working_days=10)
    assert rules.deadlines["claim"]["hr_reviewed"] == Deadline(working_days=15)
    assert rules.deadlines["claim"]["returned"] == Deadline(calendar_days=30)
    assert rules.deadlines["contract"]["submitted"] == Deadline(working_days=5)
    assert rules.reminder_days == (30, 7)
    assert _rules(db) == rules


def test_a_changed_deadline_is_in_force_at_once_despite_the_cache(db, admin):
    assert _rules_in_force(db).deadlines["claim"]["submitted"] == Deadline(working_days=5)
    settings.set_deadlines(db, admin, {"claim": {"submitted": "3", "returned": 20}})
    rules = _rules_in_force(db)
    assert rules.deadlines["claim"]["submitted"] == Deadline(working_days=3)
    assert rules.deadlines["claim"]["returned"] == Deadline(calendar_days=20)  # its own unit
    assert rules.deadlines["contract"]["submitted"] == Deadline(working_days=5)
    with db.sessions() as s:
        row = s.get(Setting, "deadlines")
        assert row is not None and row.updated_by == admin.user_id


def test_a_later_change_keeps_the_earlier_ones(db, admin):
    settings.set_deadlines(db, admin, {"claim": {"submitted": 3}})
    settings.set_deadlines(db, admin, {"contract": {"village_verified": 8}})
    rules = _rules(db)
    assert rules.deadlines["claim"]["submitted"] == Deadline(working_days=3)
    assert rules.deadlines["contract"]["village_verified"] == Deadline(working_days=8)


@pytest.mark.parametrize(
    ("workflow", "state", "days"),
    [
        ("claim", "submitted", 0),
        ("claim", "submitted", 400),
        ("claim", "submitted", "abc"),
        ("claim", "submitted", ""),
        ("claim", "submitted", "2.5"),
        ("claim", "submitted", "1_0"),  # int() would read 10
        ("claim", "submitted", "²"),
        ("claim", "submitted", True),
        ("claim", "finance_paid", 3),  # a state without a deadline
        ("contract", "active", 3),
        ("nonsense", "submitted", 3),
    ],
)
def test_a_bad_deadline_names_its_field_and_nothing_is_stored(db, admin, workflow, state, days):
    with pytest.raises(ValidationFailed) as err:
        settings.set_deadlines(db, admin, {"contract": {"submitted": 7}, workflow: {state: days}})
    assert err.value.details["field"] == f"{workflow}.{state}"
    assert "期限" in err.value.message
    assert _stored(db) == {}
    assert _rules_in_force(db).deadlines["contract"]["submitted"] == Deadline(working_days=5)


def test_full_width_digits_are_read():
    from workflow.timerules import check_deadline

    assert check_deadline("claim", "submitted", " ７ ") == Deadline(working_days=7)


@pytest.mark.parametrize(
    ("raw", "days"),
    [
        ("30, 7", (30, 7)),
        ("30，7", (30, 7)),
        ("7、30", (30, 7)),
        ("30 7 30", (30, 7)),  # a day given twice counts once
        ("１５；３", (15, 3)),
        ([7, "14"], (14, 7)),
        ("90,1", (90, 1)),
    ],
)
def test_reminder_days_are_read_in_any_usual_writing(db, admin, raw, days):
    assert settings.set_reminder_days(db, admin, raw).reminder_days == days
    assert _rules_in_force(db).reminder_days == days


@pytest.mark.parametrize("raw", ["0", "91", "30, abc", "", " ， ", "1,2,3,4,5,6", "-7", "²", "7.5"])
def test_bad_reminder_days_are_refused_and_the_old_ones_stay(db, admin, raw):
    settings.set_reminder_days(db, admin, "14")
    with pytest.raises(ValidationFailed) as err:
        settings.set_reminder_days(db, admin, raw)
    assert err.value.details["field"] == "reminder_days"
    assert _rules_in_force(db).reminder_days == (14,)


def test_damaged_stored_settings_fall_back_to_the_defaults():
    rules = TimeRules.from_settings(
        {
            "deadlines": {
                "claim": {
                    "submitted": {"working_days": 0},
                    "village_verified": "x",
                    "returned": {"working_days": 12},
                },
                "nonsense": {"submitted": {"working_days": 3}},
            },
            "reminder_days": [0, 500],
        }
    )
    assert rules.deadlines["claim"]["submitted"] == Deadline(working_days=5)
    assert rules.deadlines["claim"]["village_verified"] == Deadline(working_days=10)
    # A stored number is always read in the table's unit.
    assert rules.deadlines["claim"]["returned"] == Deadline(calendar_days=12)
    assert "nonsense" not in rules.deadlines
    assert rules.reminder_days == (30, 7)


def test_calendar_days_are_added_replaced_listed_by_year_and_removed(db, admin):
    settings.set_calendar_day(db, admin, date(2027, 2, 10), workday=False, note=" 春节 ")
    settings.set_calendar_day(db, admin, date(2027, 2, 20), workday=True, note="春节调休")
    settings.set_calendar_day(db, admin, date(2028, 1, 1), workday=False, note="元旦")
    settings.set_calendar_day(db, admin, date(2027, 2, 10), workday=True, note="改为补班")
    with db.sessions() as s:
        days = settings.calendar_days(s, 2027)
    assert [(d.day, d.workday, d.note) for d in days] == [
        (date(2027, 2, 10), True, "改为补班"),
        (date(2027, 2, 20), True, "春节调休"),
    ]
    assert settings.remove_calendar_day(db, admin, date(2027, 2, 10)) is True
    assert settings.remove_calendar_day(db, admin, date(2027, 2, 10)) is False
    with db.sessions() as s:
        assert [d.day for d in settings.calendar_days(s)] == [date(2027, 2, 20), date(2028, 1, 1)]


@pytest.mark.parametrize(
    ("day", "note", "field"),
    [
        (date(2027, 5, 1), "很" * 101, "note"),
        (date(1999, 10, 1), "", "day"),
    ],
)
def test_a_bad_calendar_day_is_refused(db, admin, day, note, field):
    with pytest.raises(ValidationFailed) as err:
        settings.set_calendar_day(db, admin, day, workday=False, note=note)
    assert err.value.details["field"] == field
    with db.sessions() as s:
        assert settings.calendar_days(s) == []


@pytest.mark.parametrize(
    "change",
    [
        lambda db, a: settings.set_deadlines(db, a, {"claim": {"submitted": 3}}),
        lambda db, a: settings.set_reminder_days(db, a, "14"),
        lambda db, a: settings.set_calendar_day(db, a, date(2027, 2, 10), False, "春节"),
        lambda db, a: settings.remove_calendar_day(db, a, date(2027, 2, 10)),
    ],
    ids=["deadlines", "reminders", "add_day", "remove_day"],
)
@pytest.mark.parametrize("who", ["hr", "finance", "verifier", "agent"])
def test_only_the_admin_changes_settings(db, c, change, who):
    with pytest.raises(TransitionRefused) as err:
        change(db, getattr(c, who))
    assert err.value.code == "settings.admin_only"
    assert _stored(db) == {}
    with db.sessions() as s:
        assert settings.calendar_days(s) == []


def test_the_official_calendar_is_known_for_past_years_not_for_far_ones():
    assert official_calendar_knows(2025)
    assert not official_calendar_knows(2100)


# --- changes apply to new steps ----------------------------------------------------------


def test_a_shorter_deadline_applies_to_claims_submitted_after_it(db, c, admin, clock):
    before = export_claim(db, c, person(db, c.village))
    assert before.due_at == _end_of(date(2026, 12, 4))  # 5 working days

    settings.set_deadlines(db, admin, {"claim": {"submitted": 3}})
    after = export_claim(db, c, person(db, c.village))
    assert after.due_at == _end_of(date(2026, 12, 2))  # 3 working days

    with db.sessions() as s:
        kept = s.get(Claim, before.id)
        assert kept is not None and kept.due_at == _end_of(date(2026, 12, 4))


def test_a_changed_deadline_applies_when_a_case_enters_the_state(db, c, admin, clock):
    claim = export_claim(db, c, person(db, c.village))
    settings.set_deadlines(db, admin, {"claim": {"village_verified": 2}})
    clock.advance(days=2)  # Monday 30 November
    verified = transition(db, "claim", claim.id, "verify", c.verifier)
    assert verified.due_at == _end_of(date(2026, 12, 2))


def test_an_admin_holiday_pushes_new_due_times_by_a_day(db, c, admin):
    first = export_claim(db, c, person(db, c.village))  # also fills the calendar cache
    assert first.due_at == _end_of(date(2026, 12, 4))

    settings.set_calendar_day(db, admin, date(2026, 12, 1), workday=False, note="县里放假")
    pushed = export_claim(db, c, person(db, c.village))
    assert pushed.due_at == _end_of(date(2026, 12, 7))  # over the weekend to Monday

    settings.remove_calendar_day(db, admin, date(2026, 12, 1))
    assert export_claim(db, c, person(db, c.village)).due_at == _end_of(date(2026, 12, 4))


def test_a_make_up_working_day_pulls_a_due_time_in(db, c, admin):
    settings.set_calendar_day(db, admin, date(2026, 11, 29), workday=True, note="补班")
    assert export_claim(db, c, person(db, c.village)).due_at == _end_of(date(2026, 12, 3))


# --- the page ----------------------------------------------------------------------------

PAGE = "/admin/settings"


def _form(**overrides: str) -> dict[str, str]:
    """The deadlines form as the page sends it: every row, with the defaults."""
    fields = {
        "claim.submitted": "5",
        "claim.village_verified": "10",
        "claim.hr_reviewed": "15",
        "claim.returned": "30",
        "contract.submitted": "5",
        "contract.village_verified": "10",
        "contract.returned": "30",
    }
    return {**fields, **overrides}


def test_the_admin_sees_every_deadline_with_its_default_and_unit(db, admin):
    page = sign_in(db, "admin1").get(PAGE)
    assert page.status_code == 200
    html = page.text
    assert "补贴申请" in html and "公益性岗位协议" in html
    for field in _form():
        assert f'name="{field}"' in html
    assert 'name="claim.finance_paid"' not in html
    assert "已提交" in html and "村级已核实" in html and "已退回" in html
    assert "工作日" in html and "自然日" in html
    assert 'value="30, 7"' in html
    assert 'data-official="known"' in html  # 2026, the test clock's year
    assert 'href="/admin/settings"' in html  # the nav link


def test_the_admin_changes_a_deadline_on_the_page(db, admin):
    browser = sign_in(db, "admin1")
    r = browser.submit(PAGE, f"{PAGE}/deadlines", _form(**{"claim.submitted": "3"}))
    assert r.status_code == 303
    assert r.headers["location"] == f"{PAGE}?done=deadlines"
    assert _rules_in_force(db).deadlines["claim"]["submitted"] == Deadline(working_days=3)
    page = browser.get(r.headers["location"]).text
    assert "办理期限已保存" in page
    assert 'name="claim.submitted" id="f-claim.submitted" value="3"' in page


def test_bad_input_shows_the_error_and_nothing_changes(db, admin):
    browser = sign_in(db, "admin1")
    r = browser.submit(
        PAGE,
        f"{PAGE}/deadlines",
        _form(**{"claim.submitted": "abc", "contract.submitted": "7", "claim.returned": "0"}),
    )
    assert r.status_code == 422
    assert "“已提交”的期限须为整数天数" in r.text
    assert "“已退回”的期限须在1到365天之间" in r.text
    assert 'value="abc"' in r.text  # what was typed, to correct
    assert 'aria-invalid="true"' in r.text
    rules = _rules_in_force(db)
    assert rules.deadlines["claim"]["submitted"] == Deadline(working_days=5)
    assert rules.deadlines["contract"]["submitted"] == Deadline(working_days=5)


def test_reminder_days_on_the_page(db, admin):
    browser = sign_in(db, "admin1")
    bad = browser.submit(PAGE, f"{PAGE}/reminders", {"reminder_days": "30, 120"})
    assert bad.status_code == 422
    assert "提醒天数须为1到90之间的整数" in bad.text
    assert 'value="30, 120"' in bad.text
    assert _rules_in_force(db).reminder_days == (30, 7)
    ok = browser.submit(PAGE, f"{PAGE}/reminders", {"reminder_days": "14，3"})
    assert ok.status_code == 303
    assert _rules_in_force(db).reminder_days == (14, 3)


def test_calendar_days_on_the_page(db, admin):
    browser = sign_in(db, "admin1")
    r = browser.submit(PAGE, f"{PAGE}/calendar", {"day": "2099-02-10", "kind": "holiday", "note": "春节"})
    assert r.status_code == 303
    assert "year=2099" in r.headers["location"]  # back to the year just changed
    page = browser.get(f"{PAGE}?year=2099").text
    assert "2099-02-10" in page and "春节" in page
    assert 'data-official="unknown"' in page  # the admin must add this year's holidays

    removed = browser.submit(f"{PAGE}?year=2099", f"{PAGE}/calendar/2099-02-10/delete", {})
    assert removed.status_code == 303
    with db.sessions() as s:
        assert settings.calendar_days(s) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"day": "2027-02-30", "kind": "holiday", "note": ""}, "日期须为有效日期"),
        ({"day": "", "kind": "holiday", "note": ""}, "日期须为有效日期"),
        ({"day": "2027-02-10", "kind": "maybe", "note": ""}, "请选择放假或补班"),
        ({"day": "1999-02-10", "kind": "holiday", "note": ""}, "日期须在2000年到2100年之间"),
        ({"day": "2027-02-10", "kind": "holiday", "note": "很" * 101}, "说明不能超过100个字符"),
    ],
)
def test_a_bad_calendar_day_on_the_page(db, admin, fields, message):
    r = sign_in(db, "admin1").submit(PAGE, f"{PAGE}/calendar", fields)
    assert r.status_code == 422
    assert message in r.text
    with db.sessions() as s:
        assert settings.calendar_days(s) == []


@pytest.mark.parametrize("day", ["notaday", "2027-13-01", "20270101"])
def test_removing_a_malformed_day_is_refused(db, admin, day):
    r = sign_in(db, "admin1").submit(PAGE, f"{PAGE}/calendar/{day}/delete", {})
    assert r.status_code == 422
    assert "日期须为有效日期" in r.text


def test_removing_a_day_not_set_says_so(db, admin):
    r = sign_in(db, "admin1").submit(PAGE, f"{PAGE}/calendar/2027-01-01/delete", {})
    assert r.status_code == 404
    assert "该日期没有设置" in r.text


@pytest.mark.parametrize("username", ["hr1", "finance1", "village1"])
def test_other_staff_may_neither_see_nor_change_the_settings(db, c, username):
    browser = sign_in(db, username)
    assert browser.get(PAGE).status_code == 403
    assert 'href="/admin/settings"' not in browser.get("/inbox").text
    token = csrf_of(browser.get("/inbox").text)
    for action, fields in [
        ("deadlines", _form(**{"claim.submitted": "3"})),
        ("reminders", {"reminder_days": "14"}),
        ("calendar", {"day": "2027-02-10", "kind": "holiday", "note": ""}),
    ]:
        r = browser.client.post(
            f"{PAGE}/{action}", data={**fields, "_csrf_token": token}, follow_redirects=False
        )
        assert r.status_code == 403, action
    assert _stored(db) == {}
    with db.sessions() as s:
        assert settings.calendar_days(s) == []


def test_a_post_without_the_csrf_token_is_refused(db, admin):
    browser = sign_in(db, "admin1")
    r = browser.client.post(
        f"{PAGE}/deadlines", data=_form(**{"claim.submitted": "3"}), follow_redirects=False
    )
    assert r.status_code == 403
    assert _stored(db) == {}

"""The sweep, case by case: contract expiry on time, returned claims expiring, overdue flags
and escalation, renewal reminders once each, monthly post-subsidy claims, and doing nothing
more when run again."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from store.access.users import actor_for, create_user
from store.claims import ClaimInput, submit_claim
from store.contracts.lifecycle import (
    terminate_contract,
)
from store.contracts.scheduled import reminder_key
from store.models import Claim, ClaimHistory, Contract, ContractHistory, Organisation
from store.notices.models import Notification
from store.sweep.models import SweepEvent, SweepRun
from store.sweep.runner import _exclusive, run_sweep
from store.timerules import settings
from store.transitions import transition
from workflow.errors import RuleViolation
from workflow.roles import Role

from .builders import claim_in, person
from .builders_posts import active_contract
from .builders_years import add_policy_years

pytestmark = pytest.mark.usefixtures("on_28_november_2026")  # its cases are that day's


def at(clock, day: date, hour: int = 9) -> None:
    clock.current = datetime.combine(day, datetime.min.time()) + timedelta(hours=hour)


def notices(db, kind: str | None = None, user_id: int | None = None) -> list[Notification]:
    with db.sessions() as s:
        q = select(Notification).order_by(Notification.id)
        if kind:
            q = q.where(Notification.kind == kind)
        if user_id:
            q = q.where(Notification.user_id == user_id)
        return list(s.scalars(q))


def history(db, contract_id: int) -> list[ContractHistory]:
    with db.sessions() as s:
        return list(
            s.scalars(
                select(ContractHistory)
                .where(ContractHistory.contract_id == contract_id)
                .order_by(ContractHistory.id)
            )
        )


def post_claims(db, contract_id: int) -> list[Claim]:
    with db.sessions() as s:
        return list(s.scalars(select(Claim).where(Claim.contract_id == contract_id).order_by(Claim.id)))


# --- contracts expire on time ----------------------------------------------------------------


def test_an_active_contract_expires_as_its_end_date_is_over_once(db, c, clock):
    cid = active_contract(db, c, date(2025, 11, 29), date(2026, 11, 28)).id
    at(clock, date(2026, 11, 28), 23)
    run_sweep(db)
    with db.sessions() as s:
        assert s.get(Contract, cid).state == "active"  # its last day is not over yet
    at(clock, date(2026, 11, 29), 0)
    report = run_sweep(db)
    assert report.counts["contracts_expired"] == 1
    last = history(db, cid)[-1]
    assert (last.trigger, last.from_state, last.to_state) == ("expire", "active", "expired")
    assert (last.actor_id, last.role, last.actor_name) == (0, "system", "系统")
    assert last.at == clock.current
    run_sweep(db)
    assert sum(h.trigger == "expire" for h in history(db, cid)) == 1
    assert {n.user_id for n in notices(db, "contract_expired")} == {
        c.hr.user_id,
        c.hr2.user_id,
        c.verifier.user_id,
    }


# --- returned claims expire; overdue steps are flagged and escalated ----------------------------


def test_a_returned_claim_expires_after_30_days_and_frees_its_place(db, c, clock):
    claim = claim_in(db, c, "returned")
    clock.advance(days=30)
    run_sweep(db)
    with db.sessions() as s:
        assert s.get(Claim, claim.id).state == "returned"
    clock.advance(days=1)
    assert run_sweep(db).counts["claims_expired"] == 1
    with db.sessions() as s:
        row = s.get(Claim, claim.id)
        assert (row.state, row.dedupe_key) == ("expired", None)
        entry = s.scalars(
            select(ClaimHistory).where(ClaimHistory.claim_id == claim.id).order_by(ClaimHistory.id.desc())
        ).first()
        assert (entry.trigger, entry.actor_id, entry.role) == ("expire", 0, "system")
    assert [n.user_id for n in notices(db, "claim_expired")] == [c.agent.user_id]
    assert run_sweep(db).counts.get("claims_expired", 0) == 0


def test_an_overdue_step_is_flagged_once_escalated_and_cleared_by_the_next_step(db, c, clock, admin):
    claim = claim_in(db, c, "submitted")  # village verification: 5 working days
    with db.sessions() as s:
        due = s.get(Claim, claim.id).due_at
    clock.current = due
    run_sweep(db)
    assert notices(db, "overdue") == []
    clock.current = due + timedelta(seconds=2)
    assert run_sweep(db).counts["claims_overdue"] == 1
    with db.sessions() as s:
        assert s.get(Claim, claim.id).overdue is True
    escalated = notices(db, "overdue")
    # The village did not act: the county bureau (HR) hears of it; the village does not.
    assert {n.user_id for n in escalated} == {c.hr.user_id, c.hr2.user_id}
    assert escalated[0].title == "阿东村有1件补贴申请超过村级核实期限"
    run_sweep(db)
    assert len(notices(db, "overdue")) == 2  # not again
    transition(db, "claim", claim.id, "verify", c.verifier)
    with db.sessions() as s:
        row = s.get(Claim, claim.id)
        assert row.overdue is False and row.due_at > clock.current
    # Waiting for HR past its deadline goes to the bureau's head.
    with db.sessions() as s:
        due = s.get(Claim, claim.id).due_at
    clock.current = due + timedelta(minutes=1)
    run_sweep(db)
    assert {n.user_id for n in notices(db, "overdue")[2:]} == {admin.user_id}


# --- renewal reminders -----------------------------------------------------------------------


def test_renewal_reminders_go_once_at_30_and_7_days_to_the_village_and_hr(db, c, clock):
    cid = active_contract(db, c, date(2026, 1, 1), date(2026, 12, 31), name="次仁").id
    at(clock, date(2026, 11, 30))  # 31 days left
    run_sweep(db)
    assert notices(db, "renewal_reminder") == []
    at(clock, date(2026, 12, 1), 8)  # 30 days left
    assert run_sweep(db).counts["reminders_sent"] == 1
    first = notices(db, "renewal_reminder")
    assert {n.user_id for n in first} == {c.hr.user_id, c.hr2.user_id, c.verifier.user_id}
    assert "还有30天到期" in first[0].title and "次仁" in first[0].title
    # HR can renew: its notice opens the contract at the 续签 button.
    for_hr = [n for n in first if n.user_id in (c.hr.user_id, c.hr2.user_id)]
    assert {n.link for n in for_hr} == {f"/contracts/{cid}#renew"} and "办理续签" in for_hr[0].body
    # The village cannot: its notice says what to do instead, and opens the contract, no button.
    (for_village,) = [n for n in first if n.user_id == c.verifier.user_id]
    assert for_village.link == f"/contracts/{cid}" and for_village.title == for_hr[0].title
    assert "续签由县人社局办理" in for_village.body and "确认该人员是否继续在岗" in for_village.body
    for day in (2, 3, 10, 23):  # later sweeps, until the 7-day mark
        at(clock, date(2026, 12, day))
        run_sweep(db)
    assert len(notices(db, "renewal_reminder")) == 3
    at(clock, date(2026, 12, 24))
    run_sweep(db)
    run_sweep(db)
    seven = notices(db, "renewal_reminder")[3:]
    assert len(seven) == 3 and "还有7天到期" in seven[0].title
    with db.sessions() as s:
        keys = set(s.scalars(select(SweepEvent.key).where(SweepEvent.subject_id == cid)))
    assert keys == {reminder_key(cid, 30), reminder_key(cid, 7)}


def test_reminders_due_together_send_one_notice_for_the_nearest(db, c, clock):
    cid = active_contract(db, c, date(2026, 6, 1), date(2026, 12, 2)).id  # 4 days left today
    report = run_sweep(db)
    assert (report.counts["reminders_sent"], report.counts["reminders_superseded"]) == (1, 1)
    sent = notices(db, "renewal_reminder")
    assert len({n.title for n in sent}) == 1 and "还有4天到期" in sent[0].title
    with db.sessions() as s:
        notes = dict(
            s.execute(select(SweepEvent.key, SweepEvent.note).where(SweepEvent.subject_id == cid)).all()
        )
    assert notes == {reminder_key(cid, 7): "已发送", reminder_key(cid, 30): "与7天提醒合并"}


def test_a_renewed_contract_is_not_reminded_and_reminder_days_follow_the_admin(db, c, clock, admin):
    renewed = active_contract(db, c, date(2026, 1, 1), date(2026, 12, 20), name="甲").id
    transition(db, "contract", renewed, "renew", c.hr)
    settings.set_reminder_days(db, admin, "15")
    other = active_contract(db, c, date(2026, 1, 1), date(2026, 12, 20), name="乙").id
    at(clock, date(2026, 12, 1))  # 19 days left: no 15-day reminder yet, and no 30-day one
    run_sweep(db)
    assert notices(db, "renewal_reminder") == []
    at(clock, date(2026, 12, 5))
    run_sweep(db)
    titles = {n.title for n in notices(db, "renewal_reminder")}
    assert titles == {"公益性岗位协议还有15天到期：乙（保洁员）"}
    with db.sessions() as s:
        note = s.get(SweepEvent, reminder_key(renewed, 15)).note
    assert note == "已提出续签，不再提醒" and other


# --- monthly post-subsidy claims -------------------------------------------------------------


def test_each_finished_contract_month_gets_one_claim_for_the_village_to_confirm(db, c, clock):
    at(clock, date(2026, 11, 28))
    cid = active_contract(db, c, date(2026, 9, 15), date(2027, 9, 14), name="格桑").id
    report = run_sweep(db)  # 2026-11-28: September (from the 15th) and October are over
    assert report.counts["post_claims_opened"] == 2
    claims = post_claims(db, cid)
    assert [cl.facts["month"] for cl in claims] == ["2026-09", "2026-10"]
    first = claims[0]
    # Until the village confirms the days, the claim shows the most September can pay: of its
    # 22 working days the contract covers 15–18, Sunday 20 (调休), 21–24 and 28–30 September
    # (25 September is the Mid-Autumn Festival): 12 days, 800 × 12 ÷ 22 = 436.36.
    assert (first.state, first.subsidy_type, first.amount, first.submitted_by) == (
        "submitted",
        "public_welfare_post",
        Decimal("436.36"),
        0,
    )
    assert first.rule == "public_welfare_post.awaiting_attendance"
    with db.sessions() as s:
        committee = s.get(Organisation, first.claimant_org_id)
        assert (committee.kind, committee.village_id) == ("village_committee", c.village)
        entry = s.scalars(select(ClaimHistory).where(ClaimHistory.claim_id == first.id)).one()
        assert (entry.trigger, entry.role) == ("submit", "system")
        assert "2026年09月15日至30日" in entry.comment
        assert s.get(Contract, cid).subsidy_through == date(2026, 10, 31)
    assert {n.user_id for n in notices(db, "post_claims")} == {c.verifier.user_id}
    run_sweep(db)
    assert len(post_claims(db, cid)) == 2
    at(clock, date(2026, 11, 30), 23)
    run_sweep(db)
    assert len(post_claims(db, cid)) == 2  # November is not over
    at(clock, date(2026, 12, 1), 0)
    run_sweep(db)
    assert [cl.facts["month"] for cl in post_claims(db, cid)][-1] == "2026-11"
    # From here the normal path: the village confirms the days on the post, HR approves.
    claim = post_claims(db, cid)[0]
    transition(db, "claim", claim.id, "verify", c.verifier, attendance_days=12)
    approved = transition(db, "claim", claim.id, "approve", c.hr)
    assert (approved.state, approved.amount) == ("hr_reviewed", Decimal("436.36"))


def test_an_ended_contract_gets_its_last_part_month_once_that_month_is_over(db, c, clock):
    at(clock, date(2026, 11, 28))
    cid = active_contract(db, c, date(2026, 10, 1), date(2027, 3, 31)).id
    run_sweep(db)
    terminate_contract(db, c.hr, cid, "本人申请退岗", terminated_on=date(2026, 11, 20))
    at(clock, date(2026, 11, 29))
    run_sweep(db)
    assert [cl.facts["month"] for cl in post_claims(db, cid)] == ["2026-10"]  # November runs on
    at(clock, date(2026, 12, 1))
    run_sweep(db)
    november = post_claims(db, cid)[-1]
    # November 2026: 21 working days; 2–6, 9–13, 16–20 November are the 15 up to the 20th.
    assert (november.facts["month"], november.amount) == ("2026-11", Decimal("571.43"))
    with db.sessions() as s:
        assert s.get(Contract, cid).subsidy_through == date(2027, 3, 31)  # done with it
    at(clock, date(2027, 2, 1))
    add_policy_years(db, 2027)
    run_sweep(db)
    assert len(post_claims(db, cid)) == 2


def test_a_contract_ending_mid_month_waits_for_the_month_to_end(db, c, clock):
    at(clock, date(2026, 9, 1))
    cid = active_contract(db, c, date(2026, 1, 1), date(2026, 11, 15)).id
    at(clock, date(2026, 11, 16))
    run_sweep(db)  # expires the contract; October is claimed, November not yet
    assert [cl.facts["month"] for cl in post_claims(db, cid)][-1] == "2026-10"
    at(clock, date(2026, 11, 30), 23)
    run_sweep(db)
    assert [cl.facts["month"] for cl in post_claims(db, cid)][-1] == "2026-10"
    at(clock, date(2026, 12, 1), 0)
    run_sweep(db)
    last = post_claims(db, cid)[-1]
    # 2–6, 9–13 November: 10 of November's 21 working days, 800 × 10 ÷ 21 = 380.95.
    assert (last.facts["month"], last.amount) == ("2026-11", Decimal("380.95"))


def test_a_termination_recorded_late_opens_nothing_after_it(db, c, clock):
    at(clock, date(2026, 9, 1))
    cid = active_contract(db, c, date(2026, 9, 1), date(2027, 8, 31)).id
    at(clock, date(2026, 11, 2))
    run_sweep(db)
    assert [cl.facts["month"] for cl in post_claims(db, cid)] == ["2026-09", "2026-10"]
    # The village reports in November that the holder left on 30 September.
    terminate_contract(db, c.hr, cid, "外出务工", terminated_on=date(2026, 9, 30))
    at(clock, date(2026, 12, 1))
    run_sweep(db)
    assert [cl.facts["month"] for cl in post_claims(db, cid)] == ["2026-09", "2026-10"]
    # October, opened before the termination was known, is refused when the village verifies.
    october = post_claims(db, cid)[-1]
    with pytest.raises(RuleViolation) as refused:
        transition(db, "claim", october.id, "verify", c.verifier, attendance_days=5)
    assert refused.value.code == "rule.month_after_termination"


def test_a_month_already_claimed_by_hand_is_not_opened_again(db, c, clock):
    cid = active_contract(db, c, date(2026, 10, 1), date(2027, 3, 31)).id
    with db.sessions() as s:
        pid = s.get(Contract, cid).person_id
    with db.transaction() as s:
        org = Organisation(name="阿东村民委员会", kind="village_committee", village_id=c.village)
        s.add(org)
        s.flush()
        clerk = actor_for(
            s, create_user(s, db, username="clerk", password="password-123", roles=["agent"], org_id=org.id)
        )
    submit_claim(db, clerk, ClaimInput("public_welfare_post", pid, 2026, {"month": "2026-10"}, cid))
    report = run_sweep(db)
    assert report.counts["post_claims_existing"] == 1
    assert report.counts.get("post_claims_opened", 0) == 0
    assert len(post_claims(db, cid)) == 1
    assert notices(db, "claim_expired") == []


def test_a_missing_policy_year_is_reported_once_and_its_months_open_when_it_is_set(db, c, clock, admin):
    cid = active_contract(db, c, date(2026, 11, 1), date(2027, 10, 31)).id
    at(clock, date(2027, 3, 2))
    run_sweep(db)
    run_sweep(db)
    problems = notices(db, "sweep_problem")
    assert [n.user_id for n in problems] == [admin.user_id]
    assert "2027年度政策参数尚未设置" in problems[0].title
    assert [cl.facts["month"] for cl in post_claims(db, cid)] == ["2026-11", "2026-12"]
    with db.sessions() as s:
        assert s.get(Contract, cid).subsidy_through is None  # the contract is retried whole
    add_policy_years(db, 2027)
    run_sweep(db)
    assert [cl.facts["month"] for cl in post_claims(db, cid)] == ["2026-11", "2026-12", "2027-01", "2027-02"]


# --- the run itself --------------------------------------------------------------------------


def test_each_run_is_logged_and_a_second_sweep_at_the_same_time_stands_aside(db, c, clock):
    claim_in(db, c, "returned")
    clock.advance(days=31)
    with _exclusive(db) as held:
        assert held
        assert run_sweep(db).skipped
    report = run_sweep(db, runner="test")
    assert not report.skipped
    with db.sessions() as s:
        run = s.get(SweepRun, report.run_id)
        assert (run.runner, run.finished_at, run.error) == ("test", clock.current, None)
        assert run.counts["claims_expired"] == 1
        assert s.scalar(select(func.count()).select_from(SweepRun)) == 1


def test_a_failed_run_is_logged_with_its_error(db, c, clock):
    claim_in(db, c, "returned")
    clock.advance(days=31)

    def boom(name: str) -> None:
        raise RuntimeError(f"stopped after {name}")

    with pytest.raises(RuntimeError):
        run_sweep(db, after_chunk=boom)
    with db.sessions() as s:
        run = s.scalars(select(SweepRun)).one()
        assert run.error == "RuntimeError: stopped after expire_claims"
        assert run.counts == {"claims_expired": 1}  # its notice goes at the end of the task
    assert Role.SYSTEM  # the system actor took the step (see above)


# --- e-mail -----------------------------------------------------------------------------------


def test_a_reminder_is_emailed_once_through_smtp_with_an_absolute_link(db, c, clock, smtp_server):
    from sqlalchemy import update

    from store.models import User
    from workflow.config import SmtpSettings

    controller, inbox = smtp_server
    with db.transaction() as s:
        s.execute(update(User).where(User.id == c.hr.user_id).values(email="hr1@deqin.gov.cn"))
    cid = active_contract(db, c, date(2026, 1, 1), date(2026, 12, 20), name="央金").id
    smtp = SmtpSettings(host="127.0.0.1", port=controller.port)
    report = run_sweep(db, smtp=smtp, base_url="https://fuzhi.deqin.gov.cn")
    assert report.counts["emails_sent"] == 1  # hr2 and the village have no address
    ((to, message),) = inbox.messages
    assert to == ["hr1@deqin.gov.cn"]
    assert message["Subject"] == "公益性岗位协议还有22天到期：央金（保洁员）"
    assert f"https://fuzhi.deqin.gov.cn/contracts/{cid}#renew" in message.get_content()
    run_sweep(db, smtp=smtp)
    assert len(inbox.messages) == 1
    with db.sessions() as s:
        states = list(s.scalars(select(Notification.email_state)))
    assert states.count("sent") == 1 and set(states) == {"sent", "skipped"}


def test_without_smtp_notices_stay_in_the_centre_and_are_marked_not_emailed(db, c, clock):
    active_contract(db, c, date(2026, 1, 1), date(2026, 12, 20))
    run_sweep(db)
    with db.sessions() as s:
        assert set(s.scalars(select(Notification.email_state))) == {"skipped"}
        assert all(n.read_at is None for n in s.scalars(select(Notification)))


def test_the_admin_sees_the_last_runs_and_what_they_did(db, c, clock, admin):
    from .page_support import sign_in

    active_contract(db, c, date(2026, 6, 1), date(2026, 12, 20))
    run_sweep(db, runner="server")
    page = sign_in(db, "admin1").get("/admin/settings")
    assert page.status_code == 200
    section = page.text[page.text.index('id="sweep"') :]
    assert "server" in section and "续签提醒 1" in section and "未完成" not in section


def test_overdue_cases_in_several_villages_make_one_notice_per_recipient(db, c, clock):
    for village in (c.village, c.village, c.other_village):
        pid = person(db, village)
        submit_claim(
            db,
            c.agent,
            ClaimInput(
                "labour_export_service",
                pid,
                2026,
                {"destination": "out_of_province", "employment_start": "2026-03-01"},
            ),
        )
    clock.advance(days=20)
    assert run_sweep(db, chunk=1).counts["claims_overdue"] == 3  # three chunks, one notice
    (notice,) = notices(db, "overdue", c.hr.user_id)
    assert notice.title == "2个村有3件补贴申请超过村级核实期限"
    assert notice.body.startswith("阿东村2件、巨水村1件：")


def test_a_large_month_start_is_opened_over_several_runs(db, c, clock, monkeypatch):
    from store.claims import scheduled as sweep

    monkeypatch.setattr(sweep, "POST_CLAIMS_PER_RUN", 4)
    ids = [
        active_contract(db, c, date(2026, 9, 1), date(2027, 8, 31), name=f"人{i}").id for i in range(3)
    ]  # September and October: six claims
    first = run_sweep(db, chunk=1)
    assert (first.counts["post_claims_opened"], first.counts["post_claims_deferred"]) == (4, 1)
    second = run_sweep(db, chunk=1)
    assert second.counts["post_claims_opened"] == 2 and "post_claims_deferred" not in second.counts
    assert [len(post_claims(db, cid)) for cid in ids] == [2, 2, 2]
    assert run_sweep(db, chunk=1).counts.get("post_claims_opened", 0) == 0

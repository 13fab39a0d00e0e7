"""Policy years as the bureau's data: copied, edited as new versions, logged; a claim keeps the
set it was computed with; a year without figures is refused by name and announced in December."""

from __future__ import annotations

import subprocess
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from cli import main
from store.claims import ClaimInput, resubmit_claim, submit_claim
from store.db import Database
from store.documents.issuing import issue
from store.models import Claim
from store.policy import versions as policy
from store.policy.models import PolicyChange, PolicyParamsVersion
from store.sweep.runner import run_sweep
from store.transitions import transition
from workflow.errors import Conflict, TransitionRefused, ValidationFailed
from workflow.rules.figures import BUREAU_MARK

from .builders import County, county, export_claim, person
from .builders_policy import migrant_claim
from .builders_posts import active_contract
from .test_sweep import post_claims

AUTUMN = datetime(2026, 11, 20, 10, 0)  # a Friday in 2026, a year the migration seeds


@pytest.fixture
def c(db: Database, clock) -> County:
    clock.current = AUTUMN
    return county(db)


def claim_row(db: Database, claim_id: int) -> Claim:
    with db.sessions() as s:
        return s.get_one(Claim, claim_id)


# --- versions and the log --------------------------------------------------------------------


def test_copying_a_year_makes_its_version_1_with_the_bureaus_figures_unconfirmed(db, admin):
    view = policy.copy_year(db, admin, 2026, 2027)
    assert (view.year, view.version_no, view.params.year) == (2027, 1, 2027)
    assert view.params.labour_export_out_province == Decimal("300")
    assert policy.unconfirmed(view) == [
        "migrant_work_reward_amount",
        "wft_monthly_amount",
        "training_living_per_day",
        "training_transport_amount",
    ]
    sources = {f.figure.name: f.source for f in view.figures}
    assert sources["absorption_wage_rate"] == "plan" and sources["wft_monthly_amount"] == "bureau"
    [change] = view.changes
    assert (change.action, change.actor_name, change.new_value) == ("copy", "管理员", "复制2026年度参数")


def test_an_existing_year_cannot_be_copied_over(db, admin):
    with pytest.raises(ValidationFailed) as e:
        policy.copy_year(db, admin, 2026, 2026)
    assert e.value.details["field"] == "to_year" and "2026年度政策参数已存在" in e.value.message


def test_each_edit_is_a_new_version_and_the_change_is_logged_with_old_and_new(db, clock, admin):
    policy.copy_year(db, admin, 2026, 2027)
    clock.current = datetime(2026, 12, 2, 15, 30)
    view = policy.set_figures(
        db, admin, 2027, {"migrant_work_reward_amount": "600", "absorption_wage_rate": "20%"}
    )
    assert view.version_no == 2
    assert view.params.migrant_work_reward_amount == Decimal("600")
    assert view.params.absorption_wage_rate == Decimal("0.2")
    log = {(c.field, c.old_value, c.new_value, c.actor_name, c.at) for c in view.changes if c.action == "set"}
    assert log == {
        ("migrant_work_reward_amount", "500.00元", "600.00元", "管理员", clock.current),
        ("absorption_wage_rate", "15%", "20%", "管理员", clock.current),
    }
    with db.sessions() as s:  # the first set is kept as it was
        first = s.scalars(
            select(PolicyParamsVersion)
            .where(PolicyParamsVersion.year == 2027)
            .order_by(PolicyParamsVersion.id)
        ).first()
        assert first is not None and first.params["migrant_work_reward_amount"] == "500"


def test_saving_the_same_figures_makes_no_version(db, admin):
    before = policy.copy_year(db, admin, 2026, 2027)
    after = policy.set_figures(db, admin, 2027, {"labour_export_out_province": "300.00"})
    assert after.version_id == before.version_id and len(after.changes) == 1


@pytest.mark.parametrize(
    ("field", "raw", "code", "words"),
    [
        ("migrant_work_reward_amount", "-5", "validation.negative_amount", "一次性外出务工奖补"),
        ("absorption_wage_rate", "1.5", "validation.rate_range", "须在0到1之间"),
        ("absorption_wage_rate", "150%", "validation.rate_range", "创业补贴、车间奖补比例"),
        ("absorption_min_persons", "五", "validation.integer", "吸纳人数下限"),
        ("wft_max_months", "0", "validation.count_range", "以工代训最长月数"),
        ("training_living_per_day", "12.345", "validation.too_many_decimals", "培训生活费补贴"),
        ("exclusion_groups", "outbound: transport_subsidy, nothing", "validation.subsidy_type", "nothing"),
        ("no_such_figure", "1", "validation.policy_field", "no_such_figure"),
    ],
)
def test_a_bad_figure_is_refused_naming_the_field(db, admin, field, raw, code, words):
    with pytest.raises(ValidationFailed) as e:
        policy.set_figures(db, admin, 2026, {field: raw})
    assert (e.value.code, e.value.details["field"]) == (code, field)
    assert words in e.value.message


def test_only_the_admin_sets_figures_and_a_stale_form_is_refused(db, c, admin):
    with pytest.raises(TransitionRefused):
        policy.set_figures(db, c.hr, 2026, {"wft_monthly_amount": "400"})
    with pytest.raises(TransitionRefused):
        policy.copy_year(db, c.hr, 2026, 2027)
    seen = policy.set_figures(db, admin, 2026, {"wft_monthly_amount": "400"}).version_id
    policy.set_figures(db, admin, 2026, {"wft_monthly_amount": "450"}, seen_version=seen)
    with pytest.raises(Conflict):
        policy.set_figures(db, admin, 2026, {"wft_monthly_amount": "300"}, seen_version=seen)


def test_a_plan_figure_needs_no_confirmation(db, admin):
    with pytest.raises(ValidationFailed) as e:
        policy.set_figures(db, admin, 2026, {}, confirm=["labour_export_out_province"])
    assert "方案规定的标准" in e.value.message


# --- a claim keeps its set -------------------------------------------------------------------


def test_an_approved_claim_keeps_its_amount_after_an_edit_and_a_later_claim_uses_the_new_one(db, c, admin):
    approved = export_claim(db, c, person(db, c.village))
    transition(db, "claim", approved.id, "verify", c.verifier)
    transition(db, "claim", approved.id, "approve", c.hr)
    returned = export_claim(db, c, person(db, c.village, name="次仁"))
    transition(db, "claim", returned.id, "return", c.verifier, comment="补充收入证明")
    v1 = approved.params_version_id
    assert v1 is not None and returned.params_version_id == v1

    edited = policy.set_figures(db, admin, 2026, {"labour_export_out_province": "350"})

    kept = claim_row(db, approved.id)
    assert (kept.amount, kept.state, kept.params_version_id) == (Decimal("300"), "hr_reviewed", v1)
    later = export_claim(db, c, person(db, c.village, name="拉姆"))
    assert (later.amount, later.params_version_id) == (Decimal("350"), edited.version_id)
    resubmitted = resubmit_claim(db, c.agent, returned.id, dict(returned.facts))
    assert (resubmitted.amount, resubmitted.params_version_id) == (Decimal("350"), edited.version_id)
    with db.sessions() as s:
        figures = policy.claim_figures(s, kept.params_version_id, kept.subsidy_type)
    assert figures is not None and figures.version_no == 1
    assert {f.figure.name: f.text for f in figures.figures}["labour_export_out_province"] == "300.00元"


def test_a_claim_for_a_year_without_figures_is_refused_naming_the_year(db, c):
    db.clock.current = datetime(2031, 3, 5, 10, 0)  # the facts fix 2031, which nobody set up
    with pytest.raises(ValidationFailed) as e:
        submit_claim(
            db,
            c.agent,
            ClaimInput(
                "labour_export_service",
                person(db, c.village),
                None,
                {"destination": "out_of_province", "employment_start": "2030-12-01"},
            ),
        )
    assert (e.value.code, e.value.details["field"]) == ("validation.policy_year", "policy_year")
    assert "2031年度政策参数尚未设置" in e.value.message
    assert "系统管理员" in e.value.message and "设置2031年度参数" in e.value.message


# --- December: next year's figures are due ------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "missing"),
    [
        (datetime(2026, 11, 30, 23, 59), []),
        (datetime(2026, 12, 1, 0, 0), [2027]),
        (datetime(2027, 1, 4, 9, 0), [2027]),
    ],
)
def test_next_years_missing_figures_are_announced_from_the_first_of_december(db, now, missing):
    with db.sessions() as s:
        assert policy.years_missing(s, now.date()) == missing


# --- the sweep opens the new year's post claims once it is set -------------------------------


def test_the_months_of_a_new_year_open_as_soon_as_the_admin_copies_the_year(db, c, clock, admin):
    # A month opens once it is over: on 2 February 2027, January (1 to 3 January on this
    # contract) waits only for 2027's figures.
    cid = active_contract(db, c, date(2026, 11, 1), date(2027, 1, 3)).id
    clock.current = datetime(2027, 2, 2, 9, 0)
    run_sweep(db)
    assert [cl.facts["month"] for cl in post_claims(db, cid)] == ["2026-11", "2026-12"]
    view = policy.copy_year(db, admin, 2026, 2027)
    run_sweep(db)
    opened = post_claims(db, cid)
    assert [cl.facts["month"] for cl in opened] == ["2026-11", "2026-12", "2027-01"]
    assert opened[-1].params_version_id == view.version_id
    assert opened[0].params_version_id != view.version_id


# --- the bureau's own figures on the 审批表 ----------------------------------------------------


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "form.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(out.split())


def test_the_approval_form_marks_an_unconfirmed_bureau_figure_until_it_is_confirmed(db, c, admin, tmp_path):
    claim = migrant_claim(db, c)
    text = pdf_text(issue(db, c.hr, "approval_form", claim.id).pdf, tmp_path)
    assert "一次性外出务工奖补500.00元「" + BUREAU_MARK + "」" in text
    assert "稳定就业月数3个月（方案规定）" in text
    policy.set_figures(db, admin, 2026, {}, confirm=["migrant_work_reward_amount"])
    text = pdf_text(issue(db, c.hr, "approval_form", claim.id).pdf, tmp_path)
    assert BUREAU_MARK not in text
    assert "一次性外出务工奖补500.00元（县人社局已确认）" in text


# --- the command line ------------------------------------------------------------------------


def test_the_command_line_shows_copies_and_sets_with_the_change_recorded(
    db, db_url, admin, monkeypatch, capsys
):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("FUZHI_SECRET_KEY", "cli-test-secret-0123456789")
    assert main(["policy", "copy", "2026", "2027", "--by", "admin1"]) == 0
    assert main(["policy", "set", "2027", "migrant_work_reward_amount", "650", "--confirm"]) == 0
    assert main(["policy", "set", "2027", "absorption_wage_rate", "1.5"]) == 2
    err = capsys.readouterr().err
    assert "validation.rate_range" in err and "创业补贴、车间奖补比例" in err
    assert main(["policy", "show", "2027"]) == 0
    out = capsys.readouterr().out
    assert "2027年度政策参数（第2版）" in out
    line = next(x for x in out.splitlines() if "migrant_work_reward_amount" in x)
    assert "650.00元" in line and "待确认" not in line
    assert BUREAU_MARK in next(x for x in out.splitlines() if "wft_monthly_amount" in x)
    with db.sessions() as s:
        changes = s.scalars(select(PolicyChange).order_by(PolicyChange.id)).all()
    assert (changes[0].action, changes[0].actor_name) == ("copy", "管理员")
    assert changes[1].actor_name.startswith("命令行")
    assert (changes[1].old_value, changes[1].new_value) == ("500.00元", "650.00元（已确认）")


# --- the migration -----------------------------------------------------------------------------


def test_the_migration_makes_version_1_of_each_year_and_points_existing_claims_at_it(tmp_path):
    from alembic import command
    from sqlalchemy import create_engine, text

    from cli import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "67752eceb833")  # the schema before parameter sets
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO township (id, code, name, county_code) "
                "VALUES (1, '533422101', '升平镇', '533422')"
            )
        )
        conn.execute(
            text("INSERT INTO village (id, township_id, code, name) VALUES (1, 1, '533422101001', '阿东村')")
        )
        conn.execute(
            text(
                "INSERT INTO organisation (id, name, kind, recognised, first_business) "
                "VALUES (1, '劳务经纪人', 'labour_broker', 0, 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO person (id, name, id_number_enc, id_number_hash, id_last4, birth_date, sex, "
                "village_id, target_groups, labour_capacity, created_at) VALUES (1, '卓玛', 'x', 'h', "
                "'0001', '1990-01-01', '女', 1, 'relocated', 'full', '2026-01-01 00:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO claim (id, subsidy_type, person_id, claimant_org_id, village_id, payee_kind, "
                "policy_year, facts, amount, rule, rule_explanation, state, version, submitted_by, "
                "overdue, created_at, updated_at) VALUES (1, 'labour_export_service', 1, 1, 1, 'claimant', "
                "2026, '{}', 300, 'labour_export_service.out_of_province', '省外', 'hr_reviewed', 3, 1, 0, "
                "'2026-06-01 00:00:00', '2026-06-01 00:00:00')"
            )
        )
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        [(version_id, year, confirmed)] = conn.execute(
            text("SELECT id, year, confirmed FROM policy_params_version")
        ).all()
        assert (year, confirmed) == (2026, "[]")
        assert conn.execute(text("SELECT current_version_id FROM policy_year")).scalar() == version_id
        assert conn.execute(text("SELECT params_version_id, amount FROM claim")).one() == (version_id, 300)
    engine.dispose()


def test_a_transaction_reads_the_policy_years_once_and_the_next_one_reads_them_again(db, c):
    """Filing reads every year's version once per transaction, and a version's figures once
    (a version never changes); a policy edit in the same transaction, or a later transaction,
    sees the new ones."""
    from sqlalchemy import event

    from store.policy.in_force import forget_in_force, in_force

    sent: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: sent.append(a[2]))

    def reads() -> tuple[int, int]:  # (version stamps, figures) read so far
        years = [q for q in sent if "FROM policy_year" in q]
        return len(years), sum("policy_year.params" in q for q in years)

    with db.sessions() as s:
        with s.begin():
            first = in_force(s)
            assert in_force(s) is first and 2026 in first
            assert reads() == (2, 1)  # the stamps, then the figures never parsed before
            forget_in_force(s)
            assert in_force(s) is not first
            assert reads() == (3, 1)  # the stamps again; the figures are known
        with s.begin():
            assert in_force(s)[2026] == first[2026]
    assert reads() == (4, 1)

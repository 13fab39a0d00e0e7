"""The register of organisations: HR and the admin keep it, every field is checked, every change
is recorded with the bank account masked, and the rules read recognition from its date."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest
from sqlalchemy import select, text

from store.access.users import actor_for, create_token
from store.claims import ClaimInput, submit_claim
from store.models import ApiToken, Organisation, User
from store.people.org_checks import OrganisationInput
from store.people.org_models import OrganisationHistory
from store.people.org_queries import OrgFilter, history_of, list_organisations
from store.people.register import edit_organisation, register_organisation
from workflow.errors import RuleViolation, TransitionRefused, ValidationFailed
from workflow.rules import DEMO_2026, ClaimantFacts, ClaimDraft, ClaimFacts, PersonFacts, evaluate

from .builders import add_admin, county, person
from .builders_orgs import agent_user, credit_code, recognised

AUTUMN = datetime(2026, 10, 1, 10, 0)  # long enough after a June start for 3 stable months
BANK = "6217000012345678901"


@pytest.fixture
def c(db):
    db.clock.current = AUTUMN  # type: ignore[attr-defined]
    return county(db)


def _refusal(call) -> ValidationFailed:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as info:
        call()
    return info.value


def _org(db, org_id: int) -> Organisation:
    with db.sessions() as s:
        return s.get(Organisation, org_id)


def _changes(db, org_id: int) -> list[dict[str, str]]:
    with db.sessions() as s:
        return [c for h in reversed(history_of(s, org_id)) for c in h.changes]


# --- registering and editing ---------------------------------------------------------------


def test_hr_registers_a_workshop_with_its_recognition_and_an_encrypted_bank_account(db, c):
    code = credit_code("N2")  # a village collective economic organisation
    org_id = register_organisation(
        db,
        c.hr,
        OrganisationInput(
            name="阿东村集体经济合作社帮扶车间",
            kind="workshop",
            credit_code=code.lower(),
            recognised=True,
            recognition_doc_no="德人社发〔2026〕12号",
            recognised_on=date(2026, 6, 1),
            village_id=c.village,
            bank_account=BANK,
            contact_name="格桑",
            contact_phone="0887-8412345",
        ),
    )
    org = _org(db, org_id)
    assert (org.credit_code, org.recognised_on, org.recognition_doc_no, org.bank_last4) == (
        code,
        date(2026, 6, 1),
        "德人社发〔2026〕12号",
        "8901",
    )
    assert BANK not in org.bank_account_enc and db.vault.decrypt(org.bank_account_enc) == BANK
    recorded = {ch["field"]: ch["new"] for ch in _changes(db, org_id)}
    assert recorded["bank_account"] == "****8901" and recorded["credit_code"] == code
    assert recorded["recognised_on"] == "2026-06-01"


def test_every_field_in_error_is_named_at_once_with_a_stable_code(db, c):
    e = _refusal(
        lambda: register_organisation(
            db,
            c.hr,
            OrganisationInput(
                name=" ",
                kind="enterprise",
                credit_code="91533422MA6K12345C",
                recognised=True,
                village_id=99999,
                bank_account="12-34",
                contact_phone="call me",
                agent_ids=(c.verifier.user_id,),
            ),
        )
    )
    assert (e.code, e.details["field"]) == ("validation.required", "name")
    assert set(e.details["errors"]) == {
        "name",
        "credit_code",
        "recognised",
        "village_id",
        "bank_account",
        "contact_phone",
        "agent_ids",
    }
    assert "校验位" in e.details["errors"]["credit_code"]
    with db.sessions() as s:
        assert s.scalar(select(Organisation).where(Organisation.name == " ")) is None


def test_a_recognised_base_needs_its_document_and_a_date_not_in_the_future(db, c):
    base = OrganisationInput(name="德钦县就业帮扶基地", kind="employment_base", recognised=True)
    e = _refusal(lambda: register_organisation(db, c.hr, base))
    assert set(e.details["errors"]) == {"recognition_doc_no", "recognised_on"}
    e = _refusal(
        lambda: register_organisation(
            db, c.hr, replace(base, recognition_doc_no="迪人社〔2026〕3号", recognised_on=date(2026, 10, 2))
        )
    )
    assert (e.code, e.details["field"]) == ("validation.future_date", "recognised_on")


def test_a_village_committee_needs_its_village_and_is_never_a_first_business(db, c):
    e = _refusal(
        lambda: register_organisation(
            db,
            c.hr,
            OrganisationInput(name="巨水村村民委员会", kind="village_committee", first_business=True),
        )
    )
    assert set(e.details["errors"]) == {"village_id", "first_business"}
    assert e.details["errors"]["first_business"].startswith("“首次创办”")


def test_a_credit_code_is_registered_once(db, c):
    code = credit_code()
    register_organisation(db, c.hr, OrganisationInput(name="甲公司", kind="enterprise", credit_code=code))
    e = _refusal(
        lambda: register_organisation(
            db, c.hr, OrganisationInput(name="乙公司", kind="enterprise", credit_code=code)
        )
    )
    assert (e.code, e.message) == ("validation.credit_code_taken", "该统一社会信用代码已由“甲公司”登记")


@pytest.mark.parametrize("who", ["agent", "verifier", "finance"])
def test_only_hr_and_the_admin_keep_the_register(db, c, who):
    actor = {"agent": c.agent, "verifier": c.verifier, "finance": c.finance}[who]
    with pytest.raises(TransitionRefused) as info:
        register_organisation(db, actor, OrganisationInput(name="某公司", kind="enterprise"))
    assert info.value.code == "organisation.hr_or_admin_only"
    with pytest.raises(TransitionRefused):
        edit_organisation(db, actor, c.org, OrganisationInput(name="改名", kind="labour_broker"))
    assert _org(db, c.org).name == "德钦劳务经纪人扎西"


def test_an_edit_records_who_when_and_each_field_old_to_new_with_the_account_masked(db, c):
    keeper = add_admin(db)
    org_id = register_organisation(
        db,
        c.hr,
        OrganisationInput(name="德钦县帮扶车间", kind="workshop", bank_account="6217000000000001111"),
    )
    db.clock.current = datetime(2026, 10, 2, 9, 30)  # type: ignore[attr-defined]
    changed = edit_organisation(
        db,
        keeper,
        org_id,
        OrganisationInput(
            name="德钦县帮扶车间",
            kind="workshop",
            recognised=True,
            recognition_doc_no="德人社〔2026〕7号",
            recognised_on=date(2026, 9, 1),
            bank_account="6217000000000002222",
        ),
    )
    assert changed
    with db.sessions() as s:
        last = history_of(s, org_id)[0]
    assert (last.actor_name, last.at, last.action) == ("管理员", datetime(2026, 10, 2, 9, 30), "edit")
    assert {(ch["field"], ch["old"], ch["new"]) for ch in last.changes} == {
        ("recognised", "否", "是"),
        ("recognition_doc_no", "", "德人社〔2026〕7号"),
        ("recognised_on", "", "2026-09-01"),
        ("bank_account", "****1111", "****2222"),
    }
    assert "6217000000000002222" not in str(last.changes)
    assert db.vault.decrypt(_org(db, org_id).bank_account_enc) == "6217000000000002222"


def test_an_edit_that_leaves_the_bank_field_empty_keeps_the_account(db, c):
    org_id = register_organisation(
        db, c.hr, OrganisationInput(name="某企业", kind="enterprise", bank_account=BANK)
    )
    assert not edit_organisation(db, c.hr, org_id, OrganisationInput(name="某企业", kind="enterprise"))
    assert _org(db, org_id).bank_last4 == "8901"
    edit_organisation(
        db, c.hr, org_id, OrganisationInput(name="某企业", kind="enterprise", clear_bank_account=True)
    )
    assert _org(db, org_id).bank_account_enc is None
    assert _changes(db, org_id)[-1] == {"field": "bank_account", "old": "****8901", "new": ""}


def test_the_record_of_changes_cannot_be_rewritten(db, c):
    org_id = register_organisation(db, c.hr, OrganisationInput(name="某企业", kind="enterprise"))
    with pytest.raises(Exception, match="append-only"), db.transaction() as s:
        s.execute(text(f"UPDATE organisation_history SET actor_name = 'x' WHERE organisation_id = {org_id}"))
    with db.sessions() as s:
        assert s.scalar(select(OrganisationHistory.actor_name)) == c.hr.name


def test_an_agent_moved_to_another_organisation_loses_its_old_tokens_and_both_records_say_so(db, c):
    with db.transaction() as s:
        token = create_token(s, db, s.get(User, c.agent.user_id))
    workshop = register_organisation(
        db, c.hr, OrganisationInput(name="德钦县帮扶车间", kind="workshop", agent_ids=(c.agent.user_id,))
    )
    with db.sessions() as s:
        moved = s.get(User, c.agent.user_id)
        assert moved.org_id == workshop
        assert actor_for(s, moved).org_id == workshop
        assert s.scalar(select(ApiToken.revoked_at).where(ApiToken.prefix == token[:10])) == AUTUMN
    assert {"field": "agent_ids", "old": "agent1（agent1）", "new": ""} in _changes(db, c.org)
    assert _changes(db, workshop)[-1]["new"] == "agent1（agent1）"


def test_an_agent_unticked_acts_for_nobody(db, c):
    second = agent_user(db, c.org, "agent9")
    edit_organisation(
        db,
        c.hr,
        c.org,
        OrganisationInput(name="德钦劳务经纪人扎西", kind="labour_broker", agent_ids=(c.agent.user_id,)),
    )
    with db.sessions() as s:
        assert s.get(User, second).org_id is None
        assert s.get(User, c.agent.user_id).org_id == c.org


def test_the_list_finds_by_name_or_code_and_filters_by_kind(db, c):
    code = credit_code("52")
    register_organisation(
        db, c.hr, OrganisationInput(name="德钦县扶贫协会", kind="hr_agency", credit_code=code)
    )
    with db.sessions() as s:
        assert [o.name for o in list_organisations(s, OrgFilter(q="扶贫")).rows] == ["德钦县扶贫协会"]
        assert [o.name for o in list_organisations(s, OrgFilter(q=code[:10].lower())).rows] == [
            "德钦县扶贫协会"
        ]
        brokers = list_organisations(s, OrgFilter(kind="labour_broker"))
        assert [o.name for o in brokers.rows] == ["德钦劳务经纪人扎西"]
        assert brokers.agents == {c.org: 1}
        assert list_organisations(s, OrgFilter(q="%")).total == 0  # a wildcard is a character


# --- the rules read the register -----------------------------------------------------------


def _draft(subsidy: str, kind: str, start: date, since: date | None) -> ClaimDraft:
    return ClaimDraft(
        subsidy_type=subsidy,
        policy_year=2026,
        person=PersonFacts(1, frozenset({"relocated"})),
        claimant=ClaimantFacts(
            7, kind, recognised=True, recognised_on=since, recognition_doc_no="德人社发〔2026〕12号"
        ),
        facts=ClaimFacts(employment_start=start, wages_paid=None),
    )


@pytest.mark.parametrize(
    "subsidy, kind", [("employment_base_reward", "employment_base"), ("workshop_reward", "workshop")]
)
def test_a_person_taken_on_before_the_recognition_date_earns_no_reward(subsidy, kind):
    with pytest.raises(RuleViolation) as info:
        evaluate(_draft(subsidy, kind, date(2026, 5, 31), date(2026, 6, 1)), DEMO_2026, [], date(2026, 10, 1))
    assert info.value.code == "rule.absorbed_before_recognition"
    assert "2026-06-01" in info.value.message and "德人社发〔2026〕12号" in info.value.message


def test_a_base_counts_from_its_recognition_date_on_the_day_itself():
    outcome = evaluate(
        _draft("employment_base_reward", "employment_base", date(2026, 6, 1), date(2026, 6, 1)),
        DEMO_2026,
        [],
        date(2026, 10, 1),
    )
    assert outcome.amount == 1000


def test_a_filed_claim_is_judged_by_the_recognition_date_on_the_register(db, c):
    base = recognised(db, c.hr, "employment_base", date(2026, 6, 1), name="德钦县就业帮扶基地")
    with db.transaction() as s:
        agent = actor_for(s, s.get(User, agent_user(db, base, "base_agent")))
    early, late = person(db, c.village, name="早"), person(db, c.village, name="晚")
    with pytest.raises(RuleViolation) as info:
        submit_claim(
            db, agent, ClaimInput("employment_base_reward", early, 2026, {"employment_start": "2026-03-01"})
        )
    assert info.value.code == "rule.absorbed_before_recognition"
    claim = submit_claim(
        db, agent, ClaimInput("employment_base_reward", late, 2026, {"employment_start": "2026-06-15"})
    )
    assert claim.amount == 1000
    # Withdrawing the recognition on the register stops the next claim at once.
    edit_organisation(
        db,
        c.hr,
        base,
        OrganisationInput(name="德钦县就业帮扶基地", kind="employment_base", agent_ids=(agent.user_id,)),
    )
    with pytest.raises(RuleViolation) as info:
        submit_claim(
            db, agent, ClaimInput("employment_base_reward", early, 2026, {"employment_start": "2026-06-15"})
        )
    assert info.value.code == "rule.claimant_not_recognised_base"


# --- the command line ----------------------------------------------------------------------


def test_fuzhi_org_add_and_list(db, c, db_url, monkeypatch, capsys):
    from cli import main

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("FUZHI_SECRET_KEY", "cli-test-secret-0123456789")
    code = credit_code("N2")
    assert (
        main(
            [
                "org",
                "add",
                "阿东村股份经济合作社",
                "--kind",
                "workshop",
                "--as",
                "hr1",
                "--credit-code",
                code,
                "--recognised-on",
                "2021-06-01",
                "--doc",
                "德人社发〔2021〕12号",
                "--bank",
                BANK,
                "--agent",
                "agent2",
            ]
        )
        == 0
    )
    assert main(["org", "list", "--kind", "workshop"]) == 0
    out = capsys.readouterr().out
    assert code in out and "****8901" in out and BANK not in out and "经办人1" in out
    with db.sessions() as s:
        org = s.scalar(select(Organisation).where(Organisation.credit_code == code))
        # (a date long past: the command runs on the wall clock, never checked in the future)
        assert org.recognised_on == date(2021, 6, 1)
        assert s.get(User, c.other_agent.user_id).org_id == org.id
        assert history_of(s, org.id)[0].actor_name == "hr1"
    assert main(["org", "add", "某公司", "--kind", "enterprise", "--as", "agent1"]) == 2
    assert "organisation.hr_or_admin_only" in capsys.readouterr().err

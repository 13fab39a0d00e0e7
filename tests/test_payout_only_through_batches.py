"""Money moves only through a payout batch: no page, inbox button, API call or service call pays
a claim outside a batch line with the bank's reference, so nothing is paid twice."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import func, select

from store.models import Claim, ClaimHistory
from store.payouts import batch_pool, batch_rows
from store.payouts import batches as payouts
from store.payouts.models import PayoutLine
from store.transitions import transition
from workflow.errors import TransitionRefused
from workflow.guards import PAY_ONLY_THROUGH_BATCH

from .api_support import api_client
from .builders import claim_in, county
from .builders_payouts import PAID_ON, give_payee_an_account
from .page_support import sign_in

CODE = "transition.guard_failed.through_payout_line"


@pytest.fixture
def c(db, clock, tmp_path, monkeypatch):
    monkeypatch.setenv("FUZHI_DATA_DIR", str(tmp_path / "data"))
    clock.current = datetime(2026, 11, 20, 10, 0)
    return county(db)


def approved(db, c) -> int:
    claim_id = claim_in(db, c, "hr_reviewed").id
    give_payee_an_account(db, claim_id)
    return claim_id


def pay_steps(db, claim_id: int) -> int:
    with db.sessions() as s:
        return s.scalar(
            select(func.count())
            .select_from(ClaimHistory)
            .where(ClaimHistory.claim_id == claim_id, ClaimHistory.trigger == "pay")
        )


def claim_row(db, claim_id: int) -> Claim:
    with db.sessions() as s:
        return s.get_one(Claim, claim_id)


def line_of(db, claim_id: int) -> PayoutLine:
    with db.sessions() as s:
        return s.scalars(
            select(PayoutLine).where(PayoutLine.claim_id == claim_id).order_by(PayoutLine.id.desc())
        ).first()


def unpaid(db, claim_id: int, version: int) -> None:
    claim = claim_row(db, claim_id)
    assert (claim.state, claim.paid_by, claim.version) == ("hr_reviewed", None, version)
    assert pay_steps(db, claim_id) == 0


def test_the_service_transition_refuses_pay_with_a_stable_code_and_changes_nothing(db, c):
    claim_id = approved(db, c)
    version = claim_row(db, claim_id).version
    with pytest.raises(TransitionRefused) as refused:
        transition(db, "claim", claim_id, "pay", c.finance, comment="银行流水号 YH1")
    assert refused.value.code == CODE and refused.value.status == 403
    assert "发放只能通过发放批次办理" in refused.value.message
    unpaid(db, claim_id, version)


def test_finance_posting_pay_on_the_case_page_is_refused_with_the_reason(db, c):
    claim_id = approved(db, c)
    version = claim_row(db, claim_id).version
    finance = sign_in(db, "finance1")
    page = finance.get(f"/claims/{claim_id}").text
    assert 'value="pay"' not in page and 'href="/payouts"' in page  # a link, not a button
    r = finance.submit(
        f"/claims/{claim_id}", f"/claims/{claim_id}/act", {"trigger": "pay", "version": str(version)}
    )
    assert r.status_code == 403
    assert PAY_ONLY_THROUGH_BATCH.split("：")[0] in r.text
    unpaid(db, claim_id, version)


def test_bulk_pay_from_the_inbox_is_refused_for_every_claim(db, c):
    ids = [approved(db, c) for _ in range(2)]
    versions = [claim_row(db, i).version for i in ids]
    r = sign_in(db, "finance1").submit(
        "/inbox", "/inbox/bulk", {"trigger": "pay", "ids": [str(i) for i in ids]}
    )
    assert r.status_code == 200
    assert r.text.count("发放只能通过发放批次办理") == 2 and "已办理" not in r.text
    for claim_id, version in zip(ids, versions, strict=True):
        unpaid(db, claim_id, version)


def test_the_agent_api_has_no_operation_that_pays(db, clock, tmp_path):
    clock.current = datetime(2026, 11, 20, 10, 0)
    with api_client(db, tmp_path) as api:
        claim_id = claim_in(db, api.county, "hr_reviewed").id
        version = claim_row(db, claim_id).version
        spec = api.client.get("/schema/openapi.json").json()
        operations = {op["operationId"]: path for path, ops in spec["paths"].items() for op in ops.values()}
        assert operations and not [o for o in operations if re.search("pay|confirm", o, re.I)]
        for path in (f"/api/v1/claims/{claim_id}/pay", f"/api/v1/claims/{claim_id}/act"):
            assert api.post(path, json={"trigger": "pay", "version": version}).status_code in (404, 405)
        # its step routes fire their own trigger: a body naming another is refused outright
        r = api.post(f"/api/v1/claims/{claim_id}/withdraw", json={"trigger": "pay", "version": version})
        assert r.status_code == 400
        r = api.post(f"/api/v1/claims/{claim_id}/withdraw", json={"version": version})
        assert r.status_code == 409 and r.json()["code"] == "transition.not_allowed_from_state"
    unpaid(db, claim_id, version)


def test_a_claim_on_an_exported_bank_file_is_paid_once_whatever_route_is_tried(db, c):
    """The double payment of issue 10: the claim is on the bank's file; finance tries the case
    page, the inbox and the service; each is refused, the line stays pending for the bank, and
    the batch confirmation pays it exactly once."""
    claim_id = approved(db, c)
    finance = sign_in(db, "finance1")
    batch = batch_pool.create_batch(db, c.finance, [claim_id])
    assert payouts.bank_file(db, c.finance, batch.id, "csv")  # exported: the bank has it
    version = claim_row(db, claim_id).version
    r = finance.submit(
        f"/claims/{claim_id}", f"/claims/{claim_id}/act", {"trigger": "pay", "version": str(version)}
    )
    assert r.status_code == 403
    finance.submit("/inbox", "/inbox/bulk", {"trigger": "pay", "ids": [str(claim_id)]})
    with pytest.raises(TransitionRefused):
        transition(db, "claim", claim_id, "pay", c.finance)
    unpaid(db, claim_id, version)
    line = line_of(db, claim_id)
    assert (line.status, line.open_claim_id, line.paid_claim_id) == ("pending", claim_id, None)
    assert batch_rows.get_batch(db, batch.id).state == "exported"

    first = payouts.confirm_paid(db, c.finance, batch.id, "YH20261120001", PAID_ON)
    again = payouts.confirm_paid(db, c.finance, batch.id, "YH20261120001", PAID_ON)
    assert [o.outcome for o in first] == ["paid"] and [o.outcome for o in again] == ["already_paid"]
    assert pay_steps(db, claim_id) == 1
    line = line_of(db, claim_id)
    assert (line.status, line.bank_reference, line.paid_amount) == (
        "paid",
        "YH20261120001",
        claim_row(db, claim_id).amount,
    )
    with pytest.raises(TransitionRefused):  # and nothing pays it a second time afterwards
        transition(db, "claim", claim_id, "pay", c.finance)
    with pytest.raises(Exception, match="不是待发放状态"):
        batch_pool.create_batch(db, c.finance, [claim_id])
    assert pay_steps(db, claim_id) == 1

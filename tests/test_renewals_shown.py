"""A renewal is shown as its successor stands: proposed is 续签待审, not 已续签, on the contracts
page, the contract page and the dashboard; a village verifier, who cannot renew, is told what
to do instead of being sent to a button they do not have."""

from __future__ import annotations

from datetime import date

import pytest

from store.contracts.lifecycle import record_insurance, renew_contract
from store.transitions import transition
from workflow.states import RENEWAL_LABELS, renewal_label

from .builders_posts import active_contract
from .page_support import sign_in

pytestmark = pytest.mark.usefixtures("on_28_november_2026")


def ending_row(html: str, contract_id: int) -> str:
    """The contracts page's row of the contract in its 即将到期 table."""
    section = html[html.index('id="ending"') : html.index('id="posts"')]
    start = section.index(f'<a href="/contracts/{contract_id}">{contract_id}</a>')
    return section[start : section.index("</tr>", start)]


def test_the_label_follows_the_successor() -> None:
    assert renewal_label(None) == "未续签"
    assert [renewal_label(s) for s in ("submitted", "village_verified")] == ["续签待审", "续签待审"]
    assert renewal_label("hr_reviewed") == "续签已批准，待生效"
    assert renewal_label("active") == "已续签" and renewal_label("rejected") == "续签未获批准"
    assert renewal_label("a state added later") == "续签待审"  # never 已续签 by default
    assert set(RENEWAL_LABELS) >= {"none", "submitted", "active", "rejected", "returned"}


def test_a_proposed_renewal_is_pending_until_its_successor_takes_effect(db, c) -> None:
    old = active_contract(db, c, date(2026, 1, 1), date(2026, 12, 20), name="格桑")
    successor = renew_contract(db, c.hr, old.id).id
    hr = sign_in(db, "hr1")

    def shown() -> tuple[str, str, str]:
        row = ending_row(hr.get("/contracts").text, old.id)
        page = hr.get(f"/contracts/{old.id}").text
        dashboard = hr.get("/dashboard").text
        return row, page, dashboard[dashboard.index('id="ending"') :]

    row, page, dashboard = shown()
    for html in (row, page, dashboard):
        assert "续签待审" in html and "已续签" not in html, html
    assert f'href="/contracts/{successor}"' in row

    transition(db, "contract", successor, "verify", c.verifier)
    transition(db, "contract", successor, "approve", c.hr2)
    row, page, dashboard = shown()
    assert all("续签已批准，待生效" in html for html in (row, page, dashboard))

    record_insurance(db, c.hr2, successor, "PICC-2027-0001")
    transition(db, "contract", successor, "activate", c.hr2)
    row, page, dashboard = shown()
    assert all("已续签" in html and "待审" not in html for html in (row, page, dashboard))


def test_a_rejected_renewal_is_not_shown_as_renewed(db, c) -> None:
    old = active_contract(db, c, date(2026, 1, 1), date(2026, 12, 20), name="格桑")
    successor = renew_contract(db, c.hr, old.id).id
    transition(db, "contract", successor, "verify", c.verifier)
    transition(db, "contract", successor, "reject", c.hr2, comment="该岗位明年撤销")
    row = ending_row(sign_in(db, "hr1").get("/contracts").text, old.id)
    assert "续签未获批准" in row and "已续签" not in row


def test_the_village_is_told_to_ask_hr_and_hr_sees_the_button(db, c) -> None:
    ending = active_contract(db, c, date(2026, 1, 1), date(2026, 12, 20), name="格桑").id
    village = sign_in(db, "village1").get(f"/contracts/{ending}").text
    assert 'id="renewal-hint"' in village and "续签由县人社局办理" in village
    assert 'id="renew"' not in village
    hr = sign_in(db, "hr1").get(f"/contracts/{ending}").text
    assert 'id="renew"' in hr and 'id="renewal-hint"' not in hr
    far = active_contract(db, c, date(2026, 6, 1), date(2027, 5, 31), name="次仁").id
    assert 'id="renewal-hint"' not in sign_in(db, "village1").get(f"/contracts/{far}").text

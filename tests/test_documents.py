"""Printed documents: each renders from builder data, reads back, embeds its font, and verifies."""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from printing import Stamp, layout, payout_roster
from store.documents.contexts import approval_form_context, roster_lines
from store.documents.issuing import issue, issue_roster
from store.documents.register import verify
from store.models import Claim, Contract, Person
from store.transitions import transition
from tests.builders import claim_in
from tests.builders_payouts import pay_through_batch
from tests.builders_posts import active_contract
from workflow.numerals import capital_yuan

pytestmark = pytest.mark.usefixtures("on_28_november_2026")  # its cases are that day's


ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "documents"
STAMP = Stamp("德人社审〔2026〕000123", "ABCDEFGHJKLMNPQR", "https://fuzhi.example")


def pdf_text(pdf: bytes, tmp_path: Path, page: int | None = None) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(
        ["pdftotext", *pages, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def page_count(pdf: bytes, tmp_path: Path) -> int:
    path = tmp_path / "count.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def assert_fonts_embedded(pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert rows, out
    assert all("CJK" in row for row in rows), out  # one CJK font, no fallback font crept in
    for row in rows:  # columns: name type encoding emb sub uni object ID
        assert row.split()[-5] == "yes", out


def save_page_image(pdf: bytes, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    source = ARTIFACTS / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(source),
            str(ARTIFACTS / name),
        ],
        check=True,
    )
    image = ARTIFACTS / f"{name}.png"
    assert image.stat().st_size > 5000
    return image


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def claim_row(db, claim_id: int) -> Claim:
    with db.transaction() as s:
        return s.get_one(Claim, claim_id)


def id_number_of(db, claim_id: int) -> str:
    with db.transaction() as s:
        person_id = s.get_one(Claim, claim_id).person_id
        return db.vault.decrypt(s.get_one(Person, person_id).id_number_enc)


def test_approval_form_shows_the_person_masked_the_amount_and_every_step(db, c, tmp_path) -> None:
    claim = claim_row(db, claim_in(db, c, "finance_paid").id)
    issued = issue(db, c.hr, "approval_form", claim.id, base_url="https://fuzhi.example")
    text = flat(pdf_text(issued.pdf, tmp_path))
    full_id = id_number_of(db, claim.id)
    assert "卓玛" in text and "德钦县就业帮扶资金审批表" in text
    assert full_id not in text and f"{full_id[:4]}**********{full_id[-4:]}" in text
    assert f"{claim.amount:,.2f}" in text and capital_yuan(claim.amount) in text
    for role in ("申报主体经办人", "村级核实员", "县人社局审核员", "财务"):
        assert role in text
    for step in ("核实通过", "审核通过", "确认发放"):
        assert step in text
    assert "签字（盖章）" in text
    assert issued.number in text and issued.code in text
    assert f"https://fuzhi.example/verify/{issued.code}" in text
    assert_fonts_embedded(issued.pdf, tmp_path)
    save_page_image(issued.pdf, "approval_form")


def test_contract_states_parties_post_term_subsidy_and_insurance(db, c, tmp_path) -> None:
    contract = active_contract(db, c)
    issued = issue(db, c.hr, "contract", contract.id)
    text = flat(pdf_text(issued.pdf, tmp_path))
    for part in (
        "乡村公益性岗位协议",
        "升平镇阿东村村民委员会",
        "卓玛",
        "保洁员",
        "2026年1月1日",
        "2026年12月31日",
        "800.00",
        "捌佰元整",
        "PICC-2026-0001",
        "意外伤害保险",
        "不超过一年",
        "协议的解除",
    ):
        assert part in text, part
    assert_fonts_embedded(issued.pdf, tmp_path)
    save_page_image(issued.pdf, "contract")


def test_renewal_notice_names_the_end_date_and_how_to_renew(db, c, tmp_path) -> None:
    contract = active_contract(db, c, name="扎西")
    issued = issue(db, c.hr, "renewal_notice", contract.id)
    text = flat(pdf_text(issued.pdf, tmp_path))
    assert "扎西同志" in text and "2026年12月31日到期" in text and "距今33日" in text
    assert "续签" in text
    save_page_image(issued.pdf, "renewal_notice")


def test_rejection_notice_gives_the_reason(db, c, tmp_path) -> None:
    claim = claim_row(db, claim_in(db, c, "village_verified").id)
    transition(db, "claim", claim.id, "reject", c.hr, comment="务工地点与社保缴费地不一致")
    issued = issue(db, c.hr, "rejection_notice", claim.id)
    text = flat(pdf_text(issued.pdf, tmp_path))
    assert "不予批准通知书" in text and "务工地点与社保缴费地不一致" in text
    assert "德钦劳务经纪人扎西" in text and "卓玛" in text and "行政复议" in text
    save_page_image(issued.pdf, "rejection_notice")


def roster_of(n: int) -> list[dict]:
    names = ("卓玛", "扎西次里", "余建国", "和金华", "斯那农布")
    return [
        {
            "name": names[i % len(names)],
            "id_number": f"53342219900101{i:04d}",
            "bank_account": f"621700000000{i:07d}",
            "amount": Decimal(600 + i % 5 * 100) + Decimal("0.5"),
        }
        for i in range(n)
    ]


def test_roster_repeats_its_header_and_totals_every_page(tmp_path) -> None:
    lines = roster_of(65)
    pdf = payout_roster(lines, STAMP, batch_ref="FF2026-0007")
    total = sum(line["amount"] for line in lines)
    pages = page_count(pdf, tmp_path)
    assert pages == 3  # 30 + 30 + 5
    for page in range(1, pages + 1):
        text = flat(pdf_text(pdf, tmp_path, page))
        assert "就业帮扶资金发放花名册" in text and "身份证号" in text and "银行账号" in text
        assert "本页小计" in text and f"第{page}页/共{pages}页" in text
    first = flat(pdf_text(pdf, tmp_path, 1))
    assert "5334******0000" not in first and "5334**********0000" in first  # masked in the roster
    assert "6217***********0000" in first and "621700000000000000" not in first
    page_one = sum(line["amount"] for line in lines[:30])
    assert "本页小计（30笔，30人）" in first and f"{page_one:,.2f}" in first
    last = flat(pdf_text(pdf, tmp_path, pages))
    assert "合计（65笔，65人）" in last and f"{total:,.2f}" in last
    assert f"人民币{capital_yuan(total)}" in last
    assert_fonts_embedded(pdf, tmp_path)
    save_page_image(pdf, "payout_roster")


def test_a_roster_laid_out_in_parallel_parts_reads_the_same(tmp_path, monkeypatch) -> None:
    lines = roster_of(130)
    monkeypatch.setattr(layout, "PAGES_PER_PART", 2)
    serial = payout_roster(lines, STAMP, batch_ref="B", workers=1)
    parallel = payout_roster(lines, STAMP, batch_ref="B", workers=2)
    assert page_count(parallel, tmp_path) == page_count(serial, tmp_path) == 5
    assert pdf_text(parallel, tmp_path) == pdf_text(serial, tmp_path)
    assert_fonts_embedded(parallel, tmp_path)


def test_roster_from_paid_claims_and_its_verification(db, c, tmp_path) -> None:
    claims = [claim_row(db, claim_in(db, c, "finance_paid").id) for _ in range(3)]
    lines = roster_lines(db, [cl.id for cl in claims])
    assert [line["name"] for line in lines] == ["德钦劳务经纪人扎西"] * 3  # 劳务输出 pays the broker
    issued = issue_roster(db, c.finance, 1, "FF2026-0001", lines)
    text = flat(pdf_text(issued.pdf, tmp_path))
    total = sum(cl.amount for cl in claims)
    assert capital_yuan(total) in text and issued.number.startswith("德人社发〔2026〕")
    assert verify(db, issued.code).status == "genuine"


def test_verify_says_genuine_superseded_or_unknown_and_nothing_personal(db, c) -> None:
    claim = claim_row(db, claim_in(db, c, "hr_reviewed").id)
    first = issue(db, c.hr, "approval_form", claim.id)
    assert re.fullmatch(r"德人社审〔2026〕\d{6}", first.number)
    assert re.fullmatch(r"[A-Z2-7]{16}", first.code)
    assert first.sha256 == hashlib.sha256(first.pdf).hexdigest()
    check = verify(db, first.code.lower())
    assert (check.status, check.kind, check.number) == ("genuine", "德钦县就业帮扶资金审批表", first.number)
    assert "卓玛" not in repr(check) and str(claim.amount) not in repr(check)

    assert issue(db, c.agent, "approval_form", claim.id).code == first.code  # unchanged: the same
    pay_through_batch(db, c.finance, claim.id)  # the form now shows it paid: a new version
    second = issue(db, c.hr, "approval_form", claim.id)
    assert second.number != first.number and second.code != first.code
    assert verify(db, first.code).status == "superseded" and verify(db, first.code).genuine
    assert verify(db, second.code).status == "genuine"
    assert verify(db, "MADEUPCODE234567").status == "unknown"
    assert not verify(db, "").genuine


def test_a_failed_rendering_leaves_no_register_entry(db, c, monkeypatch) -> None:
    from store.documents import issuing as documents

    claim = claim_row(db, claim_in(db, c, "hr_reviewed").id)
    monkeypatch.setitem(documents.RENDERERS, "approval_form", lambda ctx, stamp: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        issue(db, c.hr, "approval_form", claim.id)
    monkeypatch.undo()
    assert issue(db, c.hr, "approval_form", claim.id).number == "德人社审〔2026〕000001"


def test_approval_context_reads_the_claim(db, c) -> None:
    claim = claim_row(db, claim_in(db, c, "village_verified").id)
    context = approval_form_context(db, claim.id)
    assert context["person"]["name"] == "卓玛"
    assert ("务工地点", "省外") in context["claim"]["facts"]
    assert [s["label"] for s in context["steps"]] == ["提交申请", "核实通过"]
    # verified, not yet approved: no approved amount, only what the rule computes
    assert context["claim"]["amount"] is None
    assert f"按规则测算 ¥{claim.amount:,.2f}" in context["claim"]["amount_note"]
    assert replace(STAMP, code="X").verify_url == "https://fuzhi.example/verify/X"


def test_every_document_renders_from_the_demo_county(demo, tmp_path) -> None:
    from sqlalchemy import select

    from workflow.roles import Actor, Role

    clerk = Actor(user_id=0, roles=frozenset({Role.HR}), name="系统")
    with demo.transaction() as s:
        per_type = s.execute(
            select(Claim.subsidy_type, Claim.id, Person.name)
            .join(Person)
            .where(Claim.state == "hr_reviewed")
            .order_by(Claim.id)
        ).all()
        rejected = s.scalars(select(Claim.id).where(Claim.state == "rejected").limit(1)).one()
        active = s.scalars(select(Contract.id).where(Contract.state == "active").limit(1)).one()
        paid = s.scalars(select(Claim.id).where(Claim.state == "finance_paid")).all()
    seen: set[str] = set()
    for subsidy_type, claim_id, name in per_type:
        if subsidy_type in seen:
            continue
        seen.add(subsidy_type)
        assert name in flat(pdf_text(issue(demo, clerk, "approval_form", claim_id).pdf, tmp_path))
    assert len(seen) >= 5
    assert "理由如下" in flat(pdf_text(issue(demo, clerk, "rejection_notice", rejected).pdf, tmp_path))
    for kind in ("contract", "renewal_notice"):
        assert "公益性岗位" in flat(pdf_text(issue(demo, clerk, kind, active).pdf, tmp_path))
    lines = roster_lines(demo, paid)
    roster = issue_roster(demo, clerk, 1, "DEMO-1", lines)
    total = sum(line["amount"] for line in lines)
    assert capital_yuan(total) in flat(pdf_text(roster.pdf, tmp_path))
    save_page_image(roster.pdf, "payout_roster_demo")


def test_long_names_print_in_full_wrapped_and_the_page_makes_room(tmp_path) -> None:
    """The payee is whom the bank pays: a long name (an organisation's) is printed whole, on
    two or three lines of a smaller size, and the page holds fewer rows to make room."""
    long = {
        "name": "德钦县奔子栏镇书松村农民专业合作社就业帮扶车间（二期）",
        "id_number": "91533422MA6K12345B",
        "bank_account": "250200000000000008124",
        "amount": Decimal(1),
        "note": "有组织劳务输出就业创业服务补助",
    }
    row = layout.roster_pages([long])[0]["lines"][0]
    assert row["name"] == long["name"] and row["note"] == long["note"]
    assert row["wrap_name"] and row["height"] > layout.ROW_MM
    short = layout.roster_pages([{**long, "name": "扎西·次仁多吉", "note": ""}])[0]["lines"][0]
    assert short["name"] == "扎西·次仁多吉" and not short["wrap_name"] and short["height"] == layout.ROW_MM
    lines = [
        {**long, "payee": f"org:{i}"} if i % 3 == 0 else roster_of(1)[0] | {"payee": f"p:{i}"}
        for i in range(60)
    ]
    pages = layout.roster_pages(lines)
    assert len(pages[0]["lines"]) < 30  # the long rows take room
    assert all(sum(r["height"] for r in p["lines"]) <= 30 * layout.ROW_MM + 0.01 for p in pages)
    pdf = payout_roster(lines, STAMP, batch_ref="B")
    assert page_count(pdf, tmp_path) == len(pages)  # the layout engine agrees with the pagination
    text = flat(pdf_text(pdf, tmp_path, 1))
    assert flat(long["name"]) in text and "…" not in text
    save_page_image(pdf, "payout_roster_long_names")


def test_the_roster_counts_people_not_lines(db, c, tmp_path) -> None:
    """Two claims of one payee are two lines and one person (labour-export claims pay the broker)."""
    claims = [claim_row(db, claim_in(db, c, "finance_paid").id) for _ in range(3)]
    lines = roster_lines(db, [cl.id for cl in claims])
    assert len({line["payee"] for line in lines}) == 1
    pdf = payout_roster(lines, STAMP, batch_ref="B")
    text = flat(pdf_text(pdf, tmp_path))
    assert "本页小计（3笔，1人）" in text and "合计（3笔，1人）" in text
    assert "德钦劳务经纪人扎西" in text

"""Posts and contracts in the browser: set up a post, propose, verify, approve, insure,
activate, end early, renew; scope, CSRF, conflicts and the one-year rule on the server."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from store.contracts.posts import PostInput, create_post
from store.models import Contract, Person, Post

from .builders import person
from .builders_posts import active_contract
from .page_support import csrf_of, sign_in

pytestmark = pytest.mark.usefixtures("on_28_november_2026")  # its cases are that day's


def post_in(db, c, village=None, title="保洁员", places=1, graduate=False) -> int:
    with db.transaction() as s:
        return create_post(
            s, c.hr, PostInput(village or c.village, title, Decimal("800"), places, graduate)
        ).id


def version_of(db, contract_id: int) -> int:
    with db.sessions() as s:
        return s.get(Contract, contract_id).version


def act(browser, contract_id: int, db, **fields):  # type: ignore[no-untyped-def]
    page = f"/contracts/{contract_id}"
    return browser.submit(page, f"{page}/act", {"version": version_of(db, contract_id), **fields})


def propose(browser, post_id: int, person_id: int, start: str, end: str):  # type: ignore[no-untyped-def]
    return browser.submit(
        f"/contracts/new?post_id={post_id}",
        "/contracts",
        {
            "post_id": post_id,
            "person_id": person_id,
            "start_date": start,
            "end_date": end,
            "kind": "service_agreement",
        },
    )


def contract_id_of(response) -> int:  # type: ignore[no-untyped-def]
    match = re.fullmatch(r"/contracts/(\d+)\?done=\w+", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


def test_a_contract_goes_from_proposal_to_early_termination_in_the_browser(db, c, clock):
    clock.current = datetime(2026, 11, 28, 10)
    hr1, hr2, village1 = sign_in(db, "hr1"), sign_in(db, "hr2"), sign_in(db, "village1")
    r = hr1.submit(
        "/contracts/posts/new",
        "/contracts/posts",
        {"village_id": c.village, "title": "护路员", "monthly_subsidy": "800", "places": "2"},
    )
    assert r.status_code == 303
    with db.sessions() as s:
        post = s.scalars(select(Post).where(Post.title == "护路员")).one()
    listing = hr1.get("/contracts").text
    assert "护路员" in listing and "800.00" in listing

    pid = person(db, c.village, name="卓玛")
    with db.sessions() as s:
        last4 = db.vault.tail(s.get(Person, pid).id_number_enc)
    form = hr1.get(f"/contracts/new?post_id={post.id}&q={last4}").text
    assert "卓玛" in form and f"**********{last4}" in form
    r = propose(hr1, post.id, pid, "2026-11-01", "2027-10-31")
    assert r.status_code == 303
    cid = contract_id_of(r)

    page = village1.get(f"/contracts/{cid}").text
    assert "核实通过" in page and "已提交" in page and "5334**********" in page
    assert act(village1, cid, db, trigger="verify").status_code == 303

    page = hr1.get(f"/contracts/{cid}").text
    assert 'value="approve"' not in page  # hr1 proposed it: separation of duties
    refused = act(hr1, cid, db, trigger="approve")
    assert refused.status_code == 403 and "同一人不得在同一案件上办理两个环节" in refused.text

    assert 'value="approve"' in hr2.get(f"/contracts/{cid}").text
    assert act(hr2, cid, db, trigger="approve").status_code == 303
    page = hr2.get(f"/contracts/{cid}").text
    assert "人社已审核" in page and 'value="record_insurance"' in page
    assert 'value="activate"' not in page  # not before the insurance is recorded
    assert act(hr2, cid, db, trigger="record_insurance", policy_no="PICC-2026-0042").status_code == 303
    page = hr2.get(f"/contracts/{cid}").text
    assert "PICC-2026-0042" in page and 'value="activate"' in page
    assert act(hr2, cid, db, trigger="activate").status_code == 303
    assert "履约中" in hr2.get(f"/contracts/{cid}").text

    no_reason = act(hr2, cid, db, trigger="terminate", comment="  ", terminated_on="2026-11-20")
    assert no_reason.status_code == 403 and "必须填写意见或原因" in no_reason.text
    assert (
        'name="terminated_on" type="date" required max="2026-11-28" value="2026-11-28"'
        in hr2.get(f"/contracts/{cid}").text
    )  # today is offered, and nothing later
    no_date = act(hr2, cid, db, trigger="terminate", comment="本人外出务工")
    assert no_date.status_code == 422 and "有序退岗须填写“退岗日期（最后在岗日）”" in no_date.text
    to_come = act(hr2, cid, db, trigger="terminate", comment="本人外出务工", terminated_on="2026-11-29")
    assert to_come.status_code == 422 and "不能晚于2026-11-28（今天）" in to_come.text
    too_early = act(hr2, cid, db, trigger="terminate", comment="本人外出务工", terminated_on="2026-10-30")
    assert too_early.status_code == 422 and "不能早于协议开始日期2026-11-01" in too_early.text
    assert "履约中" in hr2.get(f"/contracts/{cid}").text
    assert (
        act(hr2, cid, db, trigger="terminate", comment="本人外出务工", terminated_on="2026-11-20").status_code
        == 303
    )
    page = hr2.get(f"/contracts/{cid}").text
    assert "已退岗" in page and "退岗原因" in page and "本人外出务工" in page
    assert "退岗日期</dt><dd>2026-11-20" in page
    with db.sessions() as s:
        assert s.get(Contract, cid).terminated_on == date(2026, 11, 20)
    timeline = page.split("办理记录")[-1]
    for step in ("拟定协议", "核实通过", "审核通过", "登记意外伤害保险", "生效", "有序退岗"):
        assert step in timeline
    assert "您目前不能对该协议进行任何操作" in page


def test_renewal_creates_the_successor_from_the_day_after(db, c):
    old = active_contract(db, c)
    hr1 = sign_in(db, "hr1")
    r = act(hr1, old.id, db, trigger="renew", end_date="2027-12-31")
    assert r.status_code == 303
    new_id = contract_id_of(r)
    assert new_id != old.id
    with db.sessions() as s:
        successor = s.get(Contract, new_id)
        assert (successor.start_date, successor.end_date) == (date(2027, 1, 1), date(2027, 12, 31))
        assert successor.predecessor_id == old.id and successor.state == "submitted"
    page = hr1.get(f"/contracts/{new_id}").text
    assert f'href="/contracts/{old.id}"' in page and "续签自" in page
    old_page = hr1.get(f"/contracts/{old.id}").text
    assert f'href="/contracts/{new_id}"' in old_page and 'value="renew"' not in old_page


def test_contracts_ending_within_30_days_are_highlighted_with_days_left(db, c):
    active_contract(db, c, end=date(2026, 12, 20), name="卓玛")  # today is 2026-11-28
    active_contract(db, c, end=date(2026, 12, 31), name="拉姆")
    page = sign_in(db, "hr1").get("/contracts").text
    ending = page.split('id="ending"')[1].split("</section>")[0]
    assert "卓玛" in ending and "剩22天" in ending and "拉姆" not in ending
    only_active = sign_in(db, "finance1").get("/contracts?status=submitted").text
    assert "没有符合条件的协议" in only_active


def test_posts_list_marks_graduate_posts_and_counts_places_taken(db, c):
    active_contract(db, c)  # takes the one place of a 保洁员 post in village 1
    post_in(db, c, title="大学生公岗", graduate=True)
    page = sign_in(db, "village1").get("/contracts").text
    village = page.split('id="village-')[1].split("</details>")[0]
    assert "大学生公岗" in village and "已设大学生公岗" in village
    assert "名额 1/2" in village and "已满" in village
    assert "设立岗位" not in page  # a village verifier does not set up posts


def test_another_village_cannot_see_the_contract_or_the_post(db, c):
    contract = active_contract(db, c, name="卓玛")
    village2 = sign_in(db, "village2")
    assert village2.get(f"/contracts/{contract.id}").status_code == 404
    page = village2.get("/contracts").text
    assert "卓玛" not in page and "阿东村" not in page and "巨水村" in page
    token = csrf_of(page)
    r = village2.client.post(
        f"/contracts/{contract.id}/act",
        data={"trigger": "terminate", "comment": "x", "version": contract.version, "_csrf_token": token},
    )
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("user", "path", "status"),
    [
        ("village1", "/contracts/posts/new", 403),
        ("village1", "/contracts/new?post_id={post}", 403),
        ("finance1", "/contracts/new?post_id={post}", 403),
        ("finance1", "/contracts", 200),
        ("hr1", "/contracts/posts/new", 200),
        ("hr1", "/contracts/new?post_id={post}", 200),
    ],
)
def test_only_hr_sets_up_posts_and_proposes(db, c, user, path, status):
    post = post_in(db, c)
    assert sign_in(db, user).get(path.format(post=post)).status_code == status


def test_forms_without_their_csrf_token_are_refused(db, c):
    contract = active_contract(db, c)
    hr1 = sign_in(db, "hr1")
    r = hr1.client.post(
        f"/contracts/{contract.id}/act",
        data={"trigger": "terminate", "comment": "x", "version": contract.version},
    )
    assert r.status_code == 403
    r = hr1.client.post(
        "/contracts/posts",
        data={"village_id": c.village, "title": "保洁员", "monthly_subsidy": "800", "places": "1"},
    )
    assert r.status_code == 403
    assert "履约中" in hr1.get(f"/contracts/{contract.id}").text


def test_a_term_over_one_year_shows_the_rules_message(db, c):
    post = post_in(db, c)
    pid = person(db, c.village, name="卓玛")
    r = propose(sign_in(db, "hr1"), post, pid, "2026-12-01", "2027-12-01")
    assert r.status_code == 422
    assert "协议每次签订期限不得超过1年（最晚至2027-11-30）" in r.text
    assert "卓玛" in r.text and 'value="2027-12-01"' in r.text  # what was typed stays
    with db.sessions() as s:
        assert s.scalar(select(Contract.id)) is None


def test_a_stale_form_gets_the_conflict_message(db, c):
    contract = active_contract(db, c)
    hr1 = sign_in(db, "hr1")
    token = csrf_of(hr1.get(f"/contracts/{contract.id}").text)
    seen = contract.version
    first = hr1.client.post(
        f"/contracts/{contract.id}/act",
        follow_redirects=False,
        data={"trigger": "record_insurance", "policy_no": "PICC-2", "version": seen, "_csrf_token": token},
    )
    assert first.status_code == 303
    second = hr1.client.post(
        f"/contracts/{contract.id}/act",
        data={"trigger": "terminate", "comment": "外出务工", "version": seen, "_csrf_token": token},
    )
    assert second.status_code == 409 and "该协议已被其他人处理或修改" in second.text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"monthly_subsidy": "-1"}, "“月补贴”不能为负数"),
        ({"monthly_subsidy": "八百"}, "“月补贴”须为金额数字（元）"),
        ({"places": "0"}, "名额须为1至999个"),
        ({"title": " "}, "缺少“岗位名称”"),
        ({"graduate_post": "1", "places": "2"}, "大学生公岗每村1个，名额只能为1个"),
    ],
)
def test_a_post_form_with_a_mistake_says_what_is_wrong(db, c, fields, message):
    r = sign_in(db, "hr1").submit(
        "/contracts/posts/new",
        "/contracts/posts",
        {"village_id": c.village, "title": "保洁员", "monthly_subsidy": "800", "places": "1", **fields},
    )
    assert r.status_code in (400, 422) and message in r.text
    with db.sessions() as s:
        assert s.scalar(select(Post.id)) is None


def test_one_graduate_post_per_village(db, c):
    post_in(db, c, title="大学生公岗", graduate=True)
    r = sign_in(db, "hr1").submit(
        "/contracts/posts/new",
        "/contracts/posts",
        {
            "village_id": c.village,
            "title": "大学生公岗",
            "monthly_subsidy": "2000",
            "places": "1",
            "graduate_post": "1",
        },
    )
    assert r.status_code == 422 and "每村只设1个大学生公岗" in r.text


def test_people_are_found_only_in_the_posts_village(db, c):
    post = post_in(db, c)
    person(db, c.village, name="卓玛")
    person(db, c.other_village, name="卓嘎")
    page = sign_in(db, "hr1").get(f"/contracts/new?post_id={post}&q=卓").text
    assert "卓玛" in page and "卓嘎" not in page
    stranger = person(db, c.other_village, name="拉姆")
    r = propose(sign_in(db, "hr2"), post, stranger, "2026-12-01", "2027-11-30")
    assert r.status_code == 422 and "公益性岗位须安置本村人员" in r.text


def test_the_pages_render_in_english_too(db, c):
    contract = active_contract(db, c)
    hr1 = sign_in(db, "hr1")
    hr1.get("/lang/en")
    with db.sessions() as s:
        post_id = s.get(Contract, contract.id).post_id
    for path in (
        "/contracts",
        f"/contracts/{contract.id}",
        "/contracts/posts/new",
        f"/contracts/new?post_id={post_id}&q=卓",
    ):
        r = hr1.get(path)
        assert r.status_code == 200 and 'lang="en"' in r.text, path
    assert hr1.get("/contracts/new", follow_redirects=False).status_code in (302, 303)

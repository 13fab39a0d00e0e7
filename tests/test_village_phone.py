"""The village officer on a phone over a weak connection: a form sent twice is one action
(「已办理」, never 「已被其他人处理」), what was typed survives an expired session and a stale CSRF
token, and every POST form of the pages carries both tokens."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from store.idempotency import keep_form_outcome, take_form_token
from store.models import ClaimHistory, StaffSession
from web.pages import once

from .builders import County, claim_in, export_claim, person
from .village_support import phones

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
POST_FORM = re.compile(r"<form\b[^>]*method=\"post\"[^>]*>(.*?)</form>", re.S | re.I)
CONFLICT = "已被其他人处理"


@pytest.fixture
def phone(db, tmp_path):
    with phones(db, tmp_path / "files") as open_as:
        yield open_as


def steps_of(db, claim_id: int, trigger: str) -> int:
    with db.transaction() as s:
        return s.scalar(
            select(func.count()).where(ClaimHistory.claim_id == claim_id, ClaimHistory.trigger == trigger)
        )


def test_every_post_form_of_the_pages_carries_the_csrf_and_the_one_time_token() -> None:
    forms = [
        (path.name, body)
        for path in TEMPLATES.rglob("*.html")
        for body in POST_FORM.findall(path.read_text())
    ]
    assert len(forms) >= 30  # the scan finds the forms (login, logout, steps, admin, payouts…)
    missing = [name for name, body in forms if "csrf_input" not in body or "once_input()" not in body]
    assert missing == []


def test_a_step_sent_again_with_the_same_token_is_answered_done_not_conflict(db, c: County, phone) -> None:
    claim = export_claim(db, c, person(db, c.village))
    village = phone("village1")
    page = f"/claims/{claim.id}"
    tokens = village.tokens(page, f"{page}/act")
    first = village.post(f"{page}/act", {"trigger": "verify"}, tokens)
    assert first.status_code == 303 and first.headers["location"] == f"{page}?done=verify"
    # The answer was lost on the way; the officer presses the same button on the same page again.
    again = village.post(f"{page}/act", {"trigger": "verify"}, tokens)
    assert again.status_code == 303 and again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    shown = village.get(again.headers["location"]).text
    assert "已办理" in shown and CONFLICT not in shown
    assert steps_of(db, claim.id, "verify") == 1


def test_without_the_same_token_a_second_press_is_a_conflict(db, c: County, phone) -> None:
    """The control: the page answered 「已被其他人处理」 before, and still does for a new form."""
    claim = export_claim(db, c, person(db, c.village))
    village = phone("village1")
    page = f"/claims/{claim.id}"
    tokens = village.tokens(page, f"{page}/act")
    assert village.post(f"{page}/act", {"trigger": "verify"}, tokens).status_code == 303
    stale = {**tokens, "_once": "another-form-token-0001"}
    r = village.post(f"{page}/act", {"trigger": "verify"}, stale)
    assert r.status_code == 409 and CONFLICT in r.text


def test_tokens_are_the_user_s_own(db, c: County, phone) -> None:
    """Another user's form with the same token value is a form of its own."""
    from store.access.users import create_user

    with db.transaction() as s:
        create_user(
            s, db, username="village1b", password="password-123", roles=["village"], village_ids=[c.village]
        )
    one, two = (export_claim(db, c, person(db, c.village)) for _ in range(2))
    a, b = phone("village1"), phone("village1b")
    shared = "the-same-token-value-0001"
    ta = {**a.tokens(f"/claims/{one.id}", f"/claims/{one.id}/act"), "_once": shared}
    tb = {**b.tokens(f"/claims/{two.id}", f"/claims/{two.id}/act"), "_once": shared}
    assert a.post(f"/claims/{one.id}/act", {"trigger": "verify"}, ta).status_code == 303
    r = b.post(f"/claims/{two.id}/act", {"trigger": "verify"}, tb)
    assert r.status_code == 303 and "idempotent-replayed" not in r.headers
    assert steps_of(db, two.id, "verify") == 1


def test_a_refused_form_gives_its_token_back_to_be_corrected(db, c: County, phone) -> None:
    claim = export_claim(db, c, person(db, c.village))
    village = phone("village1")
    page = f"/claims/{claim.id}"
    tokens = village.tokens(page, f"{page}/act")
    refused = village.post(f"{page}/act", {"trigger": "return"}, tokens)  # a return needs a reason
    assert refused.status_code >= 400
    r = village.post(f"{page}/act", {"trigger": "return", "comment": "缺少务工收入证明"}, tokens)
    assert r.status_code == 303 and "idempotent-replayed" not in r.headers
    assert steps_of(db, claim.id, "return") == 1


def test_the_same_token_with_other_fields_is_refused_with_a_way_on(db, c: County, phone) -> None:
    claim = export_claim(db, c, person(db, c.village))
    village = phone("village1")
    page = f"/claims/{claim.id}"
    tokens = village.tokens(page, f"{page}/act")
    assert village.post(f"{page}/act", {"trigger": "verify"}, tokens).status_code == 303
    r = village.post(f"{page}/act", {"trigger": "return", "comment": "再退回"}, tokens)
    assert r.status_code == 409 and "已经提交过" in r.text and f'href="{page}?done=verify"' in r.text
    assert 'data-code="form.already_sent"' in r.text
    assert steps_of(db, claim.id, "return") == 0


def test_a_page_answer_is_replayed_as_it_was(db, c: County, phone) -> None:
    """A form answered with a page (not a redirect) gets the same page again."""
    claims = [export_claim(db, c, person(db, c.village)) for _ in range(2)]
    village = phone("village1")
    tokens = village.tokens("/inbox", "/inbox/bulk")
    fields = {"trigger": "verify", "ids": [str(x.id) for x in claims]}
    first = village.post("/inbox/bulk", fields, tokens, headers={"accept-encoding": "br, gzip"})
    again = village.post("/inbox/bulk", fields, tokens, headers={"accept-encoding": "br, gzip"})
    assert first.status_code == again.status_code < 400
    assert again.text == first.text and again.headers["idempotent-replayed"] == "true"
    assert all(steps_of(db, x.id, "verify") == 1 for x in claims)


def test_a_second_sending_waits_for_the_first_then_gets_its_outcome(
    db, c: County, phone, monkeypatch
) -> None:
    claim = export_claim(db, c, person(db, c.village))
    village = phone("village1")
    page = f"/claims/{claim.id}"
    tokens = village.tokens(page, f"{page}/act")
    sent = once.fingerprint(db, f"{page}/act", _form({"trigger": "verify", "version": tokens["version"]}))
    user = c.verifier.user_id
    assert take_form_token(db, user, tokens["_once"], sent) is None  # the first is being handled
    monkeypatch.setattr(once, "WAIT_SECONDS", 0.3)
    r = village.post(f"{page}/act", {"trigger": "verify"}, tokens)
    assert r.status_code == 409 and "正在办理中" in r.text  # it never finished within the wait
    keep_form_outcome(db, user, tokens["_once"], 303, f"{page}?done=verify")
    r = village.post(f"{page}/act", {"trigger": "verify"}, tokens)
    assert r.status_code == 303 and r.headers["idempotent-replayed"] == "true"


def test_a_first_sending_abandoned_long_ago_is_taken_over(db, c: County, phone) -> None:
    from store.idempotency.models import FormToken

    claim = export_claim(db, c, person(db, c.village))
    village = phone("village1")
    page = f"/claims/{claim.id}"
    tokens = village.tokens(page, f"{page}/act")
    with db.transaction() as s:
        s.add(
            FormToken(
                user_id=c.verifier.user_id,
                token=tokens["_once"],
                request_hash="0" * 64,
                status=0,
                body="",
                content_type="",
                created_at=db.clock.now() - timedelta(minutes=5),  # its server died
            )
        )
    r = village.post(f"{page}/act", {"trigger": "verify"}, tokens)
    assert r.status_code == 303 and "idempotent-replayed" not in r.headers
    assert steps_of(db, claim.id, "verify") == 1


def _form(fields: dict[str, str]):  # type: ignore[no-untyped-def]
    from litestar.datastructures import FormMultiDict

    return FormMultiDict(fields)


def expire_sessions(db) -> None:
    with db.transaction() as s:
        s.execute(update(StaffSession).values(last_seen_at=db.clock.now() - timedelta(minutes=31)))


HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def test_an_expired_session_keeps_the_typed_reason_and_signs_in_back_to_the_case(
    db, c: County, phone
) -> None:
    claim = export_claim(db, c, person(db, c.village))
    village = phone("village1")
    page = f"/claims/{claim.id}"
    tokens = village.tokens(page, f"{page}/act")
    expire_sessions(db)  # half an hour with the phone in the pocket
    reason = "缺少务工收入证明，请补充<工资条>"
    r = village.post(
        f"{page}/act",
        {"trigger": "return", "comment": reason},
        tokens,
        headers={"referer": f"http://testserver.local{page}"},
    )
    assert r.status_code == 401 and "登录已超时" in r.text and "您填写的内容已保留" in r.text
    hidden = dict(HIDDEN.findall(r.text))
    assert hidden["next"] == page and hidden["draft:step"] == "return"
    assert "draft:comment" in hidden and "_csrf_token" in hidden and "version" not in hidden
    fields = {k: v.replace("&lt;", "<").replace("&gt;", ">") for k, v in hidden.items()}
    signed = village.client.post(
        "/login", data={**fields, "username": "village1", "password": "password-123"}, follow_redirects=False
    )
    assert signed.status_code == 303 and signed.headers["location"] == f"{page}#restored"
    shown = village.get(page)
    assert reason.replace("<", "&lt;").replace(">", "&gt;") in shown.text  # in the textarea, escaped
    assert "已恢复您先前填写但未能提交的内容" in shown.text and "退回" in shown.text
    assert "fuzhi_draft" not in village.client.cookies  # put back once, then gone
    assert reason not in village.get(page).text.replace("&lt;", "<").replace("&gt;", ">")
    r = village.post_form(page, f"{page}/act", {"trigger": "return", "comment": reason})
    assert r.status_code == 303 and steps_of(db, claim.id, "return") == 1


def test_an_expired_session_keeps_the_attendance_days(db, c: County, phone) -> None:
    """Without a Referer the case page is found from the form's action."""
    claim = export_claim(db, c, person(db, c.village))
    village = phone("village1")
    page = f"/claims/{claim.id}"
    tokens = village.tokens(page, f"{page}/act")
    expire_sessions(db)
    r = village.post(f"{page}/act", {"trigger": "verify", "attendance_days": "19"}, tokens)
    hidden = dict(HIDDEN.findall(r.text))
    assert r.status_code == 401 and hidden["next"] == page and hidden["draft:attendance_days"] == "19"


def test_a_stale_csrf_token_says_the_page_expired_and_leads_back_with_the_draft(db, c: County, phone) -> None:
    claim = export_claim(db, c, person(db, c.village))
    village = phone("village1")
    page = f"/claims/{claim.id}"
    tokens = village.tokens(page, f"{page}/act")
    village.client.cookies.delete("fuzhi_csrf")  # the browser lost the cookie the token pairs with
    village.client.cookies.set("fuzhi_csrf", "0" * 128, domain="testserver.local")
    origin = {"origin": "http://testserver.local", "referer": f"http://testserver.local{page}"}
    r = village.post(f"{page}/act", {"trigger": "return", "comment": "照片不清楚"}, tokens, headers=origin)
    assert r.status_code == 403
    assert "页面已过期，请刷新后重新提交" in r.text and "无权" not in r.text
    assert f'href="{page}#restored"' in r.text and 'data-code="csrf.stale"' in r.text
    assert "fuzhi_csrf" not in village.client.cookies  # the cookie that cannot match is dropped
    back = village.get(page)
    assert "照片不清楚" in back.text and "已恢复" in back.text
    assert steps_of(db, claim.id, "return") == 0
    r = village.post_form(page, f"{page}/act", {"trigger": "return", "comment": "照片不清楚"})
    assert r.status_code == 303  # the page reloaded carries a fresh pair of CSRF token and cookie


def test_a_missing_csrf_token_from_another_site_brings_nothing_back(db, c: County, phone) -> None:
    claim = export_claim(db, c, person(db, c.village))
    village = phone("village1")
    page = f"/claims/{claim.id}"
    r = village.client.post(
        f"{page}/act",
        data={"trigger": "return", "comment": "别人的网站写的"},
        headers={"origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert (
        r.status_code == 403
        and "页面已过期" in r.text
        and "fuzhi_draft" not in r.headers.get("set-cookie", "")
    )
    assert "别人的网站写的" not in village.get(page).text


def test_a_stale_csrf_token_for_a_program_is_a_problem_with_a_code(db, c: County, phone) -> None:
    claim = export_claim(db, c, person(db, c.village))
    village = phone("village1")
    r = village.client.post(
        f"/claims/{claim.id}/act", data={"trigger": "verify"}, headers={"accept": "application/json"}
    )
    assert r.status_code == 403 and r.json()["code"] == "csrf.stale"


def test_other_refusals_still_say_forbidden(db, c: County, phone) -> None:
    finance = phone("finance1")
    r = finance.get("/admin/settings")
    assert r.status_code == 403 and "页面已过期" not in r.text


def test_a_returned_claim_is_still_what_the_verifier_sees(db, c: County, phone) -> None:
    """A closed form does not stop the case page: a returned claim shows, and nothing to do."""
    claim = claim_in(db, c, "returned")
    village = phone("village1")
    assert village.get(f"/claims/{claim.id}").status_code == 200


def test_an_expired_session_on_an_upload_says_the_photo_must_be_chosen_again(db, c: County, phone) -> None:
    claim = export_claim(db, c, person(db, c.village))
    village = phone("village1")
    page = f"/claims/{claim.id}"
    tokens = village.tokens(page, f"{page}/evidence")
    expire_sessions(db)
    r = village.client.post(
        f"{page}/evidence",
        data={**tokens, "kind": "attendance"},
        files=[("file", ("a.jpg", b"\xff\xd8\xff" + b"0" * 100, "image/jpeg"))],
        follow_redirects=False,
    )
    assert r.status_code == 401 and "所选的照片或文件未能保存" in r.text
    assert dict(HIDDEN.findall(r.text))["next"] == page


def test_signing_in_is_never_replayed(db, c: County, phone) -> None:
    """The sign-in form carries a token like every form, but signing in again signs in again
    (a replayed redirect would not carry the new session's cookie)."""
    village = phone("village1")
    tokens = village.tokens("/login", "/login")
    fields = {"username": "village1", "password": "password-123", "next": "/inbox"}
    assert village.post("/login", fields, tokens).status_code == 303
    again = village.post("/login", fields, tokens)
    assert again.status_code == 303 and "idempotent-replayed" not in again.headers
    assert "fuzhi_session" in again.headers.get("set-cookie", "")


def test_two_presses_at_once_on_a_real_server_are_one_step() -> None:
    """The button pressed twice in quick succession (or a retry while the first is still being
    handled): both sendings reach the server together; one step is taken, both get its outcome."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from .live_server import live_server
    from .village_support import form_tokens

    made: list[int] = []

    def prepare(db) -> None:  # type: ignore[no-untyped-def]
        from .builders import county

        c = county(db)
        made.append(export_claim(db, c, person(db, c.village)).id)

    with live_server(prepare=prepare, extra_env={"FUZHI_INSECURE_COOKIES": "1"}) as live:  # plain http
        page = f"{live.url}/claims/{made[0]}"
        with httpx.Client(headers={"accept": "text/html"}) as signing:
            tokens = form_tokens(signing.get(f"{live.url}/login").text, "/login")
            signing.post(
                f"{live.url}/login", data={**tokens, "username": "village1", "password": "password-123"}
            )
            cookies = dict(signing.cookies)
            tokens = form_tokens(signing.get(page).text, f"/claims/{made[0]}/act")

        def press(_: int) -> httpx.Response:
            with httpx.Client(cookies=cookies, headers={"accept": "text/html"}) as phone:
                return phone.post(f"{page}/act", data={**tokens, "trigger": "verify"})

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(press, range(2)))
        assert [a.status_code for a in answers] == [303, 303], [a.text[:300] for a in answers]
        assert {a.headers["location"] for a in answers} == {f"/claims/{made[0]}?done=verify"}
        assert sorted(a.headers.get("idempotent-replayed", "no") for a in answers) == ["no", "true"]
        assert steps_of(live.db, made[0], "verify") == 1

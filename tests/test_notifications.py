"""Notices: fan-out, the unread count, marking read (one's own only), the notification centre
and its nav badge, and e-mail through a real SMTP server on localhost."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from sqlalchemy import select, update

from store.access.users import create_user
from store.models import User
from store.notices.models import Notification
from store.notices.notifications import (
    Notice,
    for_subject,
    for_user,
    mark_read,
    notify,
    unread_count,
    users_with_role,
    village_users,
)
from store.notices.outbox import send_pending_email
from workflow.config import SmtpSettings
from workflow.errors import ValidationFailed
from workflow.roles import Role

from .page_support import csrf_of, sign_in
from .smtp_sink import free_port

REMINDER = Notice(
    kind="contract_renewal",
    title="合同即将到期：扎西（阿东村保洁员）",
    body="合同将于2026-12-31到期，请及时办理续签或终止。",
    link="/contracts/7",
    subject_type="contract",
    subject_id=7,
)


def send(db, c_now, user_ids, notice=REMINDER) -> int:
    with db.transaction() as s:
        return notify(s, c_now, user_ids, notice)


def ids_of(db, user_id, **kw) -> list[int]:
    with db.sessions() as s:
        return [n.id for n in for_user(s, user_id, **kw)]


def unread(db, user_id) -> int:
    with db.sessions() as s:
        return unread_count(s, user_id)


# --- the store ---------------------------------------------------------------------------


def test_notify_writes_one_row_per_distinct_recipient(db, c):
    now = db.clock.now()
    assert send(db, now, [c.hr.user_id, c.hr2.user_id, c.hr.user_id]) == 2
    assert send(db, now, []) == 0
    assert unread(db, c.hr.user_id) == 1 and unread(db, c.hr2.user_id) == 1
    assert unread(db, c.finance.user_id) == 0


def test_recipients_by_role_and_by_village(db, c):
    with db.sessions() as s:
        assert set(users_with_role(s, Role.HR)) == {c.hr.user_id, c.hr2.user_id}
        assert village_users(s, c.village) == [c.verifier.user_id]
    with db.transaction() as s:
        s.execute(update(User).where(User.id == c.hr2.user_id).values(active=False))
    with db.sessions() as s:
        assert users_with_role(s, Role.HR) == [c.hr.user_id]


def test_a_link_must_stay_in_this_app(db, c):
    for link in ("https://evil.example/x", "//evil.example/x", "/" + "x" * 200):
        with pytest.raises(ValueError), db.transaction() as s:
            notify(s, db.clock.now(), [c.hr.user_id], Notice("k", "t", link=link))


def test_newest_first_unread_filter_and_keyset_paging(db, c):
    now = db.clock.now()
    for i in range(5):
        send(db, now + timedelta(minutes=i), [c.hr.user_id], Notice("k", f"通知{i}"))
    all_ids = ids_of(db, c.hr.user_id)
    assert all_ids == sorted(all_ids, reverse=True) and len(all_ids) == 5
    assert ids_of(db, c.hr.user_id, limit=2) == all_ids[:2]
    assert ids_of(db, c.hr.user_id, before_id=all_ids[1], limit=2) == all_ids[2:4]
    with db.transaction() as s:
        assert mark_read(s, c.hr.user_id, now, [all_ids[0]]) == 1
    assert ids_of(db, c.hr.user_id, unread_only=True) == all_ids[1:]


def test_mark_one_then_all_read_and_only_ones_own(db, c):
    now = db.clock.now()
    send(db, now, [c.hr.user_id, c.hr2.user_id])
    send(db, now, [c.hr.user_id, c.hr2.user_id], Notice("overdue", "逾期未办理"))
    mine, theirs = ids_of(db, c.hr.user_id), ids_of(db, c.hr2.user_id)
    with db.transaction() as s:
        assert mark_read(s, c.hr.user_id, now, theirs) == 0  # ignored, no error
        assert mark_read(s, c.hr.user_id, now, []) == 0  # an empty list is not "all"
        assert mark_read(s, c.hr.user_id, now, [mine[0]]) == 1
        assert mark_read(s, c.hr.user_id, now, [mine[0]]) == 0  # already read
    assert unread(db, c.hr.user_id) == 1 and unread(db, c.hr2.user_id) == 2
    with db.transaction() as s:
        assert mark_read(s, c.hr.user_id, now) == 1
    assert unread(db, c.hr.user_id) == 0 and unread(db, c.hr2.user_id) == 2


def test_for_subject_collapses_the_recipients_copies_but_not_a_later_reminder(db, c):
    now = db.clock.now()
    everyone = [c.hr.user_id, c.hr2.user_id, c.verifier.user_id]
    send(db, now, everyone)
    send(db, now, everyone, Notice("overdue", "逾期", subject_type="contract", subject_id=7))
    send(db, now, [c.hr.user_id], Notice("overdue", "逾期", subject_type="contract", subject_id=8))
    send(db, now + timedelta(days=23), everyone)  # the same reminder again, a week before the end
    with db.sessions() as s:
        about = for_subject(s, "contract", 7)
        assert [(n.kind, n.created_at) for n in about] == [
            ("contract_renewal", now),
            ("overdue", now),
            ("contract_renewal", now + timedelta(days=23)),
        ]
        assert [n.kind for n in for_subject(s, "contract", 7, kinds=["overdue"])] == ["overdue"]
        assert for_subject(s, "contract", 9) == []


def test_create_user_checks_the_email_address(db, c):
    with db.transaction() as s:
        u = create_user(
            s, db, username="hr3", password="password-123", roles=["hr"], email="  hr3@deqin.gov.cn "
        )
        assert u.email == "hr3@deqin.gov.cn"
        assert (
            create_user(s, db, username="hr4", password="password-123", roles=["hr"], email="").email is None
        )
    for bad in ("hr5", "hr5@", "hr5@localhost", "a b@x.cn", "<a@x.cn>", "张@x.cn", "a@x.cn\nBcc: b@y.cn"):
        with pytest.raises(ValidationFailed) as exc, db.transaction() as s:
            create_user(s, db, username="hr5", password="password-123", roles=["hr"], email=bad)
        assert exc.value.code == "validation.email"
        assert exc.value.details["field"] == "email" and "电子邮箱" in exc.value.message


# --- the pages ---------------------------------------------------------------------------


def badge(html: str) -> int:
    match = re.search(r'<span class="badge" data-unread="(\d+)"', html)
    return int(match.group(1)) if match else 0


def test_the_centre_lists_filters_marks_read_and_the_nav_counts(db, c):
    now = db.clock.now()
    send(db, now, [c.hr.user_id])
    send(
        db,
        now + timedelta(minutes=1),
        [c.hr.user_id],
        Notice("overdue", "逾期未审核：申请12", body="已超过办理期限。"),
    )
    browser = sign_in(db, "hr1")
    inbox = browser.get("/inbox").text
    assert badge(inbox) == 2 and 'href="/notifications"' in inbox
    page = browser.get("/notifications").text
    assert page.index("逾期未审核：申请12") < page.index("合同即将到期")  # newest first
    assert "已超过办理期限。" in page and page.count(">未读<") == 2
    newest, older = ids_of(db, c.hr.user_id)

    r = browser.submit("/notifications", f"/notifications/{newest}/read", {"back": "/notifications?unread=1"})
    assert r.status_code == 303 and r.headers["location"] == "/notifications?unread=1"
    assert badge(browser.get("/inbox").text) == 1
    filtered = browser.get("/notifications?unread=1").text
    assert "合同即将到期" in filtered and "逾期未审核" not in filtered
    assert 'name="unread" value="1" checked' in filtered

    # Opening a notice marks it read and goes where it leads; "back" cannot lead off the site.
    r = browser.submit("/notifications", f"/notifications/{older}/read", {"go": "1"})
    assert r.headers["location"] == "/contracts/7"
    r = browser.submit("/notifications", f"/notifications/{older}/read", {"back": "https://evil.example/"})
    assert r.headers["location"] == "/notifications"
    assert unread(db, c.hr.user_id) == 0 and badge(browser.get("/inbox").text) == 0
    assert "没有未读通知" in browser.get("/notifications?unread=1").text


def test_read_all_and_paging(db, c):
    now = db.clock.now()
    for i in range(52):
        send(db, now + timedelta(seconds=i), [c.hr.user_id], Notice("k", f"第{i}号通知"))
    browser = sign_in(db, "hr1")
    first = browser.get("/notifications").text
    assert "第51号通知" in first and "第2号通知" in first and "第1号通知" not in first
    match = re.search(r'href="/notifications\?before=(\d+)"', first)
    assert match
    second = browser.get(f"/notifications?before={match.group(1)}").text
    assert "第1号通知" in second and "第0号通知" in second and "第2号通知" not in second
    assert "before=" not in second.split("回到最新")[1]  # no further page

    r = browser.submit("/notifications", "/notifications/read-all", {})
    assert r.status_code == 303 and r.headers["location"] == "/notifications"
    assert unread(db, c.hr.user_id) == 0 and badge(browser.get("/inbox").text) == 0


def test_another_users_notice_is_neither_shown_nor_changed(db, c):
    send(db, db.clock.now(), [c.hr2.user_id], Notice("overdue", "只给hr2的通知", link="/claims/5"))
    (theirs,) = ids_of(db, c.hr2.user_id)
    browser = sign_in(db, "hr1")
    page = browser.get("/notifications").text
    assert "只给hr2的通知" not in page and "还没有通知" in page and badge(page) == 0
    r = browser.submit("/notifications", f"/notifications/{theirs}/read", {"go": "1"})
    assert r.status_code == 303 and r.headers["location"] == "/notifications"  # not its link
    browser.submit("/notifications", "/notifications/read-all", {})
    assert unread(db, c.hr2.user_id) == 1


def test_marking_read_needs_the_csrf_token(db, c):
    send(db, db.clock.now(), [c.hr.user_id])
    (mine,) = ids_of(db, c.hr.user_id)
    browser = sign_in(db, "hr1")
    csrf_of(browser.get("/notifications").text)  # the page carries one ...
    r = browser.client.post(f"/notifications/{mine}/read", data={}, follow_redirects=False)
    assert r.status_code == 403 and unread(db, c.hr.user_id) == 1  # ... and it is required


def test_every_staff_role_sees_the_centre(db, c):
    send(db, db.clock.now(), [c.verifier.user_id, c.finance.user_id])
    for name in ("village1", "finance1"):
        page = sign_in(db, name).get("/notifications")
        assert page.status_code == 200 and badge(page.text) == 1


# --- e-mail through a real SMTP server ------------------------------------------------------


def set_email(db, user_id: int, email: str | None) -> None:
    with db.transaction() as s:
        s.execute(update(User).where(User.id == user_id).values(email=email))


def email_states(db) -> dict[int, str | None]:
    with db.sessions() as s:
        return {
            uid: state for uid, state in s.execute(select(Notification.user_id, Notification.email_state))
        }


def test_notices_are_emailed_once_to_users_with_an_address(db, c, smtp_server):
    controller, inbox = smtp_server
    set_email(db, c.hr.user_id, "hr1@deqin.gov.cn")
    send(db, db.clock.now(), [c.hr.user_id, c.hr2.user_id])
    settings = SmtpSettings(host="127.0.0.1", port=controller.port, sender="fuzhi@deqin.gov.cn")

    assert send_pending_email(db, settings, base_url="https://fuzhi.deqin.gov.cn") == 1
    assert len(inbox.messages) == 1
    rcpt, msg = inbox.messages[0]
    assert rcpt == ["hr1@deqin.gov.cn"]
    assert str(make_header(decode_header(msg["Subject"]))) == REMINDER.title
    assert msg["To"].addresses[0].addr_spec == "hr1@deqin.gov.cn"
    body = msg.get_content()
    assert REMINDER.body in body and "https://fuzhi.deqin.gov.cn/contracts/7" in body
    assert email_states(db) == {c.hr.user_id: "sent", c.hr2.user_id: "skipped"}  # hr2: no address

    assert send_pending_email(db, settings) == 0  # nothing sent twice
    assert len(inbox.messages) == 1


def test_without_smtp_settings_notices_stay_in_the_centre_only(db, c):
    set_email(db, c.hr.user_id, "hr1@deqin.gov.cn")
    send(db, db.clock.now(), [c.hr.user_id])
    assert send_pending_email(db, None) == 0
    assert email_states(db) == {c.hr.user_id: "skipped"} and unread(db, c.hr.user_id) == 1


def test_a_server_that_is_down_marks_them_failed_quietly(db, c, caplog):
    set_email(db, c.hr.user_id, "hr1@deqin.gov.cn")
    set_email(db, c.hr2.user_id, "hr2@deqin.gov.cn")
    send(db, db.clock.now(), [c.hr.user_id, c.hr2.user_id, c.finance.user_id])
    caplog.set_level(logging.INFO, logger="fuzhi.notifications")

    assert send_pending_email(db, SmtpSettings(host="127.0.0.1", port=free_port())) == 0
    assert email_states(db) == {c.hr.user_id: "failed", c.hr2.user_id: "failed", c.finance.user_id: "skipped"}
    assert caplog.records and "@" not in caplog.text
    assert send_pending_email(db, SmtpSettings(host="127.0.0.1", port=free_port())) == 0  # no retry

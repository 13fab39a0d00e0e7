"""Security headers on every kind of answer (web/security_headers.py): a CSP with no inline script,
frame denial, no-sniff, referrer policy, HSTS only over HTTPS, no-store on personal data while the
static files keep their long cache; and no template carries an inline script or on*= handler."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from litestar.testing import TestClient

from web.app import create_app
from web.security_headers import CSP, SCHEMA_CSP

from .api_support import api_client
from .builders import County, claim_in, export_claim, person
from .builders_payouts import give_payee_an_account
from .page_support import csrf_of, sign_in
from .portal_support import signed_in
from .test_payout_pages import new_batch
from .test_village_evidence import attach, evidence_of
from .village_support import phones, photo

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def assert_guarded(r, *, csp: str = CSP, cache: str | None = "no-store", hsts: bool | None = False) -> None:  # type: ignore[no-untyped-def]
    h = r.headers
    assert h["content-security-policy"] == csp
    assert h["x-frame-options"] == "DENY"
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "same-origin"
    if hsts is not None:  # the signed-in test apps are plain HTTP (secure_cookies=False)
        assert ("strict-transport-security" in h) == hsts
    if cache is not None:
        assert h["cache-control"] == cache


def test_the_policy_allows_no_inline_script_and_no_framing() -> None:
    rules = dict(part.strip().split(" ", 1) for part in CSP.split(";"))
    assert rules["script-src"] == "'self'" and rules["default-src"] == "'self'"
    assert rules["frame-ancestors"] == "'none'" and rules["object-src"] == "'none'"
    assert rules["form-action"] == "'self'" and rules["base-uri"] == "'self'"
    assert "unsafe-eval" not in CSP and "unsafe-inline" not in rules["script-src"]


def test_no_template_has_an_inline_script_or_event_handler() -> None:
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        found += [f"{path.name}: {m.group(0)}" for m in INLINE_SCRIPT.finditer(text)]
        found += [f"{path.name}: {m.group(0)}" for m in HANDLER.finditer(text)]
    assert found == []


def test_the_scan_finds_what_it_looks_for() -> None:
    assert INLINE_SCRIPT.search("<p><script>alert(1)</script>") and HANDLER.search('<a onclick="x()">')
    assert not INLINE_SCRIPT.search('<script src="/static/a.js" defer></script>')
    assert not HANDLER.search('<input data-confirm="x" aria-label="on=">')


def test_a_staff_page_its_export_and_the_bank_file_are_guarded_and_never_kept(db, c: County) -> None:
    ids = [claim_in(db, c, "hr_reviewed").id]
    give_payee_an_account(db, ids[0])
    finance = sign_in(db, "finance1")
    page = finance.get("/payouts")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert_guarded(page)
    assert_guarded(finance.get("/exports/payouts"))
    batch_id = new_batch(finance, ids)
    for kind in ("csv", "xlsx"):
        bank = finance.get(f"/payouts/{batch_id}/bank-file/{kind}")
        assert bank.status_code == 200 and "attachment" in bank.headers["content-disposition"]
        assert_guarded(bank)


def test_an_agent_page_is_guarded(db, c: County, tmp_path) -> None:
    agent = signed_in(db, tmp_path / "files", "agent1")
    r = agent.get("/agent/claims")
    assert r.status_code == 200
    assert_guarded(r)


def test_an_api_answer_and_its_error_are_guarded(db, tmp_path) -> None:
    with api_client(db, tmp_path / "files") as api:
        ok = api.get("/api/v1/claims")
        assert ok.status_code == 200
        assert_guarded(ok, hsts=None)  # its app's cookies follow FUZHI_INSECURE_COOKIES
        refused = api.client.get("/api/v1/claims")
        assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"
        assert_guarded(refused, hsts=None)


def test_evidence_is_never_kept_and_its_thumbnail_only_privately(db, c: County, tmp_path) -> None:
    claim = export_claim(db, c, person(db, c.village))
    with phones(db, tmp_path / "files") as open_as:
        village = open_as("village1")
        assert attach(village, claim.id, photo(800, 600)).status_code == 303
        [e] = evidence_of(db, claim.id)
        assert_guarded(village.get(f"/claims/{claim.id}/evidence/{e.id}"))
        thumb = village.get(f"/claims/{claim.id}/evidence/{e.id}/thumb")
        assert_guarded(thumb, cache=None)
        assert thumb.headers["cache-control"].startswith("private,")  # this browser only


def test_static_files_keep_their_long_cache_and_the_login_page_is_not_kept(db) -> None:
    with TestClient(create_app(db, secure_cookies=False)) as client:
        css = client.get("/static/fuzhi.css?v=1")
        assert_guarded(css, cache="public, max-age=31536000, immutable")
        assert_guarded(client.get("/login"))
        assert_guarded(client.get("/health"))


def test_the_api_browser_has_its_own_looser_script_policy(db) -> None:
    with TestClient(create_app(db, secure_cookies=False)) as client:
        r = client.get("/schema")
        assert r.status_code == 200
        assert_guarded(r, csp=SCHEMA_CSP)
        assert "frame-ancestors 'none'" in SCHEMA_CSP and "unsafe-eval" not in SCHEMA_CSP


@pytest.mark.parametrize("base", ["http://testserver.local", "https://testserver.local"])
def test_hsts_only_when_served_over_https(db, base: str) -> None:
    with TestClient(create_app(db, secure_cookies=False), base_url=base) as client:
        r = client.get("/login")
    assert ("strict-transport-security" in r.headers) == base.startswith("https")
    with TestClient(create_app(db, secure_cookies=True)) as behind_a_proxy:  # TLS ends at the proxy
        assert behind_a_proxy.get("/login").headers["strict-transport-security"] == "max-age=31536000"


def test_an_unknown_address_and_a_refused_host_are_guarded_too(db) -> None:
    with TestClient(create_app(db, secure_cookies=False)) as client:
        missing = client.get("/no-such-page")
        assert missing.status_code == 404
        assert_guarded(missing)
        wrong_host = client.get("/login", headers={"host": "evil.example"})
        assert wrong_host.status_code == 400
        assert_guarded(wrong_host)


def test_a_form_sent_twice_still_gets_its_first_answer_under_no_store(db, c: County) -> None:
    """The hook adds no-store after the once-middleware read the handler's headers: a kept outcome is
    the redirect, not the "secret shown once" notice that no-store stands for there."""
    claim = export_claim(db, c, person(db, c.village))
    village = sign_in(db, "village1")
    page = village.get(f"/claims/{claim.id}").text
    once = re.search(r'name="_once" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    version = re.search(r'name="version" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    fields = {"_csrf_token": csrf_of(page), "_once": once, "version": version, "trigger": "verify"}
    first = village.client.post(f"/claims/{claim.id}/act", data=fields, follow_redirects=False)
    assert first.status_code == 303 and first.headers["cache-control"] == "no-store"
    again = village.client.post(f"/claims/{claim.id}/act", data=fields, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == first.headers["location"]

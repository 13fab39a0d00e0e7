"""The English message catalogue: every text of the pages is translated, the compiled catalogue
matches its source, and the pages come out in English for a user who chose it (Chinese stays the
default)."""

from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from web.i18n import LOCALE_DIR, gettext
from web.locale import collect

from .builders import claim_in
from .page_support import sign_in

ROOT = Path(__file__).resolve().parents[1]
PO = LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "N_": None}  # as make i18n: --no-default-keywords -k _ -k N_
CJK = re.compile(r"[\u3400-\u9fff]")
# Chinese the staff see on every page; none of it may be left on an English page.
UI_WORDS = (
    "待办",
    "退出",
    "筛选",
    "统计",
    "公益性岗位",
    "状态",
    "编号",
    "姓名",
    "办理",
    "返回",
    "补贴",
    "申请",
    "协议",
    "岗位",
    "核实",
    "审核",
    "逾期",
    "行政村",
    "全部",
    "元）",
)


def po_catalog() -> Catalog:
    with PO.open("rb") as f:
        return read_po(f, locale="en")


def extracted() -> dict[str, list[str]]:
    """msgid → where it is, re-extracted now with make i18n's mapping, and the label tables as
    web/locale/collect.py reads them now (so a label added without make i18n counts too)."""
    with (LOCALE_DIR / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str, list[str]] = {}

    def only_ours(path: str) -> bool:
        rel = Path(path).resolve().relative_to(ROOT).parts
        return not rel or (rel[0] in ("web", "templates") and not any(p.startswith((".", "_")) for p in rel))

    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, directory_filter=only_ours
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    labels = io.BytesIO(collect.render().encode("utf-8"))
    for lineno, message, _comments, _context in extract("python", labels, keywords=KEYWORDS):
        found.setdefault(message, []).append(f"web/locale/collect.py (label line {lineno})")
    return found


def test_every_text_of_the_pages_has_an_english_translation() -> None:
    catalog = po_catalog()
    texts = extracted()
    assert len(texts) > 300  # the templates, the pages' Python and the label tables were read
    for sample in (
        "待办",
        "核实通过",
        "人社已审核",
        "乡村公益性岗位补贴",
        "用户名或密码不正确",
        "剩%(n)s天",
        "全劳力",
        "申请·待人社审核",
    ):
        assert sample in texts, sample
    missing = {
        msgid: where
        for msgid, where in texts.items()
        if catalog.get(msgid) is None or not catalog.get(msgid).string or catalog.get(msgid).fuzzy
    }
    assert not missing, (
        f"untranslated (run make i18n, then translate them in {PO.relative_to(ROOT)}): {missing}"
    )


def test_the_translations_are_english_and_keep_their_placeholders() -> None:
    catalog = po_catalog()
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert not problems, problems
    chinese = [m.id for m in catalog if m.id and CJK.search(m.string)]
    assert not chinese, chinese
    for message in catalog:
        names = set(re.findall(r"%\((\w+)\)s", message.id))
        if message.id:
            assert names == set(re.findall(r"%\((\w+)\)s", message.string)), message.id


def test_the_labels_module_is_up_to_date() -> None:
    assert (LOCALE_DIR / "labels.py").read_text(encoding="utf-8") == collect.render(), (
        "web/locale/labels.py is out of date: run make i18n"
    )


def test_the_compiled_catalogue_matches_the_po_file() -> None:
    fresh = io.BytesIO()
    write_mo(fresh, po_catalog())
    fresh.seek(0)
    with MO.open("rb") as f:
        shipped = read_mo(f)
    compiled = read_mo(fresh)

    def messages(catalog: Catalog) -> dict[object, object]:
        return {m.id: m.string for m in catalog if m.id}

    assert messages(shipped) == messages(compiled), (
        f"{MO.relative_to(ROOT)} is older than the .po file: run make i18n"
    )
    assert len(messages(shipped)) > 300


def test_chinese_is_the_default_and_english_is_looked_up() -> None:
    assert gettext("zh_CN", "待办") == "待办"
    assert gettext("fr", "待办") == "待办"  # an unknown language falls back to Chinese
    assert gettext("en", "待办") == "Inbox"
    assert gettext("en", "剩%(n)s天", n=3) == "3 days left"


def test_the_pages_render_in_english_for_a_user_who_chose_it(db, c) -> None:
    claim = claim_in(db, c, "village_verified")
    browser = sign_in(db, "hr1")
    browser.get("/lang/en")
    expected = {
        "/inbox": (
            "Inbox",
            "Sign out",
            "Filter",
            "Subsidy claims waiting for me",
            "Village verified",
            "Organised labour export service grant",
            "Approve",
        ),
        f"/claims/{claim.id}": (
            "Back to inbox",
            "Beneficiary",
            "Amount and basis",
            "History",
            "Approve",
            "Return for correction",
            "Reject",
            "Place of work",
            "Outside the province",
            "County HR reviewer",
        ),
        "/contracts": (
            "Rural public-welfare posts",
            "Posts by village",
            "All statuses",
            "Set up post",
            "No graduate post",
        ),
        "/dashboard": (
            "Dashboard",
            "Plan targets",
            "Subsidy claims",
            "By status",
            "Money",
            "Overdue items",
            "Employment of the labour force",
        ),
    }
    for path, words in expected.items():
        r = browser.get(path)
        assert r.status_code == 200, path
        assert '<html lang="en">' in r.text, path
        text = re.sub(r"<[^>]+>", " ", r.text)
        for word in words:
            assert word in text, (path, word)
        left = [w for w in UI_WORDS if w in text]
        assert not left, (path, left)


def test_messages_of_refused_steps_are_english_too(db, c) -> None:
    claim = claim_in(db, c, "village_verified")
    browser = sign_in(db, "hr1")
    browser.get("/lang/en")
    r = browser.submit(
        f"/claims/{claim.id}", f"/claims/{claim.id}/act", {"trigger": "reject", "version": str(claim.version)}
    )
    assert r.status_code == 403 and "This step needs a comment or reason." in r.text
    r = browser.submit(
        f"/claims/{claim.id}",
        f"/claims/{claim.id}/act",
        {"trigger": "approve", "version": str(claim.version - 1)},
    )
    assert r.status_code == 409 and "Someone else has acted on or changed this claim" in r.text


def test_chinese_remains_the_default(db, c) -> None:
    claim = claim_in(db, c, "village_verified")
    browser = sign_in(db, "hr1")
    for path in ("/inbox", f"/claims/{claim.id}"):
        r = browser.get(path)
        assert r.status_code == 200 and 'lang="zh-CN"' in r.text
        assert "待办" in r.text and "退出" in r.text and "Inbox" not in r.text
    browser.get("/lang/en")
    assert "Inbox" in browser.get("/inbox").text
    browser.get("/lang/zh_CN")
    assert "待办" in browser.get("/inbox").text


def test_the_policy_figures_are_english_too(db, c) -> None:
    """Each figure's label, unit, explanation, the plan's wording and the bureau's mark come
    from the core's FIGURES table (collected by web/locale/collect.py), not from a template."""
    from .builders import add_admin

    add_admin(db)
    browser = sign_in(db, "admin1")
    browser.get("/lang/en")
    r = browser.get("/admin/policy")
    assert r.status_code == 200 and '<html lang="en">' in r.text
    rows = re.findall(r'<tr data-field="[a-z_]+".*?</tr>', r.text, re.S)
    assert len(rows) >= 15
    text = " ".join(re.sub(r"<[^>]+>", " ", row) for row in rows)
    assert "Labour export service grant (outside the province)" in text
    assert "yuan per person" in text and "set yearly by the county HR bureau" in text
    assert not CJK.findall(text), sorted(set(CJK.findall(text)))

"""Evidence attached on the case page by village verifiers and HR (the API's rules: type by
content, size, kinds), shown as cached thumbnails checked like the file itself; 「我办理的」; and
answers compressed, static files cached."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from PIL import Image

from store.claims import acted_claims
from store.claims.staff_evidence import THUMB_PX, thumbnail_path
from store.models import Evidence
from store.transitions import transition

from .builders import County, claim_in, export_claim, person
from .village_support import Phone, phones, photo

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def files(tmp_path):
    return tmp_path / "files"


@pytest.fixture
def phone(db, files):
    with phones(db, files) as open_as:
        yield open_as


def attach(
    p: Phone, claim_id: int, content: bytes, name: str = "photo.jpg", kind: str = "income_proof", **kw
):  # type: ignore[no-untyped-def]
    page = f"/claims/{claim_id}"
    tokens = p.tokens(page, f"{page}/evidence")
    return p.client.post(
        f"{page}/evidence",
        data={**tokens, "kind": kind},
        files=[
            ("file", (name, content, "application/octet-stream")),
            ("file", ("", b"", "application/octet-stream")),
        ],
        follow_redirects=False,
        **kw,
    )


def evidence_of(db, claim_id: int) -> list[Evidence]:
    with db.transaction() as s:
        return list(s.query(Evidence).filter(Evidence.claim_id == claim_id).order_by(Evidence.id))


def test_a_verifier_attaches_a_photo_and_sees_its_thumbnail_with_its_kind(
    db, c: County, phone, files
) -> None:
    claim = export_claim(db, c, person(db, c.village))
    village = phone("village1")
    r = attach(village, claim.id, photo(1600, 1200))
    assert r.status_code == 303 and r.headers["location"] == f"/claims/{claim.id}?attached=1#evidence"
    [e] = evidence_of(db, claim.id)
    assert (e.kind, e.content_type, e.uploaded_by) == ("income_proof", "image/jpeg", c.verifier.user_id)
    page = village.get(f"/claims/{claim.id}?attached=1").text
    assert (
        f'src="/claims/{claim.id}/evidence/{e.id}/thumb"' in page
        and "务工收入证明" in page
        and "材料已上传" in page
    )
    assert f'href="/claims/{claim.id}/evidence/{e.id}"' in page  # the full picture on demand
    thumb = village.get(f"/claims/{claim.id}/evidence/{e.id}/thumb")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert "immutable" in thumb.headers["cache-control"] and "private" in thumb.headers["cache-control"]
    assert "content-encoding" not in thumb.headers  # a JPEG is not compressed again
    with Image.open(BytesIO(thumb.content)) as im:
        assert max(im.size) == THUMB_PX and im.size == (240, 180)
    assert len(thumb.content) < 40_000
    assert thumbnail_path(files, e.sha256).read_bytes() == thumb.content  # kept, made once


def test_a_thumbnail_is_checked_like_the_file(db, c: County, phone) -> None:
    claim = export_claim(db, c, person(db, c.village))
    assert attach(phone("village1"), claim.id, photo(800, 600)).status_code == 303
    [e] = evidence_of(db, claim.id)
    url = f"/claims/{claim.id}/evidence/{e.id}/thumb"
    assert phone("village2").get(url).status_code == 404  # another village's verifier
    assert phone("hr1").get(url).status_code == 200
    other = export_claim(db, c, person(db, c.village))
    assert phone("hr1").get(f"/claims/{other.id}/evidence/{e.id}/thumb").status_code == 404


def test_hr_attaches_a_pdf_shown_with_an_icon(db, c: County, phone) -> None:
    claim = claim_in(db, c, "village_verified")
    hr = phone("hr1")
    assert attach(hr, claim.id, PDF, name="合同.pdf", kind="contract").status_code == 303
    [e] = evidence_of(db, claim.id)
    assert e.content_type == "application/pdf"
    page = hr.get(f"/claims/{claim.id}").text
    assert 'class="doc-icon"' in page and "劳动合同或协议" in page and "合同.pdf" in page
    assert hr.get(f"/claims/{claim.id}/evidence/{e.id}/thumb").status_code == 404


def test_the_api_s_rules_refuse_what_is_no_evidence(db, c: County, phone) -> None:
    claim = export_claim(db, c, person(db, c.village))
    village = phone("village1")
    r = attach(village, claim.id, b"just some text", name="notes.txt")
    assert r.status_code == 422 and "PDF、JPEG或PNG" in r.text
    r = attach(village, claim.id, photo(200, 200), kind="")
    assert r.status_code == 422 and "请选择材料类别" in r.text
    page = f"/claims/{claim.id}"
    tokens = village.tokens(page, f"{page}/evidence")
    r = village.client.post(
        f"{page}/evidence", data={**tokens, "kind": "other"}, files=[("file", ("", b"", "image/jpeg"))]
    )
    assert r.status_code == 422 and "请选择要上传的照片或文件" in r.text
    assert evidence_of(db, claim.id) == []


def test_who_may_attach(db, c: County, phone) -> None:
    claim = export_claim(db, c, person(db, c.village))
    finance = phone("finance1")
    page = f"/claims/{claim.id}"
    shown = finance.get(page).text
    assert f'action="{page}/evidence"' not in shown  # no upload offered to finance
    tokens = finance.tokens(page, "/logout")  # finance's own valid tokens, on a form it made up
    r = finance.client.post(
        f"{page}/evidence",
        data={**tokens, "kind": "other"},
        files=[("file", ("a.pdf", PDF, "application/pdf"))],
    )
    assert r.status_code == 403 and "您的角色不能为申请上传证明材料" in r.text
    assert evidence_of(db, claim.id) == []
    assert phone("village2").get(page).status_code == 404
    closed = claim_in(db, c, "rejected")
    assert 'class="upload"' not in phone("village1").get(f"/claims/{closed.id}").text


def test_finance_may_not_attach_even_with_its_own_form_tokens(db, c: County, phone, files) -> None:
    from store.claims import attach_evidence
    from workflow.errors import TransitionRefused

    claim = export_claim(db, c, person(db, c.village))
    with pytest.raises(TransitionRefused):
        attach_evidence(db, files, c.finance, claim.id, "a.pdf", PDF, "other")
    closed = claim_in(db, c, "rejected")
    from workflow.errors import InvalidTransition

    with pytest.raises(InvalidTransition):
        attach_evidence(db, files, c.hr, closed.id, "a.pdf", PDF, "other")


def test_a_transparent_png_gets_a_white_thumbnail(db, c: County, phone) -> None:
    claim = export_claim(db, c, person(db, c.village))
    out = BytesIO()
    Image.new("RGBA", (600, 300), (0, 0, 0, 0)).save(out, "PNG")
    village = phone("village1")
    assert attach(village, claim.id, out.getvalue(), name="scan.png").status_code == 303
    [e] = evidence_of(db, claim.id)
    with Image.open(BytesIO(village.get(f"/claims/{claim.id}/evidence/{e.id}/thumb").content)) as im:
        assert im.size == (240, 120) and im.getpixel((10, 10)) == (255, 255, 255)


def test_mine_lists_what_the_officer_did_and_where_it_went(db, c: County, phone) -> None:
    verified = export_claim(db, c, person(db, c.village, name="达瓦"))
    returned = export_claim(db, c, person(db, c.village, name="拉姆"))
    untouched = export_claim(db, c, person(db, c.village, name="次仁"))
    transition(db, "claim", verified.id, "verify", c.verifier)
    transition(db, "claim", returned.id, "return", c.verifier, comment="缺少合同")
    transition(db, "claim", verified.id, "approve", c.hr)
    village = phone("village1")
    page = village.get("/mine").text
    assert 'href="/mine"' in page  # in the menu
    assert page.index(f'data-claim="{returned.id}"') < page.index(
        f'data-claim="{verified.id}"'
    )  # newest first
    assert f'data-claim="{untouched.id}"' not in page
    assert "拉姆" in page and "缺少合同" in page and "达瓦" in page
    assert "人社已审核" in page and "hr1（县人社局审核员）审核通过" in page
    assert phone("village2").get("/mine").text.count("data-claim=") == 0


def test_mine_is_paged(db, c: County) -> None:
    made = [export_claim(db, c, person(db, c.village)) for _ in range(5)]
    for claim in made:
        transition(db, "claim", claim.id, "verify", c.verifier)
    first = acted_claims(db, c.verifier, size=2)
    second = acted_claims(db, c.verifier, before=first.next_before, size=2)
    third = acted_claims(db, c.verifier, before=second.next_before, size=2)
    seen = [r.claim_id for page in (first, second, third) for r in page.rows]
    assert seen == [x.id for x in reversed(made)] and third.next_before is None
    assert acted_claims(db, c.other_verifier).rows == []


def test_pages_are_compressed_and_static_files_cached(db, c: County, phone) -> None:
    export_claim(db, c, person(db, c.village))
    village = phone("village1")
    br = village.get("/inbox", headers={"accept-encoding": "br"})
    assert br.headers["content-encoding"] == "br" and "accept-encoding" in br.headers["vary"].lower()
    gz = village.get("/inbox", headers={"accept-encoding": "gzip"})
    assert gz.headers["content-encoding"] == "gzip" and "待我办理的补贴申请" in gz.text
    css_url = re.search(r'href="(/static/fuzhi\.css[^"]*)"', br.text).group(1)  # type: ignore[union-attr]
    assert css_url.startswith("/static/fuzhi.css?v=")
    css = village.get(css_url, headers={"accept-encoding": "br"})
    assert css.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert css.headers["content-encoding"] == "br"
    assert village.get("/static/fuzhi.css").headers["cache-control"] == "public, max-age=3600"

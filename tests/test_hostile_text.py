"""Hostile text (issue 14 §12): numbers in other scripts' digits, superscripts or with invisible
characters, names of only invisible characters or with direction overrides, refused with a code
naming the field, on the API and in a list's rows; full-width digits stored as ASCII digits."""

from __future__ import annotations

import pytest

from store.claims.lists import upload_list
from store.imports import upload_import
from store.models import Organisation, Person
from store.people.org_checks import OrganisationInput
from store.people.persons import PersonInput, checked_values
from store.people.register import register_organisation
from workflow.errors import ValidationFailed
from workflow.identity import normalise_bank_account, normalise_credit_code, normalise_id_number
from workflow.text_input import checked_name, checked_text, plain_number

from .api_support import api_client
from .builders import add_admin, county, id_number
from .builders_imports import PERSON_HEADER, PLACE_HEADER, distinct_ids, xlsx

pytestmark = pytest.mark.usefixtures("on_28_november_2026")

BANK = "6217000000000000123"
FULL_WIDTH = "".join(chr(ord(d) - ord("0") + 0xFF10) for d in BANK)  # ６２１７…
ARABIC_INDIC = "".join(chr(ord(d) - ord("0") + 0x0660) for d in BANK)  # ٦٢١٧…
DEVANAGARI = "".join(chr(ord(d) - ord("0") + 0x0966) for d in BANK)  # ६२१७…
SUPERSCRIPT = BANK[:-3] + "¹²³"  # NFKC would make it 123
ZERO_WIDTH_INSIDE = BANK[:6] + "\u200b" + BANK[6:]
HOSTILE_BANKS = [ARABIC_INDIC, DEVANAGARI, SUPERSCRIPT, ZERO_WIDTH_INSIDE]
HOSTILE_NAMES = {
    "\u200b": "validation.invisible_character",  # a zero-width space and nothing else
    "\ufeff\u200d": "validation.invisible_character",  # BOM and ZWJ
    "卓\u200b玛": "validation.invisible_character",  # looks like 卓玛, is not
    "\u202e玛卓": "validation.bidi_control",  # right-to-left override
    "卓玛\u2067": "validation.bidi_control",
    "卓玛\u200f": "validation.bidi_control",
}


@pytest.fixture
def api(db, tmp_path):
    with api_client(db, tmp_path / "files") as client:
        yield client


def register(api, **extra):
    body = {"name": "卓玛", "id_number": id_number(), "village_code": "533422101001", **extra}
    return api.post("/api/v1/persons", json=body)


def problem_of(r) -> tuple[str, str]:
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["detail"]  # Chinese, for people
    return body["code"], body["errors"][0]["field"]


@pytest.mark.parametrize("bank", HOSTILE_BANKS, ids=["arabic-indic", "devanagari", "superscript", "zwsp"])
def test_a_bank_account_in_other_digits_is_refused_by_the_api(api, bank):
    assert problem_of(register(api, bank_account=bank)) == ("validation.bank_account_digits", "bank_account")


@pytest.mark.parametrize("name", list(HOSTILE_NAMES), ids=range(len(HOSTILE_NAMES)))
def test_an_invisible_or_overridden_name_is_refused_by_the_api(api, name):
    assert problem_of(register(api, name=name)) == (HOSTILE_NAMES[name], "name")


def test_odd_digits_in_id_number_and_phone_are_refused_by_the_api(api):
    number = id_number()
    arabic = "".join(chr(ord(d) - ord("0") + 0x0660) if d.isdigit() else d for d in number)
    assert problem_of(register(api, id_number=arabic)) == ("validation.id_number_digits", "id_number")
    assert problem_of(register(api, phone="१३८१२३४५६७८")) == ("validation.phone_digits", "phone")


def test_full_width_digits_are_accepted_and_stored_as_ascii(api, db):
    number = id_number()
    wide_id = "".join(chr(ord(d) - ord("0") + 0xFF10) if d.isdigit() else d for d in number)
    r = register(api, id_number=wide_id, bank_account=FULL_WIDTH, phone="１３８１２３４５６７８")
    assert r.status_code == 201, r.text
    assert r.json()["id_number_masked"] == number[:4] + "*" * 10 + number[-4:]
    with db.sessions() as s:
        person = s.get(Person, r.json()["id"])
        assert db.vault.decrypt(person.bank_account_enc) == BANK
        assert db.vault.decrypt(person.id_number_enc) == number
        assert (person.bank_last4, person.phone) == (BANK[-4:], "13812345678")


@pytest.mark.parametrize("name", ["次仁·卓玛", "阿卜杜拉·买买提", "卓玛", "扎西 次仁"])
def test_han_and_tibetan_names_with_a_middle_dot_are_accepted(api, name):
    r = register(api, name=name)
    assert r.status_code == 201, r.text
    assert r.json()["name"] == name


def test_the_checks_in_one_place():
    assert plain_number("０８８７－８４１２３４５", "phone", "phone", "电话") == "0887-8412345"
    assert normalise_bank_account("６２１７ ０００ ０００ ０００ ０００ １２３") == BANK
    for bank in HOSTILE_BANKS:
        with pytest.raises(ValidationFailed) as err:
            normalise_bank_account(bank, field="银行账号")
        assert (err.value.code, err.value.details["field"]) == ("validation.bank_account_digits", "银行账号")
    number = id_number()
    assert (
        normalise_id_number(number[:-1] + chr(0xFF10 + int(number[-1])) if number[-1] != "X" else number)
        == number
    )
    with pytest.raises(ValidationFailed, match="credit_code_digits"):
        normalise_credit_code("٩١" + "5" * 16)
    assert checked_name("  次仁·卓玛 ", "name", "姓名") == "次仁·卓玛"
    # Free text: an emoji's zero-width joiner is fine, a comment of nothing visible is not.
    assert checked_text("同意 👩\u200d🌾", "comment", "意见") == "同意 👩\u200d🌾"
    for text, code in (("\u200b", "validation.invisible_only"), ("同意\u202e", "validation.bidi_control")):
        with pytest.raises(ValidationFailed) as err:
            checked_text(text, "comment", "意见")
        assert err.value.code == code


def test_a_person_registered_directly_is_checked_the_same_way(db):
    c = county(db)
    with pytest.raises(ValidationFailed) as err:
        checked_values(db, PersonInput("\u200b", id_number(), c.village))
    assert (err.value.code, err.value.details["field"]) == ("validation.invisible_character", "name")


def test_a_list_row_with_hostile_text_is_refused_naming_the_column(db):
    c = county(db)
    header = [
        "姓名",
        "身份证号",
        "行政村代码",
        "帮扶对象类别",
        "补贴类型",
        "务工地点",
        "就业开始日期",
        "银行账号",
        "联系电话",
    ]

    def row(name="卓玛", bank=BANK, phone=None):
        return [
            name,
            id_number(),
            "533422101001",
            "脱贫人口",
            "有组织劳务输出就业创业服务补助",
            "省外",
            "2026-03-01",
            bank,
            phone,
        ]

    rows = [
        row(),
        row(bank=FULL_WIDTH, phone="１３８１２３４５６７８"),
        row(name="次仁·卓玛"),
        row(bank=ARABIC_INDIC),
        row(bank=SUPERSCRIPT),
        row(name="\u200b"),
        row(name="\u202e玛卓"),
        row(phone="١٣٨١٢٣٤٥٦٧٨"),
    ]
    report = upload_list(db, c.agent, "hostile.xlsx", xlsx(header, rows, sheet="申报清单"))
    got = [(r.status, [(e.column, e.code) for e in r.errors]) for r in report.rows]
    assert got == [
        ("accepted", []),
        ("accepted", []),
        ("accepted", []),
        ("refused", [("银行账号", "validation.bank_account_digits")]),
        ("refused", [("银行账号", "validation.bank_account_digits")]),
        ("refused", [("姓名", "validation.invisible_character")]),
        ("refused", [("姓名", "validation.bidi_control")]),
        ("refused", [("联系电话", "validation.phone_digits")]),
    ]
    with db.sessions() as s:
        stored = [(p.name, db.vault.decrypt(p.bank_account_enc), p.phone) for p in s.query(Person)]
    assert ("卓玛", BANK, "13812345678") in stored  # two are named 卓玛: a list, not a dict by name
    assert "次仁·卓玛" in [name for name, _, _ in stored]


def test_a_comment_with_a_direction_override_or_nothing_visible_is_refused_by_the_api(api):
    person = register(api, target_groups=["poverty_alleviated"]).json()
    body = {
        "subsidy_type": "labour_export_service",
        "person_id": person["id"],
        "facts": {"destination": "out_of_province", "employment_start": "2026-03-01"},
    }
    claim = api.post("/api/v1/claims", json=body).json()
    url = f"/api/v1/claims/{claim['id']}/withdraw"
    assert problem_of(api.post(url, json={"comment": "本人\u202e弃放"})) == (
        "validation.bidi_control",
        "comment",
    )
    assert problem_of(api.post(url, json={"comment": "\u200b\u200b"})) == (
        "validation.invisible_only",
        "comment",
    )
    r = api.post(url, json={"comment": "本人放弃 🙏"})
    assert r.status_code == 200 and r.json()["state"] == "withdrawn"


def test_the_organisation_register_form_reports_each_hostile_field(db):
    c = county(db)
    with pytest.raises(ValidationFailed) as err:
        register_organisation(
            db,
            c.hr,
            OrganisationInput(
                name="\u200b",
                kind="workshop",
                contact_name="格桑\u202e",
                contact_phone="٠٨٨٧-٨٤١٢٣٤٥",
                bank_account=DEVANAGARI,
            ),
        )
    assert err.value.details["errors"].keys() >= {"name", "contact_name", "contact_phone", "bank_account"}
    assert err.value.code == "validation.invisible_character"
    org_id = register_organisation(
        db,
        c.hr,
        OrganisationInput(
            name="阿东村帮扶车间（二期）",
            kind="workshop",
            contact_name="次仁·格桑",
            contact_phone="０８８７－８４１２３４５",
            bank_account=FULL_WIDTH,
        ),
    )
    with db.sessions() as s:
        org = s.get(Organisation, org_id)
        assert (org.name, org.contact_name, org.contact_phone) == (
            "阿东村帮扶车间（二期）",
            "次仁·格桑",
            "0887-8412345",
        )
        assert db.vault.decrypt(org.bank_account_enc) == BANK


def test_an_import_refuses_hostile_cells_naming_the_column(db):
    county(db)  # the villages the rows name
    admin = add_admin(db)
    a, b, d, e = distinct_ids(4)
    rows = [
        ["次仁·卓玛", a, "533422101001", "脱贫人口", "全劳力", "１３９８８８８７７７７", FULL_WIDTH],  # 2 ok
        ["\u200b", b, "533422101001", "脱贫人口", "全劳力", None, None],  # 3
        ["扎西", d, "533422101001", "脱贫人口", "全劳力", None, SUPERSCRIPT],  # 4
        ["\u202d格桑", e, "533422101001", "脱贫人口", "全劳力", None, None],  # 5
    ]
    report = upload_import(db, admin, "persons", "人员.xlsx", xlsx(PERSON_HEADER, rows), dry_run=False)
    refused = {r.row: [(x.column, x.code) for x in r.errors] for r in report.rows if r.status == "refused"}
    assert refused == {
        3: [("姓名", "validation.invisible_character")],
        4: [("银行账号", "validation.bank_account_digits")],
        5: [("姓名", "validation.bidi_control")],
    }
    created = next(r for r in report.rows if r.row == 2)
    with db.sessions() as s:
        person = s.get_one(Person, created.record_id)
        assert (person.name, person.phone) == ("次仁·卓玛", "13988887777")
        assert db.vault.decrypt(person.bank_account_enc) == BANK
    places = [["533422101", "升平镇", "533422101009", "\u202e村"]]
    report = upload_import(db, admin, "places", "places.xlsx", xlsx(PLACE_HEADER, places))
    assert [(x.column, x.code) for x in report.rows[0].errors] == [("行政村名称", "validation.bidi_control")]

"""Schemathesis against the OpenAPI document: every operation, generated requests, a real database.

The app runs in-process (ASGI) on a migrated database of its own, seeded with a county, people,
claims of the token's organisation (submitted, returned, withdrawn), one of another organisation,
an evidence file and a bulk list of each organisation, so that small ids exist. Generation is
steered part of the time towards those ids and towards plausible bodies (valid resident IDs, real
subsidy types, rule facts, list rows and list files in every format), so the cases reach the
rules, the list reader and the database rather than stopping at validation. Every response must
be a non-5xx whose status code, content type and body conform to the document.

Each test item is one operation (schemathesis' eager ``parametrize``; its fixture-based lazy
loader does not work with pytest 9.2, and all items share one node id there: select them with
``-k``, e.g. ``-k "lists and POST"``). Operations without any input (``/health``, the template)
have few distinct cases to generate; every other operation must have been called at least
``EXAMPLES`` times (checked when the module ends).

``EXAMPLES`` comes from ``FUZHI_SCHEMATHESIS_EXAMPLES``: a few per operation by default, so a
run on a laptop stays quick; CI (``.ci/run``) asks for 60.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import negative_data_rejection

from store.db import Database
from web.app import create_app
from workflow.clock import FrozenClock
from workflow.states import SubsidyType

from .conftest import TEST_NOW, TEST_SECRET, empty_postgres, is_postgres
from .multipart import Part, form
from .schema_support import Seeded, resident_id

EXAMPLES = int(os.environ.get("FUZHI_SCHEMATHESIS_EXAMPLES") or 25)
ROOT = Path(__file__).resolve().parents[1]
VILLAGES = ["533422101001", "533422101002", "533422999999"]
SURROGATES = re.compile("[\ud800-\udfff]")


# ---------------------------------------------------------------- the seeded app


@pytest.fixture(scope="module")
def module_db_url(template_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database for this module: a copy of the SQLite template, or the
    configured PostgreSQL (emptied again afterwards, as conftest does after each test)."""
    if not is_postgres():
        path = tmp_path_factory.mktemp("schema") / "fuzhi.db"
        shutil.copy(template_db, path)
        yield f"sqlite:///{path}"
        return
    yield template_db
    empty_postgres(template_db)


@pytest.fixture(scope="module")
def seeded(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    db = Database.connect(module_db_url, TEST_SECRET, FrozenClock(TEST_NOW))
    seed = Seeded(db, tmp_path_factory.mktemp("files"))
    KNOWN_IDS.update(seed.ids)
    yield seed
    KNOWN_IDS.clear()
    db.engine.dispose()


@pytest.fixture(scope="module")
def calls(request: pytest.FixtureRequest) -> Iterator[Counter[str]]:
    """Requests sent per operation; each operation with inputs must have had EXAMPLES of them."""
    counts: Counter[str] = Counter()
    failed_before = request.session.testsfailed
    yield counts
    if request.session.testsfailed == failed_before:
        short = {op: n for op, n in counts.items() if n < EXAMPLES and op not in NO_INPUT}
        assert not short, f"fewer than {EXAMPLES} generated cases: {short}"


# ---------------------------------------------------------------- the document and its steering

# The document comes from an app whose database (in memory) is never touched: serving the
# document needs none. The cases are sent to the seeded app of the fixture above.
schema = schemathesis.openapi.from_asgi(
    "/schema/openapi.json",
    create_app(Database.connect("sqlite://", TEST_SECRET), files=Path("/nonexistent")),
    config=SchemathesisConfig.from_path(ROOT / "schemathesis.toml"),
)
KNOWN_IDS: dict[str, list[int]] = {}
NO_INPUT = {
    op.label
    for op in (r.ok() for r in schema.get_all_operations())
    if not (op.path_parameters or op.query or op.body)
}


FACTS = st.one_of(
    st.sampled_from(
        [
            {"destination": d, "employment_start": "2026-03-01"}
            for d in ("out_of_province", "in_province", "in_county")
        ]
    ),
    st.fixed_dictionaries(
        {},
        optional={
            "destination": st.sampled_from(["out_of_province", "in_province", "in_county"]),
            "employment_start": st.sampled_from(
                ["2026-03-01", "2026-10-01", "2025-12-31", "2026-02-30", "2099-12-31"]
            ),
            "fare": st.sampled_from(["420.50", "1200", "0", "999999999.99"]),
            "wages_paid": st.sampled_from(["3000", "0.01", "999999999"]),
            "training_months": st.integers(0, 12),
            "course_id": st.sampled_from(["C-2026-01", ""]),
            "course_days": st.integers(0, 400),
            "course_completed": st.booleans(),
            "operating_normally": st.booleans(),
            "month": st.sampled_from(["2026-05", "2026-12", "2099-01"]),
        },
    ),
)
# Bulk lists: rows of plausible and broken cells under known (and a few unknown) headers, sent
# as .xlsx, as CSV in several encodings, as JSON, or as bytes that are none of these.
CELLS: dict[str, st.SearchStrategy[Any]] = {
    "姓名": st.sampled_from(["扎西", "卓玛", "", "x" * 60]),
    "身份证号": st.one_of(
        st.integers(0, 10**6).map(resident_id),
        st.sampled_from(["533422199203150023", "5334221990010100X1", "123", "", "5.33422E+17"]),
    ),
    "行政村代码": st.sampled_from([*VILLAGES, "", "abc"]),
    "帮扶对象类别": st.sampled_from(["脱贫人口", "易地搬迁人口、农村低收入人口", "富人", ""]),
    "补贴类型": st.sampled_from(
        [*map(str, SubsidyType), "有组织劳务输出就业创业服务补助", "一次性外出务工交通补助", "无此补贴", ""]
    ),
    "务工地点": st.sampled_from(["省外", "县外省内", "县内", "out_of_province", "月球", ""]),
    "就业开始日期": st.sampled_from(
        ["2026-03-01", "2026/4/15", "2026年3月1日", "20260301", "2026-02-30", "明天", ""]
    ),
    "实际交通费": st.sampled_from(["420.5", "1,200元", "-3", "1e999", "NaN", ""]),
    "政策年度": st.sampled_from(["2026", "2025", "1999", "二〇二六", ""]),
    "以工代训月数": st.sampled_from(["3", "7个月", "-1", "99999999999", ""]),
    "是否结业": st.sampled_from(["是", "否", "maybe", ""]),
    "补贴月份": st.sampled_from(["2026-10", "2026-13", "202610", ""]),
    "协议编号": st.sampled_from(["1", "99999999999999999999", "abc", ""]),
}
REQUIRED_HEADERS = ("姓名", "身份证号", "补贴类型")
GOOD_ROW = st.integers(0, 10**6).map(
    lambda n: {
        "姓名": "扎西",
        "身份证号": resident_id(n),
        "行政村代码": VILLAGES[0],
        "帮扶对象类别": "脱贫人口",
        "补贴类型": "有组织劳务输出就业创业服务补助",
        "务工地点": "省外",
        "就业开始日期": "2026-03-01",
    }
)
# Any text, control characters and lone surrogates included (the JSON files carry them).
CELL_TEXT = st.one_of(
    st.text(st.characters(), max_size=8),
    st.sampled_from(["扎\x00西", "\x01", "\ud800", "a\r\nb", '"', ",", "\t"]),
)
ANY_ROW = st.fixed_dictionaries(
    {h: CELLS[h] for h in REQUIRED_HEADERS},
    optional={h: st.one_of(v, CELL_TEXT) for h, v in CELLS.items() if h not in REQUIRED_HEADERS},
)
ROWS = st.lists(st.one_of(GOOD_ROW, ANY_ROW), min_size=1, max_size=6)
# A JSON body's rows: text without NUL or lone surrogates (a body carrying one is refused with a
# 400 before it is read: tests/test_hostile_inputs.py); files may carry them.
BODY_TEXT = st.text(st.characters(exclude_characters="\x00"), max_size=8)
BODY_ROWS = st.lists(
    st.one_of(
        GOOD_ROW,
        st.fixed_dictionaries(
            {h: CELLS[h] for h in REQUIRED_HEADERS},
            optional={h: st.one_of(v, BODY_TEXT) for h, v in CELLS.items() if h not in REQUIRED_HEADERS},
        ),
    ),
    min_size=1,
    max_size=6,
)


def _xlsx(header: list[str], rows: list[list[str]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "申报清单"
    for line in (header, *rows):  # what a worksheet cannot hold is dropped
        ws.append([SURROGATES.sub("", ILLEGAL_CHARACTERS_RE.sub("", cell)) for cell in line])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@st.composite
def list_file(draw: st.DrawFn) -> tuple[str, bytes]:
    rows = draw(ROWS)
    header = list(dict.fromkeys(h for row in rows for h in row))
    if draw(st.booleans()):
        header.append(draw(st.sampled_from(["备注", "colour", "身份证号"])))
    table = [[str(row.get(h, "")) for h in header] for row in rows]
    kind = draw(st.sampled_from(["xlsx", "utf-8", "utf-8-sig", "gbk", "utf-16", "json", "bytes"]))
    if kind == "xlsx":
        return draw(st.sampled_from(["申报清单.xlsx", "list.csv"])), _xlsx(header, table)
    if kind == "json":
        ascii_only = draw(st.booleans())  # lone surrogates escaped, or raw (invalid UTF-8)
        text = json.dumps({"rows": rows}, ensure_ascii=ascii_only)
        return "list.json", text.encode("utf-8", errors="surrogatepass")
    if kind == "bytes":
        return draw(st.sampled_from(["list.csv", "list.xlsx", "list.xls", "list.pdf", ""])), draw(
            st.one_of(st.binary(max_size=200), st.just(b"PK\x03\x04broken zip"))
        )
    sep = draw(st.sampled_from([",", "\t", ";"]))
    text = "\r\n".join(sep.join(line) for line in [header, *table])
    return "申报清单.csv", text.encode(kind, errors="replace")


# Per operation: the fields of a plausible body (the document does not say that unknown fields
# are refused, so generated bodies often carry some; the steered ones never do).
PLAUSIBLE: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "POST /api/v1/persons": {
        "name": st.sampled_from(["卓玛", "扎西", "格桑"]),
        "id_number": st.integers(0, 10**6).map(resident_id),
        "village_code": st.sampled_from(VILLAGES),
        "target_groups": st.lists(
            st.sampled_from(["poverty_alleviated", "relocated", "rural_low_income"]), max_size=3
        ),
        "labour_capacity": st.sampled_from(["full", "weak", "half", "none"]),
        "bank_account": st.sampled_from(["6217000000000000123", "12", None]),
        "graduate_left_school": st.sampled_from(["2025-07-01", "2030-01-01", None]),
    },
    "POST /api/v1/persons/lookup": {"id_number": st.integers(0, 10**6).map(resident_id)},
    "POST /api/v1/claims": {
        "subsidy_type": st.sampled_from([*map(str, SubsidyType)]),
        "person_id": st.deferred(lambda: st.sampled_from(KNOWN_IDS["person_id"])),
        "facts": FACTS,
        "policy_year": st.sampled_from([2026, 2025, None]),
    },
    "POST /api/v1/claims/{claim_id}/resubmit": {"facts": FACTS},
    # The same claim naming its person by resident ID: the seeded lists' people (the agent's and
    # another organisation's) or anyone.
    "POST /api/v1/claims by id_number": {
        "subsidy_type": st.sampled_from([*map(str, SubsidyType)]),
        "id_number": st.one_of(st.sampled_from([1000, 1001, 2000, 2001]), st.integers(0, 10**6)).map(
            resident_id
        ),
        "facts": FACTS,
        "policy_year": st.sampled_from([2026, 2025, None]),
    },
    "POST /api/v1/lists/json": {"rows": BODY_ROWS, "dry_run": st.booleans()},
}


# Cases whose parts the steering replaced: whatever Schemathesis generated them to violate may
# be gone, so they are held to every check but the refusal of schema-violating data.
STEERED: set[int] = set()


def positive(case: Any, location: ParameterLocation) -> bool:
    """The case was generated to fit the document: steering may replace its ``location``. A
    negative case (schema-violating on purpose somewhere) is left whole as it is, so that the
    server must refuse it: its metadata does not always say which part was made invalid."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return False
    info = case.meta.components.get(location)
    return info is None or info.mode.is_positive


def known_ids(case: Any) -> st.SearchStrategy[Any]:
    """Ids that exist (the last claim is another organisation's) instead of the generated ones."""
    params = case.path_parameters or {}
    known = {name: st.sampled_from(KNOWN_IDS[name]) for name in params if name in KNOWN_IDS}
    if not known or not positive(case, ParameterLocation.PATH):
        return st.just(params)
    return st.fixed_dictionaries(known).map(lambda ids: {**params, **ids})


def plausible_body(case: Any) -> st.SearchStrategy[Any] | None:
    """A plausible body instead, so the rules and the database get to work."""
    label = case.operation.label
    fields = [f for f in (PLAUSIBLE.get(label), PLAUSIBLE.get(f"{label} by id_number")) if f is not None]
    if not fields or not isinstance(case.body, dict) or not positive(case, ParameterLocation.BODY):
        return None
    return st.one_of(*(st.fixed_dictionaries(f) for f in fields))


@schema.hook
def flatmap_case(context, case):  # type: ignore[no-untyped-def]
    """Half the time, steer a case where the document's generation rarely goes: ids that exist,
    a plausible body, and for the list upload (whose form the document gives only as "an object",
    so generated cases never carry a file) a real multipart form with a generated list file.
    Only the parts generated to fit the document are replaced."""
    body = plausible_body(case)
    steered = st.tuples(known_ids(case), st.just(case.body) if body is None else body)

    def steer(drawn: tuple[dict[str, Any], Any]) -> Any:
        case.path_parameters, case.body = drawn
        STEERED.add(id(case))
        return case

    choices = [st.just(case), steered.map(steer)]
    if context.operation.label == "POST /api/v1/lists" and positive(case, ParameterLocation.BODY):

        def with_upload(drawn: tuple[str, tuple[str, bytes] | None]) -> Any:
            dry_run, file = drawn
            parts: list[Part] = [("dry_run", None, dry_run.encode(), None)]
            if file is not None:
                parts.append(("file", file[0], file[1], "application/octet-stream"))
            case.body, content_type = form(parts, "fuzhi-schema-boundary")
            case.headers = {**(case.headers or {}), **content_type}
            STEERED.add(id(case))
            return case

        uploads = st.tuples(st.sampled_from(["true", "false", "是", "否"]), st.one_of(st.none(), list_file()))
        choices.append(uploads.map(with_upload))
    return st.one_of(*choices)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms_to_the_document(case, seeded, calls):  # type: ignore[no-untyped-def]
    calls[case.operation.label] += 1
    excluded = [negative_data_rejection] if id(case) in STEERED else None
    STEERED.discard(id(case))  # an id is reused once its case is gone
    case.call_and_validate(
        app=seeded.app, headers={"Authorization": f"Bearer {seeded.token}"}, excluded_checks=excluded
    )

"""Issue 14, proof under faults, the short run: a real server SIGKILLed at seeded random moments
of a bulk list upload, of finance's payout confirmation and of the bank return file's import, then
served again on the same database with its clock past the lease and the action repeated: no
half-made list, no row filed twice, no line paid twice, every key and form answered. The long run
is bench/fault_kills.py (`make faults`: 50 kills each); its figures are in docs/benchmarks.md
("Fault runs")."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import is_postgres
from .fault_lists import Upload
from .fault_lists import template as list_template
from .fault_payouts import Confirm
from .fault_payouts import template as payout_template
from .fault_support import Template, gone, run_kills, summary

# One kill each (a server start is some 5 s of CPU): list k=1 is an .xlsx, the form k=1 is resent;
# the long run alternates JSON and .xlsx, the form resent and the page opened anew.
KILLS = 1
SEED = 1414

pytestmark = pytest.mark.skipif(is_postgres(), reason="a real server on a SQLite file: SQLite only")


@pytest.fixture(scope="module")
def batches() -> Iterator[Template]:
    """Four exported batches of 60 approved claims: two to confirm, two to import."""
    template = payout_template(60, 4)
    yield template
    gone(template.path.parent)


def test_a_server_killed_during_list_uploads_leaves_every_list_whole_and_every_key_answered():
    template = list_template()
    try:
        span, kills = run_kills(Upload(300, token=template.facts["token"]), template, KILLS, SEED)
    finally:
        gone(template.path.parent)
    assert [v for k in kills for v in k.violations] == [], summary("upload", span, kills)
    assert all(k.phase and k.retries >= 1 for k in kills)


def test_a_server_killed_during_payout_confirmation_pays_no_line_twice_and_the_batch_ends_confirmed(batches):
    scenario = Confirm(batches.facts["batches"][:2])
    span, kills = run_kills(scenario, batches, KILLS, SEED)
    assert [v for k in kills for v in k.violations] == [], summary("confirm", span, kills)
    assert all(k.phase for k in kills)


def test_a_server_killed_while_importing_the_bank_return_file_pays_no_line_twice(batches):
    scenario = Confirm(batches.facts["batches"][2:], returns=batches.facts["returns"][2:])
    span, kills = run_kills(scenario, batches, KILLS, SEED)
    assert [v for k in kills for v in k.violations] == [], summary("return file", span, kills)
    assert all(k.phase for k in kills)

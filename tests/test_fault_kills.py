"""Issue 14, proof under faults, the short run: a real server SIGKILLed at seeded random moments
of a bulk list upload and of finance's payout confirmation, then served again on the same database
with its clock past the lease and the action repeated: no half-made list, no row filed twice, no
line paid twice, every key and form answered. The long run is bench/fault_kills.py (`make faults`:
50 kills each); the figures are in docs/benchmarks.md ("Fault runs")."""

from __future__ import annotations

import pytest

from .conftest import is_postgres
from .fault_lists import Upload
from .fault_lists import template as list_template
from .fault_payouts import Confirm
from .fault_payouts import template as payout_template
from .fault_support import run_kills, summary

KILLS = 2  # each kill is a server start (~3 s on a quiet machine, 15 s on a loaded one)

pytestmark = pytest.mark.skipif(is_postgres(), reason="a real server on a SQLite file; SQLite only")


def test_a_server_killed_during_list_uploads_leaves_every_list_whole_and_every_key_answered():
    template = list_template()
    span, kills = run_kills(Upload(300, token=template.facts["token"]), template, KILLS, seed=1414)
    assert [v for k in kills for v in k.violations] == [], summary("upload", span, kills)
    assert all(k.phase for k in kills) and all(k.retries >= 1 for k in kills)


def test_a_server_killed_during_payout_confirmation_pays_no_line_twice_and_the_batch_ends_confirmed():
    template = payout_template(100, KILLS + 1)
    span, kills = run_kills(Confirm(template.facts["batches"]), template, KILLS, seed=1414)
    assert [v for k in kills for v in k.violations] == [], summary("confirm", span, kills)
    assert all(k.phase for k in kills)

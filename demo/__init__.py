"""The demo county: 德钦县's townships, villages, people, organisations and a year of claims and
contracts, replayed through the same services and state machines a real office uses.

Used by ``fuzhi demo`` (``make run``) and by the tests that want a lived-in county.

``load_demo`` (``loader``) makes the places and people (``people``, with names and numbers
from ``names``), the organisations, staff and posts (``staff``), plans the contracts
(``contracts``) and claims (``claim_mix``, ``claim_plans``) the ``scenarios`` ask for, then
replays them on the clock of ``timeline`` (``contracts``, ``claim_replay``); ``report`` says
what was loaded and who can log in.
"""

from .loader import load_demo
from .places import NO_GRADUATE_POST, TOWNSHIPS
from .report import DemoLogin, DemoReport, demo_password

__all__ = ["NO_GRADUATE_POST", "TOWNSHIPS", "DemoLogin", "DemoReport", "demo_password", "load_demo"]

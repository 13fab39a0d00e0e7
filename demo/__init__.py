"""The demo county: 德钦县's townships, villages, people, organisations and a year of claims and
contracts, replayed through the same services and state machines a real office uses.

Used by ``fuzhi demo`` (``make run``) and by the tests that want a lived-in county.
"""

from .county import NO_GRADUATE_POST, TOWNSHIPS, DemoLogin, DemoReport, demo_password, load_demo

__all__ = ["NO_GRADUATE_POST", "TOWNSHIPS", "DemoLogin", "DemoReport", "demo_password", "load_demo"]

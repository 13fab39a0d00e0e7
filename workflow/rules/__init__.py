"""The plan's rules: eligibility and amount as pure functions of a claim's facts."""

from .checks import RuleOutcome
from .facts import ClaimantFacts, ClaimDraft, ClaimFacts, ContractFacts, OtherClaim, PersonFacts
from .params import DEMO_2026, PolicyParams
from .subsidies import evaluate, payee_of

__all__ = [
    "DEMO_2026",
    "ClaimDraft",
    "ClaimFacts",
    "ClaimantFacts",
    "ContractFacts",
    "OtherClaim",
    "PersonFacts",
    "PolicyParams",
    "RuleOutcome",
    "evaluate",
    "payee_of",
]

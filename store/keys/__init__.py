"""The master key's check value, the start-up check, and ``fuzhi keys rotate``'s work."""

from .check import ensure_keys, initialised, problem
from .rotation import RotationReport, chunk_from_env, rotate

__all__ = ["RotationReport", "chunk_from_env", "ensure_keys", "initialised", "problem", "rotate"]

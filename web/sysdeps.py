"""Checks for what WeasyPrint needs to print Chinese PDFs quickly: HarfBuzz's subsetter and a CJK font."""

from __future__ import annotations

import ctypes.util
import shutil
import subprocess


def missing_system_packages() -> list[str]:
    """Debian package names that are missing; the app warns about them at start-up."""
    missing = []
    if ctypes.util.find_library("pango-1.0") is None:
        missing.append("libpango-1.0-0")
    # Without it WeasyPrint falls back to a pure-Python font subsetter: ten times slower.
    if ctypes.util.find_library("harfbuzz-subset") is None:
        missing.append("libharfbuzz-subset0")
    if not _has_cjk_font():
        missing.append("fonts-noto-cjk")
    return missing


def _has_cjk_font() -> bool:
    if shutil.which("fc-list") is None:
        return False
    out = subprocess.run(
        ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False
    ).stdout
    return bool(out.strip())

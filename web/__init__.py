"""Fuzhi's web layer: Litestar handlers that parse, call a service and render."""

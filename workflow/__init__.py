"""Fuzhi (扶智): subsidy claims and public-welfare post contracts as explicit state machines."""

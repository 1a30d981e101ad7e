"""Owns the measurements: a small harness (bench/harness) and one script per benchmark, writing tables into docs/."""

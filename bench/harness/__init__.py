"""Owns what every benchmark shares: data (data.py), metrics (metrics.py), timing (timing.py), reports (report.py)."""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

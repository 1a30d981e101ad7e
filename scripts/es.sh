#!/usr/bin/env bash
# A real, local Elasticsearch for Khabar's tests and CI - no Docker engine needed.
#
#   scripts/es.sh fetch    download (Maven Central) + unpack the server, build the Arabic plugin
#   scripts/es.sh start    fetch if needed, start a single node, wait until it is healthy
#   scripts/es.sh stop     stop it and wait until the process is gone
#   scripts/es.sh status   print whether it runs (exit 0) or not (exit 1)
#   scripts/es.sh url      print the URL to put in ELASTICSEARCH_URL
#   scripts/es.sh env      print `export ELASTICSEARCH_URL=...` (for eval)
#
#   scripts/es.sh cluster start    a three-node cluster: data nodes d1, d2 + master-only tiebreaker tb;
#                                  starts whichever node is not running (a killed node rejoins from its
#                                  data dir) and waits until all three are in and the cluster is green
#   scripts/es.sh cluster stop     stop every node
#   scripts/es.sh cluster status   one line per node (pid, URL, roles, data dir), then health and master;
#                                  exit 0 only when every node runs
#   scripts/es.sh cluster env      print `export ELASTICSEARCH_URL=<d1>,<d2> KHABAR_ES_REPLICAS=1` (for eval)
#   scripts/es.sh cluster url|health|free-port   the data nodes' URLs | health JSON | a free block of ports
#
# Why this shape:
# - The server is the `integ-test-zip` distribution that Elastic publishes on Maven
#   Central (the only registry reachable here). It lacks the analysis-common module, so
#   `scripts/es-plugin/` - a few lines of Java, compiled here against the server's own
#   jars - registers the stock `arabic` analyser and `arabic_normalization` /
#   `arabic_stem` filters from Lucene's classes. The mapping Khabar creates is then the
#   same one the official Docker image (docker/compose.yaml) serves natively.
# - Downloads are cached outside the clone (KHABAR_CACHE) so CI pays for them once.
# - Elasticsearch refuses to run as root, so as root it runs as user `khabar-es`; its
#   files live in a runtime dir that user can reach (the cache may sit under /root).
#
# Environment (all optional):
#   ES_VERSION   server version; major must match the Python client (9.x)   [9.5.0]
#   ES_PORT      HTTP port on 127.0.0.1                                     [9201]
#   KHABAR_CACHE download/unpack cache                          [~/.cache/khabar]
#   ES_RUN_DIR   runtime dir: server copy, data, logs, pid   [/tmp/khabar-es-PORT]
#   ES_HEAP      JVM heap (memory is shared with other processes)            [512m]
#   ES_START_TIMEOUT seconds to wait for health before giving up              [180]
#   ES_JAVA_HOME JDK >= 21 (default: newest Temurin/OpenJDK found under /usr/lib/jvm)
#   ES_ARABIC_PLUGIN  0 = run without the plugin, to exercise Khabar's fallback      [1]
#   ES_CLUSTER_PORT   cluster: HTTP ports PORT..PORT+2, transport PORT+200..PORT+202  [9251]
#                     (outside 9200-9399, where single nodes take HTTP and transport ports)
#   ES_CLUSTER_DIR    cluster runtime dir: server copy + one dir per node   [/tmp/khabar-es-cluster-PORT]
#   ES_CLUSTER_HEAP   heap of each data node                                     [512m]
#   ES_TIEBREAKER_HEAP heap of the tiebreaker                                   [256m]
#   ES_CLUSTER_START_TIMEOUT seconds to wait for a green cluster                  [300]
set -euo pipefail

ES_VERSION="${ES_VERSION:-9.5.0}"
ES_PORT="${ES_PORT:-9201}"
ES_HEAP="${ES_HEAP:-512m}"
ES_START_TIMEOUT="${ES_START_TIMEOUT:-180}"
ES_ARABIC_PLUGIN="${ES_ARABIC_PLUGIN:-1}"
ES_CLUSTER_PORT="${ES_CLUSTER_PORT:-9251}"
ES_CLUSTER_HEAP="${ES_CLUSTER_HEAP:-512m}"
ES_TIEBREAKER_HEAP="${ES_TIEBREAKER_HEAP:-256m}"
ES_CLUSTER_START_TIMEOUT="${ES_CLUSTER_START_TIMEOUT:-300}"
CACHE_DIR="${KHABAR_CACHE:-$HOME/.cache/khabar}/es/$ES_VERSION"
RUN_DIR="${ES_RUN_DIR:-${TMPDIR:-/tmp}/khabar-es-$ES_PORT}"
DIST_DIR="$CACHE_DIR/elasticsearch-$ES_VERSION"
PLUGIN_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/es-plugin"
PLUGIN_NAME="khabar-arabic"
ES_USER="khabar-es"
URL="http://127.0.0.1:$ES_PORT"
PID_FILE="$RUN_DIR/run/es.pid"          # written by the server itself
LAUNCHER_PID_FILE="$RUN_DIR/launcher.pid"

log() { printf '[es.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

find_java_home() {
    if [[ -n "${ES_JAVA_HOME:-}" ]]; then echo "$ES_JAVA_HOME"; return; fi
    local candidate
    for candidate in /usr/lib/jvm/temurin-25-jdk-* /usr/lib/jvm/temurin-2[1-9]-jdk-* \
                     /usr/lib/jvm/java-2[1-9]-openjdk-*; do
        if [[ -x "$candidate/bin/javac" ]]; then echo "$candidate"; return; fi
    done
    die "no JDK >= 21 found under /usr/lib/jvm; set ES_JAVA_HOME (Elasticsearch 9 needs Java 21+)"
}

# ---------------------------------------------------------------- fetch
ensure_tool() {
    # ensure_tool COMMAND DEBIAN_PACKAGE: install from Debian's archive when missing (as root).
    command -v "$1" >/dev/null && return
    [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null || die "$1 not found: install the $2 package"
    log "installing $2 (apt-get)"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null \
        || die "could not install $2"
}

fetch_server() {
    if [[ -x "$DIST_DIR/bin/elasticsearch" ]]; then return; fi
    mkdir -p "$CACHE_DIR"
    local zip="$CACHE_DIR/elasticsearch-$ES_VERSION.zip"
    if [[ ! -s "$zip" ]]; then
        ensure_tool mvn maven
        log "downloading elasticsearch $ES_VERSION (integ-test-zip) from Maven Central"
        local t0=$SECONDS
        mvn -B -q -Dstyle.color=never dependency:copy \
            -Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" \
            -DoutputDirectory="$CACHE_DIR" \
            || die "maven could not fetch elasticsearch $ES_VERSION"
        log "downloaded in $((SECONDS - t0))s"
    fi
    log "unpacking $zip"
    local tmp="$CACHE_DIR/.unpack.$$"
    rm -rf "$tmp" && mkdir -p "$tmp"
    if command -v unzip >/dev/null; then
        unzip -q "$zip" -d "$tmp"
    else  # Python's zipfile drops the exec bits: restore them on the launchers
        python3 -m zipfile -e "$zip" "$tmp"
        chmod -R a+x "$tmp/elasticsearch-$ES_VERSION/bin"
    fi
    mv "$tmp/elasticsearch-$ES_VERSION" "$DIST_DIR"   # atomic: a half-unpacked tree is never used
    rm -rf "$tmp"
}

build_plugin() {
    local out="$CACHE_DIR/plugin/$PLUGIN_NAME"
    local stamp="$out/.source-hash"
    local hash
    hash="$(cat "$PLUGIN_SRC"/src/org/khabar/es/*.java | sha256sum | cut -d' ' -f1)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$hash" ]]; then return; fi
    local java_home classes
    java_home="$(find_java_home)"
    classes="$CACHE_DIR/plugin/classes"
    log "compiling the $PLUGIN_NAME plugin against elasticsearch $ES_VERSION's lib/"
    rm -rf "$classes" "$out" && mkdir -p "$classes" "$out"
    "$java_home/bin/javac" -nowarn --release 21 -cp "$DIST_DIR/lib/*" -d "$classes" \
        "$PLUGIN_SRC"/src/org/khabar/es/*.java
    "$java_home/bin/jar" --create --file "$out/$PLUGIN_NAME.jar" -C "$classes" .
    cat > "$out/plugin-descriptor.properties" <<EOF
description=Khabar: Elasticsearch's stock arabic analyser and arabic_normalization/arabic_stem filters, from Lucene
version=$ES_VERSION
name=$PLUGIN_NAME
classname=org.khabar.es.KhabarArabicPlugin
java.version=21
elasticsearch.version=$ES_VERSION
EOF
    echo "$hash" > "$stamp"
}

cmd_fetch() {
    local t0=$SECONDS
    fetch_server
    build_plugin
    log "server and plugin ready in $CACHE_DIR ($((SECONDS - t0))s)"
}

# ---------------------------------------------------------------- run
running_pid() {
    # running_pid [PID_FILE]: the server's pid if it runs (default: the single node's file).
    local file="${1:-$PID_FILE}" pid
    [[ -f "$file" ]] || return 1
    pid="$(cat "$file")"
    # A stale pid file may name an unrelated process that reused the pid: check it is ours.
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null \
        && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "org.elasticsearch" && echo "$pid"
}

healthy() {
    curl -fsS -m 5 "$URL/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1
}

server_version() {
    # `GET /` needs the rest-root module, absent from this distribution; the nodes API works.
    curl -fsS -m 5 "$URL/_nodes/_local?filter_path=nodes.*.version" 2>/dev/null \
        | grep -o '"version":"[^"]*"' | head -1 | cut -d'"' -f4
}

as_es_user() {
    if [[ "$(id -u)" == 0 ]]; then runuser -u "$ES_USER" -- "$@"; else "$@"; fi
}

prepare_home() {
    # prepare_home DIR: the server runs from its own copy in DIR/home (it writes its keystore
    # into config/, and the cache may be unreadable by the khabar-es user).
    local home="$1/home"
    local marker="$home/.khabar-version"
    local want
    want="$ES_VERSION plugin=$ES_ARABIC_PLUGIN $(cat "$CACHE_DIR/plugin/$PLUGIN_NAME/.source-hash")"
    if [[ ! -f "$marker" || "$(cat "$marker")" != "$want" ]]; then
        rm -rf "$home"
        mkdir -p "$1"
        cp -a "$DIST_DIR" "$home"
        if [[ "$ES_ARABIC_PLUGIN" != 0 ]]; then
            mkdir -p "$home/plugins/$PLUGIN_NAME"
            cp "$CACHE_DIR/plugin/$PLUGIN_NAME/$PLUGIN_NAME.jar" \
               "$CACHE_DIR/plugin/$PLUGIN_NAME/plugin-descriptor.properties" "$home/plugins/$PLUGIN_NAME/"
        fi
        echo "$want" > "$marker"
    fi
    if [[ "$(id -u)" == 0 ]]; then
        id "$ES_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER"
        chmod 755 "$1"
        chown -R "$ES_USER:" "$home"
    fi
}

prepare_run_dir() {
    prepare_home "$RUN_DIR"
    mkdir -p "$RUN_DIR/data" "$RUN_DIR/logs" "$RUN_DIR/tmp" "$RUN_DIR/run"
    if [[ "$(id -u)" == 0 ]]; then
        chown -R "$ES_USER:" "$RUN_DIR/data" "$RUN_DIR/logs" "$RUN_DIR/tmp" "$RUN_DIR/run"
    fi
}

cmd_start() {
    local pid
    if pid="$(running_pid)"; then
        if healthy; then
            log "already running (pid $pid) at $URL, version $(server_version)"
            return 0
        fi
        log "process $pid exists but is not healthy yet; waiting for it"
    else
        if healthy; then
            die "port $ES_PORT already answers but not from $RUN_DIR; stop that server or set ES_PORT"
        fi
        cmd_fetch
        prepare_run_dir
        local java_home
        java_home="$(find_java_home)"
        log "starting elasticsearch $ES_VERSION on $URL (heap $ES_HEAP, data in $RUN_DIR/data)"
        t_start=$SECONDS
        local -a cmd=("$RUN_DIR/home/bin/elasticsearch" -p "$PID_FILE"
            -Ediscovery.type=single-node
            -Expack.security.enabled=false
            -Expack.ml.enabled=false
            -Enetwork.host=127.0.0.1
            -Ehttp.port="$ES_PORT"
            -Ecluster.routing.allocation.disk.threshold_enabled=false
            -Ecluster.name=khabar-test
            -Epath.data="$RUN_DIR/data"
            -Epath.logs="$RUN_DIR/logs")
        if [[ "$(id -u)" == 0 ]]; then cmd=(runuser -u "$ES_USER" -- "${cmd[@]}"); fi
        # setsid: the server gets its own session, so it outlives this script and a
        # Ctrl-C here does not reach it; `stop` ends it by the pid it wrote.
        ( cd "$RUN_DIR" && exec env ES_JAVA_HOME="$java_home" ES_JAVA_OPTS="-Xms$ES_HEAP -Xmx$ES_HEAP" \
              ES_TMPDIR="$RUN_DIR/tmp" setsid "${cmd[@]}" >"$RUN_DIR/stdout.log" 2>&1 </dev/null ) &
        echo $! > "$LAUNCHER_PID_FILE"
    fi
    local deadline=$((SECONDS + ES_START_TIMEOUT))
    until healthy; do
        if (( SECONDS >= deadline )); then
            log "not healthy after ${ES_START_TIMEOUT}s; last log lines:"
            tail -n 60 "$RUN_DIR/stdout.log" >&2 || true
            tail -n 40 "$RUN_DIR/logs/khabar-test.log" >&2 2>/dev/null || true
            cmd_stop || true
            exit 1
        fi
        if ! running_pid >/dev/null && ! kill -0 "$(cat "$LAUNCHER_PID_FILE" 2>/dev/null)" 2>/dev/null; then
            log "elasticsearch exited during start-up; last log lines:"
            tail -n 60 "$RUN_DIR/stdout.log" >&2 || true
            exit 1
        fi
        sleep 1
    done
    log "healthy at $URL: elasticsearch $(server_version) (pid $(running_pid || echo '?'), ready in $((SECONDS - ${t_start:-$SECONDS}))s)"
    log "export ELASTICSEARCH_URL=$URL"
}

stop_pid() {
    # TERM, wait up to 60 s, then KILL: a graceful stop flushes the translog.
    local pid="$1" i
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 1
    done
    log "pid $pid still alive after 60s; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 1
}

cmd_stop() {
    local pid launcher=""
    [[ -f "$LAUNCHER_PID_FILE" ]] && launcher="$(cat "$LAUNCHER_PID_FILE")"
    if pid="$(running_pid)"; then
        log "stopping elasticsearch (pid $pid)"
        stop_pid "$pid"
    fi
    # The launcher exits with the server; it is only still there if start-up failed early.
    if [[ -n "$launcher" ]] && kill -0 "$launcher" 2>/dev/null; then
        stop_pid "$launcher"
    fi
    rm -f "$PID_FILE" "$LAUNCHER_PID_FILE"
    log "stopped"
}

cmd_status() {
    local pid
    if pid="$(running_pid)" && healthy; then
        echo "running pid=$pid url=$URL version=$(server_version)"
        return 0
    fi
    echo "not running ($URL)"
    return 1
}


# ---------------------------------------------------------------- cluster
# Two data nodes and a master-only tiebreaker from the same unpacked server, each with its
# own config, data, logs, tmp and pid under CLUSTER_DIR/<node>, and its own ports:
#   d1, d2  roles master,data   HTTP ES_CLUSTER_PORT, +1      transport ES_CLUSTER_PORT+200, +201
#   tb      role master         HTTP ES_CLUSTER_PORT+2        transport ES_CLUSTER_PORT+202
# Why three master-eligible nodes: a cluster elects its master by majority, so two
# master-eligible nodes cannot survive losing the elected one (the survivor has 1 vote of 2
# and refuses writes). The tiebreaker holds no shards and a small heap; with it, kill -9 of
# either data node leaves 2 of 3 votes. (Elastic's `voting_only` role would keep it from
# ever being elected, but that role's election strategy is an x-pack module the test
# distribution does not ship, so the tiebreaker is a plain master-only node and may be the
# elected master itself.)
CLUSTER_NODES=(d1 d2 tb)
CLUSTER_DIR="${ES_CLUSTER_DIR:-${TMPDIR:-/tmp}/khabar-es-cluster-$ES_CLUSTER_PORT}"
CLUSTER_NAME="khabar-cluster-$ES_CLUSTER_PORT"

node_index() {
    case "$1" in d1) echo 0 ;; d2) echo 1 ;; tb) echo 2 ;; *) die "unknown node '$1' (d1, d2 or tb)" ;; esac
}
node_http_port() { echo $((ES_CLUSTER_PORT + $(node_index "$1"))); }
node_transport_port() { echo $((ES_CLUSTER_PORT + 200 + $(node_index "$1"))); }
node_url() { echo "http://127.0.0.1:$(node_http_port "$1")"; }
node_roles() { if [[ "$1" == tb ]]; then echo master; else echo master,data; fi; }
node_heap() { if [[ "$1" == tb ]]; then echo "$ES_TIEBREAKER_HEAP"; else echo "$ES_CLUSTER_HEAP"; fi; }
node_pid() { running_pid "$CLUSTER_DIR/$1/run/es.pid"; }

cluster_urls() {
    # The data nodes: Khabar's client spreads requests over them and fails over between them.
    echo "$(node_url d1),$(node_url d2)"
}

cluster_get() {
    # cluster_get PATH: the answer of the first node that answers GET PATH (exit 1 if none).
    local node
    for node in "${CLUSTER_NODES[@]}"; do
        curl -fsS -m 5 "$(node_url "$node")/$1" 2>/dev/null && return 0
    done
    return 1
}

cluster_health() { cluster_get "_cluster/health?$1"; }  # cluster_health QUERY: the health JSON

cluster_ready() {
    cluster_health "wait_for_nodes=${#CLUSTER_NODES[@]}&wait_for_status=green&timeout=1s" >/dev/null
}

start_node() {
    local node="$1" dir="$CLUSTER_DIR/$1" java_home seeds="" other
    mkdir -p "$dir/data" "$dir/logs" "$dir/tmp" "$dir/run"
    # Each node has its own config dir (ES_PATH_CONF): the server writes its keystore there.
    if [[ ! -f "$dir/config/.khabar-version" || "$(cat "$dir/config/.khabar-version")" != "$(cat "$CLUSTER_DIR/home/.khabar-version")" ]]; then
        rm -rf "$dir/config"
        cp -a "$CLUSTER_DIR/home/config" "$dir/config"
        cp "$CLUSTER_DIR/home/.khabar-version" "$dir/config/.khabar-version"
    fi
    if [[ "$(id -u)" == 0 ]]; then chown -R "$ES_USER:" "$dir"; fi
    for other in "${CLUSTER_NODES[@]}"; do seeds+="${seeds:+,}127.0.0.1:$(node_transport_port "$other")"; done
    java_home="$(find_java_home)"
    local -a cmd=("$CLUSTER_DIR/home/bin/elasticsearch" -p "$dir/run/es.pid"
        -Enode.name="$node"
        -Enode.roles="$(node_roles "$node")"
        -Ecluster.name="$CLUSTER_NAME"
        -Ediscovery.seed_hosts="$seeds"
        -Expack.security.enabled=false
        -Expack.ml.enabled=false
        -Enetwork.host=127.0.0.1
        -Ehttp.port="$(node_http_port "$node")"
        -Etransport.port="$(node_transport_port "$node")"
        -Ecluster.routing.allocation.disk.threshold_enabled=false
        -Epath.data="$dir/data"
        -Epath.logs="$dir/logs")
    # Bootstrapping names the first voters; Elastic says to leave it out once a node has
    # joined a cluster, so a restarted node rejoins from the state in its data dir.
    if [[ ! -d "$dir/data/_state" ]]; then
        cmd+=(-Ecluster.initial_master_nodes="$(IFS=,; echo "${CLUSTER_NODES[*]}")")
    fi
    if [[ "$node" == tb ]]; then cmd+=(-Enode.processors=1); fi
    if [[ "$(id -u)" == 0 ]]; then cmd=(runuser -u "$ES_USER" -- "${cmd[@]}"); fi
    log "starting node $node ($(node_roles "$node"), heap $(node_heap "$node")) on $(node_url "$node"), transport $(node_transport_port "$node"), data in $dir/data"
    ( cd "$dir" && exec env ES_JAVA_HOME="$java_home" ES_PATH_CONF="$dir/config" \
          ES_JAVA_OPTS="-Xms$(node_heap "$node") -Xmx$(node_heap "$node")" \
          ES_TMPDIR="$dir/tmp" setsid "${cmd[@]}" >"$dir/stdout.log" 2>&1 </dev/null ) &
    echo $! > "$dir/launcher.pid"
}

cluster_started_node_died() {
    # The first node whose launcher and server are both gone (a failed start), if any.
    local node launcher
    for node in "${CLUSTER_NODES[@]}"; do
        launcher="$(cat "$CLUSTER_DIR/$node/launcher.pid" 2>/dev/null || true)"
        if ! node_pid "$node" >/dev/null && ! { [[ -n "$launcher" ]] && kill -0 "$launcher" 2>/dev/null; }; then
            echo "$node"; return 0
        fi
    done
    return 1
}

cmd_cluster_start() {
    local node t0=$SECONDS dead started=()
    for node in "${CLUSTER_NODES[@]}"; do
        local port
        port="$(node_http_port "$node")"
        if ! node_pid "$node" >/dev/null && curl -fsS -m 2 "http://127.0.0.1:$port/_nodes/_local" >/dev/null 2>&1; then
            die "port $port already answers but not from $CLUSTER_DIR; stop that server or set ES_CLUSTER_PORT"
        fi
    done
    for node in "${CLUSTER_NODES[@]}"; do
        if ! node_pid "$node" >/dev/null; then started+=("$node"); fi
    done
    if (( ${#started[@]} )); then
        cmd_fetch
        prepare_home "$CLUSTER_DIR"
        for node in "${started[@]}"; do start_node "$node"; done
    fi
    local deadline=$((SECONDS + ES_CLUSTER_START_TIMEOUT))
    until cluster_ready; do
        if (( SECONDS >= deadline )); then
            log "cluster not green with ${#CLUSTER_NODES[@]} nodes after ${ES_CLUSTER_START_TIMEOUT}s:"
            cluster_health "" >&2 || log "no node answers"
            for node in "${CLUSTER_NODES[@]}"; do
                log "--- $node: last log lines"; tail -n 30 "$CLUSTER_DIR/$node/stdout.log" >&2 2>/dev/null || true
            done
            exit 1
        fi
        if (( ${#started[@]} )) && dead="$(cluster_started_node_died)"; then
            log "node $dead exited during start-up; last log lines:"
            tail -n 60 "$CLUSTER_DIR/$dead/stdout.log" >&2 || true
            exit 1
        fi
        sleep 1
    done
    log "cluster $CLUSTER_NAME green with ${#CLUSTER_NODES[@]} nodes (master $(cluster_master)) in $((SECONDS - t0))s${started[*]:+, started ${started[*]}}"
    log "export ELASTICSEARCH_URL=$(cluster_urls) KHABAR_ES_REPLICAS=1"
}

cluster_master() { cluster_get "_cat/master?h=node" || echo "none"; }

cmd_cluster_stop() {
    # All nodes at once (TERM, then KILL after 60 s): stopping them one by one would make the
    # survivors re-elect and re-allocate for nothing.
    local node pid launcher waits=()
    for node in "${CLUSTER_NODES[@]}"; do
        launcher="$(cat "$CLUSTER_DIR/$node/launcher.pid" 2>/dev/null || true)"
        if pid="$(node_pid "$node")"; then
            log "stopping node $node (pid $pid)"
            stop_pid "$pid" & waits+=($!)
        elif [[ -n "$launcher" ]] && kill -0 "$launcher" 2>/dev/null; then
            stop_pid "$launcher" & waits+=($!)
        fi
    done
    if (( ${#waits[@]} )); then wait "${waits[@]}"; fi
    for node in "${CLUSTER_NODES[@]}"; do rm -f "$CLUSTER_DIR/$node/run/es.pid" "$CLUSTER_DIR/$node/launcher.pid"; done
    log "cluster stopped"
}

cmd_cluster_status() {
    # One line per node (`node=d1 pid=123 url=... roles=...` or `node=d1 stopped ...`), then the
    # cluster's health; exit 0 only when every node runs.
    local node pid all=0 health
    for node in "${CLUSTER_NODES[@]}"; do
        if pid="$(node_pid "$node")"; then
            echo "node=$node pid=$pid url=$(node_url "$node") roles=$(node_roles "$node") data=$CLUSTER_DIR/$node/data"
        else
            echo "node=$node stopped url=$(node_url "$node") roles=$(node_roles "$node") data=$CLUSTER_DIR/$node/data"
            all=1
        fi
    done
    if health="$(cluster_health "")"; then
        echo "cluster=$CLUSTER_NAME $(echo "$health" | grep -o '"status":"[a-z]*"' | tr -d '"' | tr : =) nodes=$(echo "$health" | grep -o '"number_of_nodes":[0-9]*' | cut -d: -f2) master=$(cluster_master)"
    else
        echo "cluster=$CLUSTER_NAME unreachable"
        all=1
    fi
    return "$all"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

cluster_free_port() {
    # The first base port from ES_CLUSTER_PORT up (steps of 10) whose six ports are all free,
    # so a run never adopts - and later stops - a cluster or node someone else started.
    local base=$ES_CLUSTER_PORT tries offset busy
    for tries in $(seq 1 20); do
        busy=0
        for offset in 0 1 2 200 201 202; do
            if port_busy $((base + offset)); then busy=1; break; fi
        done
        if (( ! busy )); then echo "$base"; return 0; fi
        base=$((base + 10))
    done
    die "no free block of cluster ports from $ES_CLUSTER_PORT to $base"
}

cmd_cluster() {
    case "${1:-}" in
        start) cmd_cluster_start ;;
        stop) cmd_cluster_stop ;;
        status) cmd_cluster_status ;;
        health) cluster_health "" && echo ;;
        url) cluster_urls ;;
        env) echo "export ELASTICSEARCH_URL=$(cluster_urls) KHABAR_ES_REPLICAS=1" ;;
        free-port) cluster_free_port ;;
        *) echo "usage: $0 cluster start|stop|status|health|url|env|free-port" >&2; exit 2 ;;
    esac
}

case "${1:-}" in
    cluster) shift; cmd_cluster "$@" ;;
    fetch) cmd_fetch ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    url) echo "$URL" ;;
    env) echo "export ELASTICSEARCH_URL=$URL" ;;
    *) echo "usage: $0 fetch|start|stop|status|url|env  or  $0 cluster start|stop|status|url|env|health" >&2
       exit 2 ;;
esac

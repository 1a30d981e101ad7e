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
set -euo pipefail

ES_VERSION="${ES_VERSION:-9.5.0}"
ES_PORT="${ES_PORT:-9201}"
ES_HEAP="${ES_HEAP:-512m}"
ES_START_TIMEOUT="${ES_START_TIMEOUT:-180}"
ES_ARABIC_PLUGIN="${ES_ARABIC_PLUGIN:-1}"
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
    [[ -f "$PID_FILE" ]] || return 1
    local pid
    pid="$(cat "$PID_FILE")"
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

prepare_run_dir() {
    # The server runs from its own copy: it writes its keystore into config/, and the
    # cache may be unreadable by the khabar-es user.
    local home="$RUN_DIR/home"
    local marker="$home/.khabar-version"
    local want
    want="$ES_VERSION plugin=$ES_ARABIC_PLUGIN $(cat "$CACHE_DIR/plugin/$PLUGIN_NAME/.source-hash")"
    if [[ ! -f "$marker" || "$(cat "$marker")" != "$want" ]]; then
        rm -rf "$home"
        mkdir -p "$RUN_DIR"
        cp -a "$DIST_DIR" "$home"
        if [[ "$ES_ARABIC_PLUGIN" != 0 ]]; then
            mkdir -p "$home/plugins/$PLUGIN_NAME"
            cp "$CACHE_DIR/plugin/$PLUGIN_NAME/$PLUGIN_NAME.jar" \
               "$CACHE_DIR/plugin/$PLUGIN_NAME/plugin-descriptor.properties" "$home/plugins/$PLUGIN_NAME/"
        fi
        echo "$want" > "$marker"
    fi
    mkdir -p "$RUN_DIR/data" "$RUN_DIR/logs" "$RUN_DIR/tmp" "$RUN_DIR/run"
    if [[ "$(id -u)" == 0 ]]; then
        id "$ES_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER"
        chmod 755 "$RUN_DIR"
        chown -R "$ES_USER:" "$home" "$RUN_DIR/data" "$RUN_DIR/logs" "$RUN_DIR/tmp" "$RUN_DIR/run"
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

case "${1:-}" in
    fetch) cmd_fetch ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    url) echo "$URL" ;;
    env) echo "export ELASTICSEARCH_URL=$URL" ;;
    *) echo "usage: $0 fetch|start|stop|status|url|env" >&2; exit 2 ;;
esac

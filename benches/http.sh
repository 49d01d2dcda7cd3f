#!/usr/bin/env bash
# Load test of the HTTP service: wrk against POST /v1/advice with a typical case message.
#
#   benches/http.sh             # from anywhere; safe to run again
#   DURATION=30s CONNECTIONS=64 THREADS=1 benches/http.sh
#
# 1. installs wrk (Debian's package) with apt-get if it is missing;
# 2. builds the release binary and starts `netboard serve` on a free local port, with a scratch
#    case store, and waits for /healthz;
# 3. runs wrk once to warm up, then the measured run, with --latency for the percentiles;
# 4. prints requests/s and the latency percentiles against the targets (≥ 10,000 requests/s,
#    p99 ≤ 10 ms), then stops the server with SIGTERM (a graceful shutdown).
#
# wrk and the server share the machine's cores: wrk's thread takes one of them away from the
# server, so the figure is a floor for what the service does with the machine to itself.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
out="$root/target/bench"
mkdir -p "$out"
duration=${DURATION:-15s}
connections=${CONNECTIONS:-32}
threads=${THREADS:-1}

if ! command -v wrk >/dev/null 2>&1; then
    echo "installing wrk with apt-get" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update
    $sudo apt-get install -y wrk
fi

echo "== machine"
echo "cores:  $(nproc)"
echo "cpu:    $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)"
echo "rustc:  $(rustc --version)"
echo "wrk:    $(wrk --version 2>&1 | head -n1)"
echo "date:   $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "load:   $(cut -d' ' -f1-3 /proc/loadavg) (before the run)"

echo "== cargo build --release"
cargo build --release

# A free port: bind port 0, read what the kernel chose, release it.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
scratch=$(mktemp -d)
NETBOARD_DB="$scratch/cases.sqlite3" target/release/netboard serve --addr "127.0.0.1:$port" \
    2>"$out/http-server.log" &
server=$!
stop() {
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -rf "$scratch"
}
trap stop EXIT
for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null

# The typical case message of benches/extract.rs (201 characters), and a wrk script posting it.
body='{"text": "pNET G2, Ki-67 8%, 3 liver mets, largest 2 cm, no extrahepatic disease, dotatate avid, primary resected 2021, stable on octreotide LAR for 18 months, CgA rising. Options please — resection vs ablation?"}'
cat >"$out/advice.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '$body'
LUA
url="http://127.0.0.1:$port/v1/advice"
# One request by hand first: the run must measure answers, not errors.
curl -fsS -H 'content-type: application/json' -d "$body" "$url" >/dev/null

echo "== warm-up: wrk -t$threads -c$connections -d5s"
wrk -t"$threads" -c"$connections" -d5s -s "$out/advice.lua" "$url" >/dev/null

echo "== wrk -t$threads -c$connections -d$duration --latency -s advice.lua POST /v1/advice"
wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$out/advice.lua" "$url" | tee "$out/http-wrk.txt"

# wrk prints latencies with their unit (us, ms, s); convert to milliseconds.
ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000
        printf "%.3f", n
    }'
}
rps=$(awk '/^Requests\/sec:/ {print $2}' "$out/http-wrk.txt")
p50=$(ms "$(awk '$1 == "50%" {print $2}' "$out/http-wrk.txt")")
p99=$(ms "$(awk '$1 == "99%" {print $2}' "$out/http-wrk.txt")")
errors=$(grep -E 'Non-2xx|Socket errors' "$out/http-wrk.txt" || true)
echo "== summary"
awk -v r="$rps" 'BEGIN { printf "requests/s        %10.0f  (target >= 10000, ratio %.2f)\n", r, r / 10000 }'
awk -v p="$p50" 'BEGIN { printf "latency p50       %10.3f ms\n", p }'
awk -v p="$p99" 'BEGIN { printf "latency p99       %10.3f ms  (target <= 10 ms, ratio %.2f)\n", p, p / 10 }'
[ -z "$errors" ] || echo "errors: $errors"
echo "load:   $(cut -d' ' -f1-3 /proc/loadavg) (after the run; other work on the 2 shared cores lowers every figure)"

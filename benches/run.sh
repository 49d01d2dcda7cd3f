#!/usr/bin/env bash
# Runs netboard's performance measurements and prints the figures BENCHMARKS.md records.
#
#   benches/run.sh            # from anywhere; safe to run again
#
# 1. installs hyperfine (and jq, to read the results) with apt-get if they are missing;
# 2. builds the release binary;
# 3. runs the criterion benches (`cargo bench --bench extract`, and `--bench discord`: the bot
#    against the Discord emulator, which also prints its resident memory after 1,000 cases);
# 4. times `netboard ask` cold start (process start, load and compile intents/, one answer) with
#    hyperfine;
# 5. prints each median and its ratio to the target.
#
# The machine these figures come from has 2 shared cores: read medians and ratios, not means.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
out="$root/target/bench"
mkdir -p "$out"

missing=()
for tool in hyperfine jq; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "installing ${missing[*]} with apt-get" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update
    $sudo apt-get install -y "${missing[@]}"
fi

echo "== machine"
echo "cores:  $(nproc)"
echo "cpu:    $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)"
echo "memory: $(free -h | awk '/^Mem:/ {print $2}')"
echo "rustc:  $(rustc --version)"
echo "date:   $(date -u '+%Y-%m-%d %H:%M UTC')"

echo "== cargo build --release"
cargo build --release

echo "== cargo bench --bench extract"
cargo bench --bench extract

echo "== cargo bench --bench discord"
cargo bench --bench discord | tee "$out/discord.txt"

echo "== hyperfine: netboard ask cold start"
hyperfine --warmup 3 -N --export-json "$out/cold-start.json" \
    'target/release/netboard ask "pNET G2, 3 liver mets"'

# The median of a criterion bench, in nanoseconds.
median_ns() {
    jq '.median.point_estimate' "target/criterion/$1/new/estimates.json"
}
# `name median target_ns [elements]`: one line of the summary; times per element if given.
row() {
    local name=$1 median=$2 target=$3 elements=${4:-1}
    awk -v n="$name" -v m="$median" -v t="$target" -v e="$elements" 'BEGIN {
        per = m / e
        unit = "ns"; shown = per; tshown = t
        if (t >= 1e6) { unit = "ms"; shown = per / 1e6; tshown = t / 1e6 }
        else if (t >= 1e3) { unit = "µs"; shown = per / 1e3; tshown = t / 1e3 }
        printf "%-28s %10.3f %s  (target %g %s, ratio %.2f)\n", n, shown, unit, tshown, unit, per / t
    }'
}

echo "== summary (medians; ratio = median / target, ≤ 1.00 meets it)"
row "extract 200 chars" "$(median_ns extract/message_200)" 20000
row "extract 2,000 chars" "$(median_ns extract/consult_2000)" 100000
assess=assertion/assess
[ -d "target/criterion/$assess/new" ] || assess=assertion/assess_embedded
sentences=$(jq '.throughput.Elements' "target/criterion/$assess/new/benchmark.json")
row "assess, per sentence" "$(median_ns $assess)" 5000 "$sentences"
awk -v m="$(median_ns $assess)" -v e="$sentences" \
    'BEGIN { printf "%-28s %10.0f sentences/s over %d sentences (target 200000)\n", "assess, throughput", e / (m / 1e9), e }'
[ "$assess" = assertion/assess ] || echo "  (embedded sentences: assertion-dev.tsv was missing)"
row "Engine::load in process" "$(median_ns load/engine_load)" 30000000
row "decide + render, 200 chars" "$(median_ns decide_render/message_200)" 20000
row "ask: extract+decide+render" "$(median_ns ask_render/message_200)" 50000
row "netboard ask cold start" "$(jq '.results[0].median * 1e9' "$out/cold-start.json")" 30000000
row "discord: follow-up → reply" "$(median_ns discord/follow_up_reply)" 5000000
row "discord: question → thread" "$(median_ns discord/channel_thread_request)" 5000000
row "discord: question → reply" "$(median_ns discord/channel_reply)" 5000000
grep '^memory:' "$out/discord.txt" | sed 's/^memory:/discord memory (target 60 MB):/'
echo "-- where extract's time goes (each stage alone; no targets)"
for message in message_200 consult_2000; do
    for stage in 1_mentions 2_assess 3_apply 4_question; do
        awk -v n="  $message $stage" -v m="$(median_ns "extract_stage/${message}_$stage")" \
            'BEGIN { printf "%-28s %10.3f µs\n", n, m / 1e3 }'
    done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the 2 shared cores inflates every figure)"
echo "(Engine::load is shown against the whole cold-start budget of 30 ms.)"

#!/usr/bin/env bash
# Peer benchmark: wall time and peak memory, as whole processes, of `synth` and of AWS CDK
# (benches/peers/cdk/app.js under plain `node`, no CDK CLI) synthesizing the same N stacks.
#
#   benches/peers.sh [--sizes "1 10 100 1000"] [--bin PATH] [--keep]
#
# Writes N specs from benches/generate/stack.yaml.in into a temporary directory per N and times
#   synth     the synth binary (default target/release/synth, built if missing), out/ removed
#             before each run
#   cdk       `node app.js N`, cdk.out removed before each run: CDK's defaults as `cdk synth`
#             runs them (template validation on), minus what synth has no counterpart for
#   cdk lean  the same with --lean: no template validation, creation stack traces or tree.json
# Wall time is the median (hyperfine -N when installed, else a bash loop; at least 3 runs after
# 1 warm-up); peak memory is the maximum RSS of one run (/usr/bin/time). A size is skipped once
# CDK took over 60 s at the previous one. Runs `npm ci` in benches/peers/cdk first if it has no
# node_modules, and benches/peers/compare.py on stack 1 of both to show the work is the same.
# The real `cdk synth` adds the CLI's own start-up and aws:cdk:path metadata on top, so the cdk
# figures are a lower bound for it. TMPDIR picks the file system: on ext4, creating files soon
# after deleting others is slow by a varying amount (see benches/whole-process.sh), so
# TMPDIR=/dev/shm gives steadier figures. Prints a Markdown table and the machine. For humans:
# CI does not run it.
set -euo pipefail
shopt -s inherit_errexit

script=peers.sh
help_lines=2,21
# shellcheck source=benches/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
peer="$root/benches/peers/cdk"
cdk_limit_ms=60000
parse_args "$@"

# CDK_DEBUG would make CDK record stack traces: not what a user's `cdk synth` measures.
unset CDK_DEBUG

if [[ -z "$bin" ]]; then
    bin="$root/target/release/synth"
    if [[ ! -x "$bin" ]]; then
        echo "== cargo build --release --locked --bin synth" >&2
        (cd "$root" && cargo build --release --locked --bin synth)
    fi
fi
resolve_bin
node=$(command -v node || true)
if [[ -z "$node" || ! -x /usr/bin/time ]]; then
    echo "peers.sh: needs node (Node.js 20 or later) and /usr/bin/time (apt-get install time)" >&2
    exit 2
fi

npm_ci=""
if [[ ! -d "$peer/node_modules" ]]; then
    echo "== npm ci in $peer" >&2
    t0=${EPOCHREALTIME/./}
    (cd "$peer" && npm ci --no-audit --no-fund >&2)
    npm_ci=$(((${EPOCHREALTIME/./} - t0) / 1000))
fi
cdk_version=$("$node" -p "require('$peer/node_modules/aws-cdk-lib/package.json').version")
constructs_version=$("$node" -p "require('$peer/node_modules/constructs/package.json').version")

make_work peers

find_hyperfine


# Median wall time in ms (one decimal) of "$@" run in the current directory, with the shell
# command PREPARE (no quotes: hyperfine -N splits it on spaces) run untimed before each run.
median_ms() {
    if $have_hyperfine; then
        local csv="$work/hyperfine.csv"
        # Its warnings (outliers, a slow first run) go to a log, shown only on failure.
        if ! hyperfine -N --style none --warmup 1 --min-runs 3 --max-runs 30 --prepare "$PREPARE" \
            --export-csv "$csv" "$*" >/dev/null 2>"$work/hyperfine.log"; then
            cat "$work/hyperfine.log" >&2
            return 1
        fi
        awk -F, 'NR == 2 { printf "%.1f", $4 * 1000 }' "$csv"
    else
        local r t0 samples=()
        for ((r = 0; r < 6; r++)); do
            bash -c "$PREPARE"
            t0=${EPOCHREALTIME/./}
            "$@" >/dev/null 2>&1
            if ((r > 0)); then # the first is warm-up
                samples+=($((${EPOCHREALTIME/./} - t0)))
            fi
        done
        printf '%s\n' "${samples[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[3] / 1e3 }'
    fi
}

# Peak RSS in MiB (one decimal) of one run of "$@", after PREPARE; the run must exit 0.
peak_mib() {
    bash -c "$PREPARE"
    /usr/bin/time -f '%M' -o "$work/time.txt" "$@" >/dev/null 2>&1
    awk '{ printf "%.1f", $1 / 1024 }' "$work/time.txt"
}

# Fails unless the run before wrote $3 templates named *.template.$2 into $1.
expect_templates() {
    local found
    found=$(find "$1" -maxdepth 1 -name "*.template.$2" | wc -l)
    if ((found != $3)); then
        echo "peers.sh: expected $3 templates in $1, found $found" >&2
        exit 1
    fi
}

# Another build on the machine (2 cores here) would slow both, and CDK more: say so.
load_at_start=$(cut -d ' ' -f 1 /proc/loadavg)
if awk -v l="$load_at_start" 'BEGIN { exit !(l > 0.5) }'; then
    echo "   load average $load_at_start: the machine is busy, figures will be noisy" >&2
fi

declare -A synth_ms cdk_ms lean_ms synth_mib cdk_mib lean_mib
measured=()
skipped=""
for n in $sizes; do
    if [[ -n "${last:-}" ]] && ! awk -v t="${cdk_ms[$last]}" -v l="$cdk_limit_ms" 'BEGIN { exit !(t <= l) }'; then
        skipped+=" $n"
        continue
    fi
    dir="$work/n$n"
    generate "$dir" "$n"
    cd "$dir"
    echo "== N = $n" >&2
    PREPARE="rm -rf $dir/out"
    synth_ms[$n]=$(median_ms "$bin")
    synth_mib[$n]=$(peak_mib "$bin")
    expect_templates out yaml "$n"
    PREPARE="rm -rf $dir/cdk.out"
    cdk_ms[$n]=$(median_ms "$node" "$peer/app.js" "$n" "$dir/cdk.out")
    cdk_mib[$n]=$(peak_mib "$node" "$peer/app.js" "$n" "$dir/cdk.out")
    expect_templates cdk.out json "$n"
    cp cdk.out/bench-0001.template.json cdk-default.template.json
    lean_ms[$n]=$(median_ms "$node" "$peer/app.js" "$n" "$dir/cdk.out" --lean)
    lean_mib[$n]=$(peak_mib "$node" "$peer/app.js" "$n" "$dir/cdk.out" --lean)
    expect_templates cdk.out json "$n"
    if ! cmp -s cdk.out/bench-0001.template.json cdk-default.template.json; then
        echo "peers.sh: cdk --lean wrote another template than cdk" >&2
        exit 1
    fi
    measured+=("$n")
    last=$n
    cd "$root"
done

# Equivalence, on stack 1: synth's JSON form against CDK's template (the same with --lean).
first="$work/n${measured[0]}"
(cd "$first" && "$bin" --template-format json --out "$work/json" stacks/bench-0001.yaml >/dev/null 2>&1)
compare_report=$(python3 "$root/benches/peers/compare.py" "$work/json/bench-0001.template.json" \
    "$first/cdk-default.template.json") || compare_report+=$'\n(DIFFERENT)'

echo
echo "Machine: $(machine); Node.js $("$node" --version), aws-cdk-lib $cdk_version, constructs $constructs_version."
echo "File system of the work directory: $(df -T "$work" | awk 'NR == 2 { print $2 }')."
echo "Load average (1 min) at the start: $load_at_start."
echo "Timing: $($have_hyperfine && hyperfine --version || echo 'bash loop'), median; memory: /usr/bin/time, max RSS."
if [[ -n "$npm_ci" ]]; then
    echo "npm ci (benches/peers/cdk had no node_modules): $((npm_ci / 1000)).$(printf '%03d' $((npm_ci % 1000))) s."
fi
echo
echo "| N | synth ms | cdk ms | ratio | cdk lean ms | lean ratio | synth peak MiB | cdk peak MiB | cdk lean peak MiB |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in "${measured[@]}"; do
    awk -v n="$n" -v s="${synth_ms[$n]}" -v c="${cdk_ms[$n]}" -v l="${lean_ms[$n]}" \
        -v sm="${synth_mib[$n]}" -v cm="${cdk_mib[$n]}" -v lm="${lean_mib[$n]}" 'BEGIN {
        printf "| %d | %.1f | %.0f | %.0f× | %.0f | %.0f× | %.1f | %.1f | %.1f |\n",
            n, s, c, c / s, l, l / s, sm, cm, lm }'
done
if [[ -n "$skipped" ]]; then
    echo
    echo "Skipped N =$skipped: cdk took ${cdk_ms[$last]} ms at N = $last (limit $cdk_limit_ms ms)."
fi
echo
echo "Equivalence of stack 1 (benches/peers/compare.py):"
echo "$compare_report"

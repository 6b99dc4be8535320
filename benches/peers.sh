#!/usr/bin/env bash
# Peer benchmark: wall time and peak memory, as whole processes, of `synth` and of its peers on
# the same N stacks in the same run: AWS CDK and troposphere making the same templates, and
# cfn-lint validating the templates synth wrote.
#
#   benches/peers.sh [--sizes "1 10 100 1000"] [--bin PATH] [--keep]
#
# Writes N specs from benches/generate/stack.yaml.in into a temporary directory per N and times
#   synth     the synth binary (default target/release/synth, built if missing), out/ removed
#             before each run: reads, validates and compiles the specs, checks its rules, AWS size
#             limits and every `expect:` request, writes YAML
#   cdk       `node app.js N` (benches/peers/cdk, no CDK CLI), cdk.out removed before each run:
#             CDK's defaults as `cdk synth` runs them (template validation on), minus what synth
#             has no counterpart for
#   cdk lean  the same with --lean: no template validation, creation stack traces or tree.json
#   tropo     `python app.py N` (benches/peers/troposphere): troposphere's typed resources and
#             its own to_json(), one JSON file per stack, tropo.out removed before each run
#   tropo yaml  the same with --yaml: to_yaml() (cfn-flip), YAML as synth writes
#   cfn-lint  `cfn-lint --format parseable` on the N templates synth wrote (its defaults: errors
#             and warnings, no config file): what a team runs on every template of a PR, where
#             synth checks its own output while it writes it
# Wall time is the median (hyperfine -N when installed, else a bash loop; at least 3 runs after
# 1 warm-up); a peer that took over 20 s at the previous N is timed by one run (its memory from
# the same run). Peak memory is the maximum RSS of one run (/usr/bin/time). CDK is skipped once
# it took over 60 s at the previous N. Installs what is missing first: `npm ci` in
# benches/peers/cdk, a venv from benches/peers/troposphere/requirements.txt (pinned, --no-deps)
# in benches/peers/troposphere/.venv, and cfn-lint by .ci/install-tools (.venv at the root; the
# version CI pins; CFN_LINT=PATH uses another). benches/peers/compare.py checks on stack 1 that
# CDK and troposphere write what synth writes. The real `cdk synth` adds the CLI's own start-up
# and aws:cdk:path metadata on top, so the cdk figures are a lower bound for it. TMPDIR picks the
# file system: on ext4, creating files soon after deleting others is slow by a varying amount
# (see benches/whole-process.sh), so TMPDIR=/dev/shm gives steadier figures. Prints a Markdown
# table with each peer's time as a ratio to synth's, and the machine. For humans: CI does not
# run it.
set -euo pipefail
shopt -s inherit_errexit

script=peers.sh
help_lines=2,34
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

# Seconds.milliseconds of a duration in ms.
secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

installs=()
if [[ ! -d "$peer/node_modules" ]]; then
    echo "== npm ci in $peer" >&2
    t0=${EPOCHREALTIME/./}
    (cd "$peer" && npm ci --no-audit --no-fund >&2)
    installs+=("npm ci of benches/peers/cdk/package-lock.json: $(secs $(((${EPOCHREALTIME/./} - t0) / 1000))) s")
fi
cdk_version=$("$node" -p "require('$peer/node_modules/aws-cdk-lib/package.json').version")
constructs_version=$("$node" -p "require('$peer/node_modules/constructs/package.json').version")

# troposphere in its own venv, exactly the pinned lock (rebuilt when the lock changes).
tropo="$root/benches/peers/troposphere"
tropo_py="$tropo/.venv/bin/python"
tropo_want=$(sha256sum "$tropo/requirements.txt" | cut -d ' ' -f 1)
if [[ ! -x "$tropo_py" || "$(cat "$tropo/.venv/.requirements.stamp" 2>/dev/null)" != "$tropo_want" ]]; then
    echo "== python3 -m venv $tropo/.venv; pip install --no-deps -r requirements.txt" >&2
    t0=${EPOCHREALTIME/./}
    rm -rf "$tropo/.venv"
    python3 -m venv "$tropo/.venv"
    "$tropo_py" -m pip install --disable-pip-version-check --no-input --quiet --no-deps \
        -r "$tropo/requirements.txt" >&2
    "$tropo_py" -m pip check --disable-pip-version-check >&2
    echo "$tropo_want" >"$tropo/.venv/.requirements.stamp"
    installs+=("venv of benches/peers/troposphere/requirements.txt: $(secs $(((${EPOCHREALTIME/./} - t0) / 1000))) s")
fi
tropo_version=$("$tropo_py" -c 'import troposphere; print(troposphere.__version__)')
tropo_python=$("$tropo_py" -c 'import platform; print(platform.python_version())')

# cfn-lint: the version CI pins (.ci/requirements.txt), unless CFN_LINT names another.
cfn_lint=${CFN_LINT:-$root/.venv/bin/cfn-lint}
if [[ -z "${CFN_LINT:-}" && ! -x "$cfn_lint" ]]; then
    echo "== bash .ci/install-tools (cfn-lint)" >&2
    t0=${EPOCHREALTIME/./}
    bash "$root/.ci/install-tools" >&2
    installs+=(".ci/install-tools (cfn-lint, moto, awscli): $(secs $(((${EPOCHREALTIME/./} - t0) / 1000))) s")
fi
if [[ ! -x "$cfn_lint" ]]; then
    echo "peers.sh: no cfn-lint at $cfn_lint" >&2
    exit 2
fi
cfn_lint_version=$("$cfn_lint" --version | awk '{ print $NF }')

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
peer_peak_mib() {
    bash -c "$PREPARE"
    if ! /usr/bin/time -f '%M' -o "$work/time.txt" "$@" >/dev/null 2>"$work/run.log"; then
        tail -n 20 "$work/run.log" >&2
        echo "peers.sh: failed: $*" >&2
        return 1
    fi
    awk '{ printf "%.1f", $1 / 1024 }' "$work/time.txt"
}

# Times "$@" as peer $1 (shift first) at size $n into ms[$1,$n] and mib[$1,$n]: the median and
# one more run's peak memory, or, if the peer took over 20 s at the previous size, one run for
# both (and its name goes into once[$n]).
measure() {
    local who=$1 prev
    shift
    prev=${ms[$who,${last:-}]:-0}
    if awk -v t="$prev" 'BEGIN { exit !(t > 20000) }'; then
        bash -c "$PREPARE"
        local t0=${EPOCHREALTIME/./}
        if ! /usr/bin/time -f '%M' -o "$work/time.txt" "$@" >/dev/null 2>"$work/run.log"; then
            tail -n 20 "$work/run.log" >&2
            echo "peers.sh: failed: $*" >&2
            exit 1
        fi
        ms[$who,$n]=$(awk -v t=$((${EPOCHREALTIME/./} - t0)) 'BEGIN { printf "%.1f", t / 1e3 }')
        mib[$who,$n]=$(awk '{ printf "%.1f", $1 / 1024 }' "$work/time.txt")
        once[$n]+=" $who"
    else
        ms[$who,$n]=$(median_ms "$@")
        mib[$who,$n]=$(peer_peak_mib "$@")
    fi
    echo "   $who: ${ms[$who,$n]} ms, ${mib[$who,$n]} MiB" >&2
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

# Another build on the machine (2 cores here) would slow both, and the peers more: say so.
load_at_start=$(cut -d ' ' -f 1 /proc/loadavg)
if awk -v l="$load_at_start" 'BEGIN { exit !(l > 0.5) }'; then
    echo "   load average $load_at_start: the machine is busy, figures will be noisy" >&2
fi

declare -A ms mib once
measured=()
cdk_skipped=""
last=""
for n in $sizes; do
    dir="$work/n$n"
    generate "$dir" "$n"
    cd "$dir"
    echo "== N = $n" >&2
    PREPARE="rm -rf $dir/out"
    measure synth "$bin"
    expect_templates out yaml "$n"
    if [[ -n "$last" ]] && ! awk -v t="${ms[cdk,$last]:-inf}" -v l="$cdk_limit_ms" \
        'BEGIN { exit !(t + 0 <= l && t != "inf") }'; then
        cdk_skipped+=" $n"
    else
        PREPARE="rm -rf $dir/cdk.out"
        measure cdk "$node" "$peer/app.js" "$n" "$dir/cdk.out"
        expect_templates cdk.out json "$n"
        cp cdk.out/bench-0001.template.json cdk-default.template.json
        measure lean "$node" "$peer/app.js" "$n" "$dir/cdk.out" --lean
        expect_templates cdk.out json "$n"
        if ! cmp -s cdk.out/bench-0001.template.json cdk-default.template.json; then
            echo "peers.sh: cdk --lean wrote another template than cdk" >&2
            exit 1
        fi
    fi
    PREPARE="rm -rf $dir/tropo.out"
    measure tropo "$tropo_py" "$tropo/app.py" "$n" "$dir/tropo.out"
    expect_templates tropo.out json "$n"
    cp tropo.out/bench-0001.template.json tropo.template.json
    PREPARE="rm -rf $dir/tropo.out"
    measure tropo_yaml "$tropo_py" "$tropo/app.py" "$n" "$dir/tropo.out" --yaml
    expect_templates tropo.out yaml "$n"
    cp tropo.out/bench-0001.template.yaml tropo.template.yaml
    # synth's own templates, from its last run above; cfn-lint must find nothing in them.
    PREPARE=true
    measure cfn_lint "$cfn_lint" --config-file /dev/null --format parseable -- out/*.template.yaml
    measured+=("$n")
    last=$n
    cd "$root"
done

# Equivalence, on stack 1: synth's JSON form against CDK's and troposphere's templates (CDK's
# --lean template was checked to be the same file; troposphere's YAML to read as its JSON).
first="$work/n${measured[0]}"
(cd "$first" && "$bin" --template-format json --out "$work/json" stacks/bench-0001.yaml >/dev/null 2>&1)
compare() {
    python3 "$root/benches/peers/compare.py" "$work/json/bench-0001.template.json" "$1" --peer "$2" ||
        echo "(DIFFERENT)"
}
if [[ -f "$first/cdk-default.template.json" ]]; then
    cdk_report=$(compare "$first/cdk-default.template.json" cdk)
else
    cdk_report="(cdk was not run)"
fi
tropo_report=$(compare "$first/tropo.template.json" troposphere)
if ! "$tropo_py" -c 'import json, sys
from cfn_tools import load_yaml
sys.exit(load_yaml(open(sys.argv[1]).read()) != json.load(open(sys.argv[2])))' \
    "$first/tropo.template.yaml" "$first/tropo.template.json"; then
    tropo_report+=$'\n(troposphere --yaml wrote another template than its JSON: DIFFERENT)'
fi

echo
echo "Machine: $(machine)."
echo "Peers: Node.js $("$node" --version), aws-cdk-lib $cdk_version, constructs $constructs_version; Python $tropo_python, troposphere $tropo_version; cfn-lint $cfn_lint_version."
echo "File system of the work directory: $(df -T "$work" | awk 'NR == 2 { print $2 }')."
echo "Load average (1 min) at the start: $load_at_start."
echo "Timing: $($have_hyperfine && hyperfine --version || echo 'bash loop'), median; memory: /usr/bin/time, max RSS."
for line in "${installs[@]}"; do
    echo "Installed first: $line."
done
echo
echo "Wall time in ms, and as a multiple of synth's:"
echo
echo "| N | synth | cdk | cdk lean | troposphere | troposphere yaml | cfn-lint |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
cell() { # ms of peer $1 at size $2, with its ratio to synth's
    local v=${ms[$1,$2]:-}
    if [[ -z "$v" ]]; then
        printf -- '-'
    else
        awk -v v="$v" -v s="${ms[synth,$2]}" 'BEGIN {
            r = v / s; rf = r < 10 ? sprintf("%.1f", r) : sprintf("%.0f", r)
            if (v >= 100) printf "%.0f (%s×)", v, rf; else printf "%.1f (%s×)", v, rf }'
    fi
}
for n in "${measured[@]}"; do
    echo "| $n | ${ms[synth,$n]} | $(cell cdk "$n") | $(cell lean "$n") | $(cell tropo "$n") | $(cell tropo_yaml "$n") | $(cell cfn_lint "$n") |"
done
echo
echo "Peak memory in MiB:"
echo
echo "| N | synth | cdk | cdk lean | troposphere | troposphere yaml | cfn-lint |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for n in "${measured[@]}"; do
    echo "| $n | ${mib[synth,$n]} | ${mib[cdk,$n]:--} | ${mib[lean,$n]:--} | ${mib[tropo,$n]} | ${mib[tropo_yaml,$n]} | ${mib[cfn_lint,$n]} |"
done
echo
for n in "${measured[@]}"; do
    if [[ -n "${once[$n]:-}" ]]; then
        echo "Timed by one run at N = $n (over 20 s at the size before):${once[$n]}."
    fi
done
if [[ -n "$cdk_skipped" ]]; then
    echo "CDK skipped at N =$cdk_skipped: it took over $cdk_limit_ms ms at the size before."
fi
echo "cfn-lint exited 0 (no error or warning) on synth's templates at every N."
echo
echo "Equivalence of stack 1 (benches/peers/compare.py), synth against CDK:"
echo "$cdk_report"
echo
echo "Synth against troposphere:"
echo "$tropo_report"

#!/usr/bin/env bash
# Benchmark of `synth diff` at fleet scale: a git repository of N generated stacks (default
# 1,000) with their out/ committed, then 1, 10 and 100 specs changed and regenerated, and
#
#   diff      `synth diff --base HEAD` (text report)
#   diff md   `synth diff --base HEAD --format markdown` (the PR comment)
#   check     `synth --check` on the same tree (the stale check inside `synth diff` compiles
#             every spec as it does, without the security rules and `expect:`); also as the
#             median ratio diff / check over 11 pairs run back to back, steadier on a busy machine
#   before    the same two diffs with another binary (`--before PATH`, e.g. a copy of the
#             release build from before an optimisation), side by side in the same run
#
# measured as wall time (median; hyperfine when installed, else a bash loop) and peak resident
# memory (/usr/bin/time, else python3's getrusage) of the whole process.
#
#   benches/diff.sh [--stacks N] [--changed "1 10 100"] [--bin PATH] [--before PATH] [--keep]
#
# Builds `synth` with `cargo build --release` once (skipped with --bin). A changed spec has one
# `+` topic made `#` (`metrics-NNNN/+/hourly` becomes `metrics-NNNN/#`: a broadening in both
# layers). Prints a Markdown table, the machine, each issue-15 target met or missed (1 changed
# of 1,000: at most 0.3 s and 64 MiB; time growing with the changed stacks, not the stacks), and
# whether the JSON reports of both binaries are byte-identical. The old binary takes seconds per
# run at N = 1,000, so it gets 3 runs (1 warm-up) instead of 11. For humans: CI does not run it.
set -euo pipefail
shopt -s inherit_errexit

script=diff.sh
help_lines=2,23
# shellcheck source=benches/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

stacks=1000
changed="1 10 100"
before=""
rest=()
while (($# > 0)); do
    case "$1" in
    --stacks)
        stacks="$2"
        shift 2
        ;;
    --changed)
        changed="$2"
        shift 2
        ;;
    --before)
        before="$2"
        shift 2
        ;;
    *)
        rest+=("$1")
        shift
        ;;
    esac
done
parse_args "${rest[@]}"

# Targets (issue 15) on a 2-core machine.
target_ms=300
target_mib=64

build_ms=""
if [[ -z "$bin" ]]; then
    echo "== cargo build --release --locked --bin synth" >&2
    start_ns=$(date +%s%N)
    build_json=$(cd "$root" && cargo build --release --locked --bin synth \
        --message-format=json-render-diagnostics)
    build_ms=$((($(date +%s%N) - start_ns) / 1000000))
    bin=$(grep -o '"executable":"[^"]*"' <<<"$build_json" | tail -n 1 | cut -d '"' -f 4)
fi
resolve_bin
if [[ -n "$before" ]]; then
    before=$(realpath -e "$before" 2>/dev/null || true)
    if [[ ! -x "$before" ]]; then
        echo "$script: --before is not an executable" >&2
        exit 2
    fi
fi
make_work diff
find_hyperfine

find_time_cmd

# Git with a fixed identity and no user or system configuration.
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com

# Median wall time in ms of "$@" (which must exit 0), over RUNS runs (default 11) after WARMUP
# (default 2) warm-up runs.
median_ms() {
    local runs=${RUNS:-11} warmup=${WARMUP:-2}
    if $have_hyperfine; then
        local csv="$work/hyperfine.csv"
        if ! hyperfine --style none --warmup "$warmup" --runs "$runs" --export-csv "$csv" \
            -N "$*" >/dev/null 2>"$work/hyperfine.log"; then
            cat "$work/hyperfine.log" >&2
            return 1
        fi
        awk -F, 'NR == 2 { printf "%.1f", $4 * 1000 }' "$csv"
    else
        local r t0 samples=()
        for ((r = 0; r < runs + warmup; r++)); do
            t0=${EPOCHREALTIME/./}
            "$@" >/dev/null 2>&1
            if ((r >= warmup)); then
                samples+=($((${EPOCHREALTIME/./} - t0)))
            fi
        done
        printf '%s\n' "${samples[@]}" | sort -n |
            awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] / 1e3 }'
    fi
}

# The median over RUNS (default 11) interleaved pairs of the wall-time ratio "$@" / `synth
# --check`, each pair run back to back: on a busy machine, load that comes and goes hits both
# sides of a pair alike.
paired_ratio() {
    local runs=${RUNS:-11} r t0 t1 t2 ratios=()
    for ((r = 0; r < runs + 1; r++)); do
        t0=${EPOCHREALTIME/./}
        "$bin" --check >/dev/null 2>&1
        t1=${EPOCHREALTIME/./}
        "$@" >/dev/null 2>&1
        t2=${EPOCHREALTIME/./}
        if ((r >= 1)); then
            ratios+=("$(awk -v c=$((t1 - t0)) -v d=$((t2 - t1)) 'BEGIN { printf "%.4f", d / c }')")
        fi
    done
    printf '%s\n' "${ratios[@]}" | sort -g |
        awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] }'
}


# Runs synth to write out/, quietly unless it fails.
regenerate() {
    if ! "$bin" >/dev/null 2>"$work/synth.log"; then
        cat "$work/synth.log" >&2
        exit 1
    fi
}

le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
verdict() { if le "$1" "$2"; then echo "met"; else echo "MISSED"; fi; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f×", a / b; else print "-" }'; }

repo="$work/repo"
echo "== $stacks stacks: generate, synth, commit" >&2
generate "$repo" "$stacks"
cd "$repo"
git init --quiet --initial-branch=main
regenerate
git add -A
git commit --quiet -m "$stacks stacks"

declare -A pair_ratio diff_ms md_ms check_ms old_ms old_md_ms diff_mib md_mib check_mib old_mib old_md_mib same_json
for k in $changed; do
    echo "== $k of $stacks changed" >&2
    git checkout --quiet -- stacks out
    for ((i = 1; i <= k; i++)); do
        printf -v num '%04d' "$i"
        sed -i "s|metrics-$num/+/hourly|metrics-$num/#|" "stacks/bench-$num.yaml"
    done
    regenerate
    if [[ "$(git status --porcelain -- out | wc -l)" -ne "$k" ]]; then
        echo "$script: expected $k changed templates, git status says otherwise" >&2
        exit 1
    fi
    pair_ratio[$k]=$(paired_ratio "$bin" diff --base HEAD)
    diff_ms[$k]=$(median_ms "$bin" diff --base HEAD)
    md_ms[$k]=$(median_ms "$bin" diff --base HEAD --format markdown)
    check_ms[$k]=$(median_ms "$bin" --check)
    diff_mib[$k]=$(peak_mib "$bin" diff --base HEAD)
    md_mib[$k]=$(peak_mib "$bin" diff --base HEAD --format markdown)
    check_mib[$k]=$(peak_mib "$bin" --check)
    if [[ -n "$before" ]]; then
        old_ms[$k]=$(RUNS=3 WARMUP=1 median_ms "$before" diff --base HEAD)
        old_md_ms[$k]=$(RUNS=3 WARMUP=1 median_ms "$before" diff --base HEAD --format markdown)
        old_mib[$k]=$(peak_mib "$before" diff --base HEAD)
        old_md_mib[$k]=$(peak_mib "$before" diff --base HEAD --format markdown)
        # The report itself must not change: the JSON of both binaries, byte for byte.
        if cmp -s <("$bin" diff --base HEAD --format json) <("$before" diff --base HEAD --format json); then
            same_json[$k]=yes
        else
            same_json[$k]=NO
        fi
    fi
done
cd "$root"

echo
echo "Machine: $(machine); $(rustc --version 2>/dev/null || echo 'rustc ?')."
echo "Timing: $($have_hyperfine && hyperfine --version || echo 'bash loop'), median of 11 (the old binary: of 3); memory: ${time_cmd:-python3 getrusage}, max RSS."
echo "Binary: $bin${before:+; before: $before}."
if [[ -n "$build_ms" ]]; then
    echo "Build: cargo build --release took $((build_ms / 1000)) s."
fi
echo
if [[ -n "$before" ]]; then
    echo "| changed of $stacks | diff ms | diff md ms | check ms | diff − check ms | diff / check (paired) | before ms | before md ms | before / diff | diff MiB | md MiB | check MiB | before MiB | before md MiB | JSON identical |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
else
    echo "| changed of $stacks | diff ms | diff md ms | check ms | diff − check ms | diff / check (paired) | diff MiB | md MiB | check MiB |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
fi
for k in $changed; do
    own=$(awk -v d="${diff_ms[$k]}" -v c="${check_ms[$k]}" 'BEGIN { printf "%.1f", d - c }')
    if [[ -n "$before" ]]; then
        echo "| $k | ${diff_ms[$k]} | ${md_ms[$k]} | ${check_ms[$k]} | $own | ${pair_ratio[$k]} | ${old_ms[$k]} | ${old_md_ms[$k]} | $(ratio "${old_ms[$k]}" "${diff_ms[$k]}") | ${diff_mib[$k]} | ${md_mib[$k]} | ${check_mib[$k]} | ${old_mib[$k]} | ${old_md_mib[$k]} | ${same_json[$k]} |"
    else
        echo "| $k | ${diff_ms[$k]} | ${md_ms[$k]} | ${check_ms[$k]} | $own | ${pair_ratio[$k]} | ${diff_mib[$k]} | ${md_mib[$k]} | ${check_mib[$k]} |"
    fi
done
echo

read -r -a ks <<<"$changed"
first=${ks[0]}
last=${ks[${#ks[@]} - 1]}
echo "- $first changed of $stacks, text: ${diff_ms[$first]} ms (target <= $target_ms ms): $(verdict "${diff_ms[$first]}" "$target_ms"); ${diff_mib[$first]} MiB (target <= $target_mib MiB): $(verdict "${diff_mib[$first]}" "$target_mib"); $(ratio "${diff_ms[$first]}" "${check_ms[$first]}") synth --check"
echo "- $first changed of $stacks, Markdown: ${md_ms[$first]} ms (target <= $target_ms ms): $(verdict "${md_ms[$first]}" "$target_ms"); ${md_mib[$first]} MiB (target <= $target_mib MiB): $(verdict "${md_mib[$first]}" "$target_mib")"
if ((${#ks[@]} >= 2)); then
    # The stale check compiles every spec, so it grows with the stacks, as --check does; the
    # rest of the command should grow with the changed stacks: diff / check (paired, the
    # steadiest figure on a busy machine) below 1 at the first count, and rising after it.
    line="- growth: diff / check (paired)"
    for k in $changed; do
        line+=" ${pair_ratio[$k]} at $k,"
    done
    if awk -v a="${pair_ratio[$first]}" -v b="${pair_ratio[$last]}" 'BEGIN { exit !(a <= 1 && b > a) }'; then
        grows=yes
    else
        grows=NO
    fi
    echo "$line changed: beyond the stale check (which compiles all $stacks specs), the time grows with the changed stacks, not the $stacks stacks: $grows"
fi
if [[ -n "$before" ]]; then
    echo "- before: ${old_ms[$first]} ms and ${old_mib[$first]} MiB at $first changed: $(ratio "${old_ms[$first]}" "${diff_ms[$first]}") the time of this binary"
    for k in $changed; do
        if [[ "${same_json[$k]}" != yes ]]; then
            echo "- JSON report differs between the binaries at $k changed"
            exit 1
        fi
    done
    echo "- JSON reports of both binaries byte-identical: yes"
fi

#!/usr/bin/env bash
# Whole-process benchmark of the `synth` binary: wall time and peak memory from process start
# to files written (`synth`) and to out/ compared (`synth --check`), for N generated stacks.
#
#   benches/whole-process.sh [--sizes "1 10 100 1000"] [--bin PATH] [--keep]
#
# Builds `synth` with `cargo build --release` once (skipped with --bin), writes N specs from
# benches/generate/stack.yaml.in into a temporary directory per N, and measures
#   new      `synth` writing an out/ that does not exist yet, as on a fresh clone: each run
#            gets its own new `--out` directory, and these runs come first, before the
#            benchmark has deleted anything (median of 9 after 2 warm-up runs)
#   cp       `cp -r` of the finished out/ into a directory that does not exist yet, measured
#            as `new` is and in turn with it (run r of synth, then run r of cp): the file
#            system's price for the same tree, the floor `new` is judged against (new/cp)
#   compile  `synth --check` with no out/ at all: every spec read, compiled, checked and
#            printed, and nothing read back or written (it exits 1: every file is missing);
#            the CPU half of `new`
#   CPU      for new, cp (the same runs) and compile (5 more): user + system time, mean, from
#            bash's `times` between runs: steadier than wall time when other jobs share the cores
#   write    `synth` with out/ removed just before each run (regenerating from scratch)
#   floor    for N >= 100: the same files created by a bare Python loop (open, write, close;
#            no synth), also right after removing them: what the file system alone costs
#   rewrite  `synth` with out/ already up to date (read, compared, nothing written)
#   check    `synth --check` with out/ up to date
# `new` and `write` differ because file creation on some disks depends on their recent history:
# ext4 without a journal (this project's VMs) will not reuse an inode freed in the last 60 s
# (360 s while its inode table block is dirty) and scans past every such inode on each file it
# creates (`recently_deleted()` in fs/ext4/ialloc.c), so the same 1,000 creates take 30 ms or
# 700 ms depending on what was deleted in the last minute; `floor` shows that without synth.
# Wall time is the median of at least 5 runs (hyperfine when installed, else a bash loop);
# peak memory is the maximum resident set size of one run (/usr/bin/time, else python3's
# getrusage). Prints a Markdown table, the machine, each target met or missed (issue 6; issue
# 15: new <= 1.5 x cp and check <= 0.3 s at N = 1,000), a linearity check, and a digest of
# each out/ (compare it before and after an optimisation: output must stay byte-identical).
# TMPDIR picks the filesystem the write figures measure (TMPDIR=/dev/shm takes the disk out of
# them). For humans: CI does not run it.
set -euo pipefail
shopt -s inherit_errexit

script=whole-process.sh
help_lines=2,36
# shellcheck source=benches/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
build_ms=""
parse_args "$@"

# Targets (issue 6 item 3) on a 2-core machine.
target_one_ms=10
target_thousand_ms=300
target_thousand_mib=50
# Issue 15: a new out/ of 1,000 stacks within 1.5 times `cp -r` of the same tree.
target_cp_ratio=1.5

if [[ -z "$bin" ]]; then
    echo "== cargo build --release --locked --bin synth" >&2
    start_ns=$(date +%s%N)
    build_json=$(cd "$root" && cargo build --release --locked --bin synth \
        --message-format=json-render-diagnostics)
    build_ms=$((($(date +%s%N) - start_ns) / 1000000))
    bin=$(grep -o '"executable":"[^"]*"' <<<"$build_json" | tail -n 1 | cut -d '"' -f 4)
    echo "   built $bin in $((build_ms / 1000)).$(printf '%03d' $((build_ms % 1000))) s" >&2
fi
resolve_bin
make_work bench

find_hyperfine
find_time_cmd

# (No quotes in PREPARE: hyperfine -N splits it on spaces. mktemp's paths have none.)


# Median wall time in ms (three decimals) of the command in "$@", run in the current directory;
# with PREPARE set, that shell command runs before each run, untimed; with IGNORE_FAILURE set,
# a run may exit non-zero (the bash loop never checks).
median_ms() {
    local prepare=${PREPARE:-}
    if $have_hyperfine; then
        local csv="$work/hyperfine.csv" args=(--style none --warmup 2 --min-runs 5 --max-runs 50)
        if [[ -n "$prepare" ]]; then
            args+=(--prepare "$prepare")
        fi
        if [[ -n "${IGNORE_FAILURE:-}" ]]; then
            args+=(--ignore-failure)
        fi
        # hyperfine's warnings (outliers, a slow first run) go to a log, shown only on failure.
        if ! hyperfine "${args[@]}" --export-csv "$csv" -N "$*" >/dev/null 2>"$work/hyperfine.log"; then
            cat "$work/hyperfine.log" >&2
            return 1
        fi
        awk -F, 'NR == 2 { printf "%.3f", $4 * 1000 }' "$csv"
    else
        local runs=11 r t0 samples=()
        for ((r = 0; r < runs + 2; r++)); do
            if [[ -n "$prepare" ]]; then
                bash -c "$prepare"
            fi
            t0=${EPOCHREALTIME/./} # microseconds, without forking `date`
            "$@" >/dev/null 2>&1
            if ((r >= 2)); then # the first two are warm-up
                samples+=($((${EPOCHREALTIME/./} - t0)))
            fi
        done
        printf '%s\n' "${samples[@]}" | sort -n |
            awk '{ a[NR] = $1 } END { printf "%.3f", a[int((NR + 1) / 2)] / 1e3 }'
    fi
}


# Digest of every file in out/, by name and content.
digest() {
    (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
}

ms_le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
verdict() { if ms_le "$1" "$2"; then echo "met"; else echo "MISSED"; fi; }

# The file-creation floor: recreates the files of out/ (kept in memory) in $1/floor, removing
# the previous copy first, and prints the median of the timed creates in ms.
measure_floor() {
    python3 - "$1" <<'PY'
import os, shutil, statistics, sys, time
work = sys.argv[1]
names = sorted(os.listdir(os.path.join(work, "out")))
files = [(n, open(os.path.join(work, "out", n), "rb").read()) for n in names]
target = os.path.join(work, "floor")
samples = []
for run in range(12):
    shutil.rmtree(target, ignore_errors=True)
    start = time.perf_counter()
    os.mkdir(target)
    for name, data in files:
        fd = os.open(os.path.join(target, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, data)
        os.close(fd)
    if run >= 2:  # the first two are warm-up
        samples.append((time.perf_counter() - start) * 1000)
shutil.rmtree(target)
print(f"{statistics.median(samples):.3f}")
PY
}

# Median wall time in ms of `synth --out <new directory>` over 9 runs after 2 warm-up runs,
# each into a directory that has never existed; they stay until the end (deleting them would
# slow the next runs' file creation, see the top). Leaves the first in out-new-1. In turn with
# each, `cp -r out-new-1 cp-new-<r>` (from the second run on, when out-new-1 is finished),
# timed the same way: prints "<synth ms> <cp ms>".
fresh_ms() {
    local r t0 samples=() copies=()
    sync # no writeback of earlier runs' files during these
    for ((r = 1; r <= 12; r++)); do
        if ((r <= 11)); then
            times >"$work/cpu-new-$r.a"
            t0=${EPOCHREALTIME/./}
            "$bin" --out "out-new-$r" >/dev/null 2>&1
            if ((r > 2)); then
                samples+=($((${EPOCHREALTIME/./} - t0)))
            fi
            times >"$work/cpu-new-$r.b"
        fi
        if ((r >= 2)); then
            times >"$work/cpu-cp-$r.a"
            t0=${EPOCHREALTIME/./}
            cp -r out-new-1 "cp-new-$r"
            if ((r > 3)); then
                copies+=($((${EPOCHREALTIME/./} - t0)))
            fi
            times >"$work/cpu-cp-$r.b"
        fi
    done
    printf '%s %s %s %s\n' \
        "$(printf '%s\n' "${samples[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.3f", a[5] / 1e3 }')" \
        "$(printf '%s\n' "${copies[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.3f", a[5] / 1e3 }')" \
        "$(cpu_between new 3 11)" "$(cpu_between cp 4 12)"
}

# CPU time (user + system) that this shell's children took, from the output of `times` (its
# second line) in file $1, in ms.
children_cpu() {
    awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/)
        printf "%.3f", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * 1000 }' "$1"
}

# Mean CPU ms of runs $2..$3 of kind $1, between their `times` snapshots (cpu-<kind>-<r>.a/.b).
cpu_between() {
    local r sum=0
    for ((r = $2; r <= $3; r++)); do
        sum=$(awk -v s="$sum" -v a="$(children_cpu "$work/cpu-$1-$r.a")" \
            -v b="$(children_cpu "$work/cpu-$1-$r.b")" 'BEGIN { printf "%.3f", s + b - a }')
    done
    awk -v s="$sum" -v n=$(($3 - $2 + 1)) 'BEGIN { printf "%.1f", s / n }'
}

# Mean CPU ms (user + system) of 5 runs of "$@" after 1 warm-up, exit status ignored.
cpu_ms() {
    local r
    for ((r = 0; r <= 5; r++)); do
        times >"$work/cpu-run-$r.a"
        "$@" >/dev/null 2>&1 || true
        times >"$work/cpu-run-$r.b"
    done
    cpu_between run 1 5
}

declare -A new_ms cp_ms compile_ms new_cpu cp_cpu compile_cpu write_ms rewrite_ms check_ms floor_ms write_mib check_mib sums
identical=true
# Phase 1: every figure that must come before anything is deleted.
for n in $sizes; do
    generate "$work/n$n" "$n"
done
for n in $sizes; do
    cd "$work/n$n"
    echo "== N = $n, new out/" >&2
    read -r new_ms[$n] cp_ms[$n] new_cpu[$n] cp_cpu[$n] < <(fresh_ms)
    # Byte-identical output: every run wrote the same bytes.
    for ((r = 2; r <= 11; r++)); do
        if ! diff -r out-new-1 "out-new-$r" >/dev/null; then
            echo "   output differs between two runs" >&2
            identical=false
        fi
    done
    mv out-new-1 out
    sums[$n]=$(digest out)
    cd "$root"
done
# Phase 2: the rest.
for n in $sizes; do
    dir="$work/n$n"
    cd "$dir"
    echo "== N = $n" >&2
    rm -rf out-new-* cp-new-*
    # The CPU half: no out/ to read or write (exit 1, every file missing).
    compile_ms[$n]=$(IGNORE_FAILURE=1 median_ms "$bin" --check --out "$dir/none")
    compile_cpu[$n]=$(cpu_ms "$bin" --check --out "$dir/none")
    rewrite_ms[$n]=$(median_ms "$bin")
    check_ms[$n]=$(median_ms "$bin" --check)
    write_ms[$n]=$(PREPARE="rm -rf $dir/out" median_ms "$bin")
    if ((n >= 100)); then
        floor_ms[$n]=$(measure_floor "$dir")
    fi
    rm -rf out
    write_mib[$n]=$(peak_mib "$bin")
    check_mib[$n]=$(peak_mib "$bin" --check)
    cd "$root"
done

echo
echo "Machine: $(machine); $(rustc --version 2>/dev/null || echo 'rustc ?')."
if [[ -n "$build_ms" ]]; then
    echo "Build: cargo build --release --locked --bin synth took $((build_ms / 1000)) s (incremental if target/ was warm)."
fi
echo "File system of the work directory: $(df -T "$work" | awk 'NR == 2 { print $2 }')."
echo "Timing: $($have_hyperfine && hyperfine --version || echo 'bash loop'), median; memory: ${time_cmd:-python3 getrusage}, max RSS."
echo
echo "| N | new ms | cp ms | new / cp | compile ms | CPU ms new / cp / compile | write ms | floor ms | rewrite ms | check ms | peak MiB write / check | new ms per stack | check ms per stack | out/ digest |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for n in $sizes; do
    awk -v n="$n" -v nw="${new_ms[$n]}" -v cp="${cp_ms[$n]}" -v co="${compile_ms[$n]}" \
        -v cpu="${new_cpu[$n]} / ${cp_cpu[$n]} / ${compile_cpu[$n]}" \
        -v w="${write_ms[$n]}" -v f="${floor_ms[$n]:-}" \
        -v r="${rewrite_ms[$n]}" -v c="${check_ms[$n]}" -v wm="${write_mib[$n]}" \
        -v cm="${check_mib[$n]}" -v s="${sums[$n]}" 'BEGIN {
        fl = f == "" ? "-" : sprintf("%.1f", f)
        printf "| %d | %.1f | %.1f | %.2f | %.1f | %s | %.1f | %s | %.1f | %.1f | %.1f / %.1f | %.3f | %.3f | `%s` |\n",
            n, nw, cp, nw / cp, co, cpu, w, fl, r, c, wm, cm, nw / n, c / n, s }'
done
echo

if [[ -n "${new_ms[1]:-}" ]]; then
    echo "- one stack, process start to files written: ${new_ms[1]} ms (target <= $target_one_ms ms): $(verdict "${new_ms[1]}" "$target_one_ms")"
fi
if [[ -n "${new_ms[1000]:-}" ]]; then
    echo "- 1,000 stacks, synth writing a new out/: ${new_ms[1000]} ms (target <= $target_thousand_ms ms): $(verdict "${new_ms[1000]}" "$target_thousand_ms")"
    cp_limit=$(awk -v c="${cp_ms[1000]}" -v r="$target_cp_ratio" 'BEGIN { printf "%.3f", c * r }')
    echo "- 1,000 stacks, synth writing a new out/ against cp -r of the same tree: ${new_ms[1000]} ms / ${cp_ms[1000]} ms = $(awk -v a="${new_ms[1000]}" -v b="${cp_ms[1000]}" 'BEGIN { printf "%.2f", a / b }') (target <= $target_cp_ratio): $(verdict "${new_ms[1000]}" "$cp_limit")"
    echo "  - where the time goes (CPU time, user + system, mean: steadier than wall time on a busy machine): synth writing a new out/ ${new_cpu[1000]} ms, of which compiling alone (synth --check with no out/: nothing read back or written) ${compile_cpu[1000]} ms and writing the files $(awk -v a="${new_cpu[1000]}" -v b="${compile_cpu[1000]}" 'BEGIN { printf "%.1f", a - b }') ms; cp -r of the same files ${cp_cpu[1000]} ms; compiling alone is $(awk -v a="${compile_cpu[1000]}" -v b="${cp_cpu[1000]}" 'BEGIN { printf "%.1f", a / b }') × cp"
    echo "- 1,000 stacks, synth right after rm -rf out/: ${write_ms[1000]} ms (target <= $target_thousand_ms ms): $(verdict "${write_ms[1000]}" "$target_thousand_ms"); the same 1,000 creates without synth: ${floor_ms[1000]} ms"
    echo "- 1,000 stacks, synth --check: ${check_ms[1000]} ms (target <= $target_thousand_ms ms): $(verdict "${check_ms[1000]}" "$target_thousand_ms")"
    echo "- 1,000 stacks, peak memory: ${write_mib[1000]} MiB write, ${check_mib[1000]} MiB check (target <= $target_thousand_mib MiB): $(verdict "${write_mib[1000]}" "$target_thousand_mib") / $(verdict "${check_mib[1000]}" "$target_thousand_mib")"
fi
# Linearity: the cost of one more stack (between consecutive sizes) should not grow with N.
read -r -a ns <<<"$sizes"
if ((${#ns[@]} >= 3)); then
    line="- marginal ms per stack (new; check):"
    first=""
    last=""
    for ((k = 1; k < ${#ns[@]}; k++)); do
        a=${ns[k - 1]}
        b=${ns[k]}
        m=$(awk -v wa="${new_ms[$a]}" -v wb="${new_ms[$b]}" -v ca="${check_ms[$a]}" \
            -v cb="${check_ms[$b]}" -v a="$a" -v b="$b" \
            'BEGIN { printf "%.3f %.3f", (wb - wa) / (b - a), (cb - ca) / (b - a) }')
        line+=" $a→$b: ${m/ /; }"
        if ((k == ${#ns[@]} - 2)); then first=${m#* }; fi
        if ((k == ${#ns[@]} - 1)); then last=${m#* }; fi
    done
    echo "$line"
    # Compare the last two steps of check (no fsync noise): within 25% counts as linear.
    if awk -v f="$first" -v l="$last" 'BEGIN { exit !(l <= f * 1.25 && l >= f * 0.75) }'; then
        echo "- linear in N (check, last two steps within 25%): yes"
    else
        echo "- linear in N (check, last two steps within 25%): NO"
    fi
fi
if $identical; then
    echo "- output byte-identical across two runs: yes"
else
    echo "- output byte-identical across two runs: NO"
    exit 1
fi

# shellcheck shell=bash
# Shared by benches/whole-process.sh and benches/peers.sh (sourced, not run). The sourcing
# script sets `script` (its name, for messages) and `help_lines` (the sed range of its header
# comment) first.

# shellcheck disable=SC2034 # used by the scripts that source this file
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
template="$root/benches/generate/stack.yaml.in"
sizes="1 10 100 1000"
bin=""
keep=false

# The rules judge runtimes by today's date: pin it so the workload does not change over time.
export SYNTH_TODAY="${SYNTH_TODAY:-2026-11-26}"

# --sizes "1 10 ...", --bin PATH, --keep, --help.
# shellcheck disable=SC2034,SC2154 # sizes is read, script and help_lines are set, by the caller
parse_args() {
    while (($# > 0)); do
        case "$1" in
        --sizes)
            sizes="$2"
            shift 2
            ;;
        --bin)
            bin="$2"
            shift 2
            ;;
        --keep)
            keep=true
            shift
            ;;
        -h | --help)
            sed -n "${help_lines}p" "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "$script: unknown argument: $1 (see --help)" >&2
            exit 2
            ;;
        esac
    done
}

# Makes $bin an absolute path to an executable: every run happens in another directory.
# shellcheck disable=SC2154 # script is set by the caller
resolve_bin() {
    if [[ "$bin" != */* ]]; then
        bin=$(command -v "$bin" || true)
    fi
    bin=$(realpath -e "$bin" 2>/dev/null || true)
    if [[ ! -x "$bin" ]]; then
        echo "$script: no executable synth (see --bin)" >&2
        exit 2
    fi
}

# A fresh work directory under TMPDIR, removed on exit unless --keep.
make_work() {
    work=$(mktemp -d "${TMPDIR:-/tmp}/synth-$1.XXXXXX")
    if $keep; then
        echo "   keeping $work" >&2
    else
        trap 'rm -rf "$work"' EXIT
    fi
}

# Sets have_hyperfine: timings use hyperfine when installed, else a bash loop.
find_hyperfine() {
    have_hyperfine=false
    if command -v hyperfine >/dev/null; then
        have_hyperfine=true
    else
        echo "   hyperfine not found (apt-get install hyperfine): timing with a bash loop" >&2
    fi
}

# Sets time_cmd for peak memory: /usr/bin/time when installed, else python3's getrusage (empty).
# shellcheck disable=SC2154 # script is set by the caller
find_time_cmd() {
    time_cmd=""
    if [[ -x /usr/bin/time ]]; then
        time_cmd=/usr/bin/time
    elif ! command -v python3 >/dev/null; then
        echo "$script: need /usr/bin/time (apt-get install time) or python3 for peak memory" >&2
        exit 2
    fi
}

# Peak resident set size in MiB (one decimal) of one run of "$@"; the run must exit 0.
peak_mib() {
    local kib
    if [[ -n "$time_cmd" ]]; then
        kib=$("$time_cmd" -f '%M' -o "$work/time.txt" "$@" >/dev/null 2>&1 && cat "$work/time.txt")
    else
        kib=$(python3 -c '
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(code)' "$@")
    fi
    awk -v k="$kib" 'BEGIN { printf "%.1f", k / 1024 }'
}

# Writes specs 1..n into $1/stacks, as benches/generate/mod.rs does.
generate() {
    local dir=$1 n=$2 i num text
    text=$(<"$template")
    mkdir -p "$dir/stacks"
    for ((i = 1; i <= n; i++)); do
        printf -v num '%04d' "$i"
        printf '%s\n' "${text//@N@/$num}" >"$dir/stacks/bench-$num.yaml"
    done
}

# CPU, cores, memory and kernel, for the line that says what the figures ran on.
machine() {
    local cpu mem
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    mem=$(free -m | awk '/^Mem:/ { print $2 }')
    echo "$cpu, $(nproc) cores, $mem MiB RAM, $(uname -sr)"
}

#!/usr/bin/env bash
# Bounded fuzz smoke run for CI: builds the four targets with cargo-fuzz on the stable toolchain
# (`-s none`: no sanitizer, which stable cannot build; Rust code needs none for memory safety) and
# runs each for FUZZ_SECONDS (default 10) from the committed seeds. A crash fails the script and
# leaves its input under fuzz/artifacts/<target>/. New corpus entries go to a temporary directory,
# so the smoke run never writes into the repository.
#
# The `http` target drives the whole server: its instrumented release build takes about 10
# CPU-minutes cold (6 to 14 minutes on 2 cores). Builds go to a target directory outside the
# checkout (ROSTER_FUZZ_TARGET_DIR, default ~/.cache/roster/fuzz-target), so a machine pays that
# once and later runs rebuild only what changed, as CI does for its cargo tools. The same harness
# (`roster_web::fuzzing`) also runs on random inputs in the integration suite (`hostile_http`).
set -euo pipefail

cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-10}"
target_dir="${ROSTER_FUZZ_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/roster/fuzz-target}"
mkdir -p "$target_dir"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz/smoke.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

corpus="$(mktemp -d)"
trap 'rm -rf "$corpus"' EXIT

for target in filter path patch http; do
    mkdir -p "$corpus/$target"
    echo "fuzz/smoke.sh: $target for ${seconds}s" >&2
    log="$corpus/$target.log"
    if ! cargo fuzz run -s none -O --target-dir "$target_dir" "$target" "$corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1; then
        tail -n 80 "$log" >&2
        echo "fuzz/smoke.sh: $target FAILED; reproduce with: cargo fuzz run -s none $target fuzz/artifacts/$target/<file>" >&2
        exit 1
    fi
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$log" >&2 || true
done
echo "fuzz/smoke.sh: all targets ran ${seconds}s without a crash" >&2

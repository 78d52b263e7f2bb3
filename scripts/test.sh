#!/usr/bin/env bash
# `make test` and `make test-full`: the workspace's tests, with the one long test run beside
# the others instead of after them.
#
# `cargo test` runs its test binaries one after another. The long test (`nicc run --quick` over
# every block, in tests/cli.rs) spends about three minutes in one single-threaded Yosys process
# (the packet engine's asic flow): run in turn, it would leave one of the two cores of the CI
# machine idle for that time. Here it runs in a second `cargo test` beside the first, which
# skips it. Both use the same build (made first), so neither compiles anything.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo=${CARGO:-cargo}
long=run_quick_reports_every_block_passing_with_figures

$cargo test --workspace --no-run

mkdir -p target
log=target/test-long.log
echo "test.sh: $long runs beside the other tests; its output goes to $log"
$cargo test --workspace --test cli -- --exact "$long" >"$log" 2>&1 &
long_pid=$!
rest=0
$cargo test --workspace -- --skip "$long" || rest=$?
long_rc=0
wait "$long_pid" || long_rc=$?
echo "test.sh: ---- $long ($log) ----"
cat "$log"
# A renamed test would match nothing and "pass": it must have run, and passed.
if [ "$long_rc" -eq 0 ] && ! grep -q "^test $long \.\.\. ok$" "$log"; then
  echo "test.sh: $long did not run: was it renamed? (update scripts/test.sh)" >&2
  long_rc=1
fi
if [ "$rest" -ne 0 ] || [ "$long_rc" -ne 0 ]; then
  [ "$rest" -ne 0 ] && echo "test.sh: the workspace's tests failed (exit $rest; output above)" >&2
  [ "$long_rc" -ne 0 ] && echo "test.sh: $long failed (exit $long_rc; output above)" >&2
  exit 1
fi
echo "test.sh: all tests passed"

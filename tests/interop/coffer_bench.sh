#!/usr/bin/env bash
# The load generator (coffer-bench) against a built server: every workload runs a few
# hundred operations without an error, and list pages (plain and with a delimiter over
# --dirs) come back full. Keeps the tool that docs/performance.md relies on working.
source "$(dirname "$0")/lib.sh"

start_server
BENCH="$ROOT/target/release/coffer-bench"
[ -x "$BENCH" ] || (cd "$ROOT" && cargo build --release --quiet --bin coffer-bench) || fail "building coffer-bench"

# check LABEL MIN_ITEMS_PER_OP ARGS...: run a workload with --json; no errors, every
# operation counted, and list pages holding at least MIN_ITEMS_PER_OP items.
check() {
  local label=$1 min_items=$2; shift 2
  run "$label" "$BENCH" --endpoint "$ENDPOINT" --bucket bench --json --server-pid "$SERVER_PID" "$@"
  python3 - "$WORK/$label.out" "$min_items" <<'PY' || fail "$label: unexpected report (see above)"
import json, sys
report = json.load(open(sys.argv[1]))
min_items = float(sys.argv[2])
print(json.dumps({p["name"]: p["total"]["ops"] for p in report["phases"]}))
for phase in report["phases"]:
    total = phase["total"]
    assert not total["errors"], f"{phase['name']}: errors {total['errors']}"
    assert total["ops"] > 0, f"{phase['name']}: no operations"
    listed = phase["ops"].get("list")
    if listed and min_items:
        per_page = listed["items"] / listed["ops"]
        assert per_page >= min_items, f"{phase['name']}: list pages held {per_page} items"
assert report["server_memory"]["peak_kib"] > 0
PY
}

check put 0 put --size 4KiB..64KiB --concurrency 8 --count 300 --keys 300 --prefix flat/
check get 0 get --concurrency 8 --count 300 --keys 300 --prefix flat/ --no-prepare
check list 100 list --count 20 --keys 300 --prefix flat/ --max-keys 100 --no-prepare
check dirs 0 put --size 1KiB --concurrency 8 --count 2000 --keys 2000 --dirs 200 --prefix tree/
check delimited 50 list --count 20 --keys 2000 --dirs 200 --delimiter / --prefix tree/ --max-keys 50 --no-prepare
check mixed 0 mixed --concurrency 4 --count 300 --keys 300 --prefix flat/ --no-prepare --mix get:60,put:25,list:15
check delete 0 delete --concurrency 8 --count 300 --keys 300 --prefix flat/
finish "coffer-bench"

#!/usr/bin/env bash
# restic against coffer at its defaults (s3 backend, only the endpoint in the repository
# URL): init, two backups with changes in between, check --read-data, restore with byte
# comparison, forget --keep-last 1 --prune, check again.
source "$(dirname "$0")/lib.sh"

apt_install restic restic
echo "restic: $(restic version)"
start_server
cd "$WORK"

export RESTIC_REPOSITORY="s3:$ENDPOINT/restic-repo"
export RESTIC_PASSWORD=interop-password
export RESTIC_CACHE_DIR="$WORK/cache"

# The repository's bucket: restic creates it itself when missing (CreateBucket).
mkdir -p src/docs/deep/er src/empty-dir
head -c 5000000 /dev/urandom >src/big.bin
head -c 1000 /dev/urandom >"src/docs/with space ü.txt"
: >src/docs/empty
for i in $(seq 1 50); do head -c $((i * 997)) /dev/urandom >"src/docs/deep/er/f$i"; done

run init restic init
run backup1 restic backup --host interop src
# Changes: one file modified, one removed, one added, a big one appended to.
head -c 4096 /dev/urandom >src/docs/deep/er/f7
rm src/docs/deep/er/f8
head -c 300000 /dev/urandom >src/new.bin
head -c 100000 /dev/urandom >>src/big.bin
run backup2 restic backup --host interop src
run snapshots restic snapshots --json
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$WORK/snapshots.out")
[ "$n" = 2 ] || fail "restic snapshots lists $n snapshots, want 2: $(cat "$WORK/snapshots.out")"

run check1 restic check --read-data
run restore restic restore latest --target restored
diff -r src restored/src >diff.out || fail "restored tree differs: $(cat diff.out)"
# The first snapshot restores the first state of the changed file.
run restore-first restic restore "$(python3 -c 'import json,sys; print(sorted(json.load(open(sys.argv[1])), key=lambda s: s["time"])[0]["id"])' "$WORK/snapshots.out")" --target first
[ -f first/src/docs/deep/er/f8 ] || fail "first snapshot lacks the later removed file"
[ ! -e first/src/new.bin ] || fail "first snapshot has the later added file"

run forget restic forget --keep-last 1 --prune
run snapshots2 restic snapshots --json
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$WORK/snapshots2.out")
[ "$n" = 1 ] || fail "after forget --keep-last 1: $n snapshots"
run check2 restic check --read-data
rm -rf restored
run restore2 restic restore latest --target restored
diff -r src restored/src >diff.out || fail "restored tree after prune differs: $(cat diff.out)"
echo "restic interop: OK"

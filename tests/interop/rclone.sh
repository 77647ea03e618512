#!/usr/bin/env bash
# rclone against coffer at its defaults (an s3 remote of provider Other configured only by
# environment: endpoint and keys): sync of a tree with nested folders, unicode and space
# names, empty files and a 200 MiB file (multipart), check (size and MD5), copy back with
# diff, server-side copy between buckets, delete and purge.
source "$(dirname "$0")/lib.sh"

apt_install rclone rclone
echo "rclone: $(rclone version | sed -n 1p)"
start_server
cd "$WORK"

export RCLONE_CONFIG="$WORK/rclone.conf"  # empty: no user configuration
: >"$RCLONE_CONFIG"
export RCLONE_CONFIG_C_TYPE=s3
export RCLONE_CONFIG_C_PROVIDER=Other
export RCLONE_CONFIG_C_ENDPOINT="$ENDPOINT"
export RCLONE_CONFIG_C_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID"
export RCLONE_CONFIG_C_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY"

mkdir -p "tree/a/b/c" "tree/ünï cødé/日本語" "tree/with space/and more"
head -c $((200 * 1024 * 1024)) /dev/urandom >tree/big-200MiB.bin
head -c 123456 /dev/urandom >"tree/a/b/c/deep file.dat"
: >tree/a/empty
: >"tree/ünï cødé/日本語/空.txt"
echo "héllo wörld" >"tree/ünï cødé/naïve résumé.txt"
head -c 7000000 /dev/urandom >"tree/with space/and more/seven MB.bin"
for i in $(seq 1 30); do head -c $((i * 311)) /dev/urandom >"tree/a/b/f $i+plus&amp=eq.txt"; done
nfiles=$(find tree -type f | wc -l)

run mkdir rclone mkdir c:alpha
run sync rclone sync tree c:alpha/tree
run ls rclone ls c:alpha/tree
[ "$(wc -l <"$WORK/ls.out")" -eq "$nfiles" ] || fail "rclone ls lists $(wc -l <"$WORK/ls.out") files, want $nfiles: $(cat "$WORK/ls.out")"
# A second sync has nothing to transfer.
run sync2 rclone sync tree c:alpha/tree --stats-one-line -v
grep -q "There was nothing to transfer" "$WORK/sync2.out" || fail "second sync transferred something: $(cat "$WORK/sync2.out")"
# check compares sizes and MD5 hashes (the 200 MiB multipart object's MD5 from rclone's metadata).
run check rclone check tree c:alpha/tree
run md5 rclone md5sum c:alpha/tree/big-200MiB.bin
[ "$(cut -d' ' -f1 "$WORK/md5.out")" = "$(md5sum tree/big-200MiB.bin | cut -d' ' -f1)" ] || fail "md5sum of the 200 MiB object: $(cat "$WORK/md5.out")"

run copyback rclone copy c:alpha/tree back
diff -r tree back >diff.out || fail "copied-back tree differs: $(cat diff.out)"

# Server-side copy between buckets (rclone uses CopyObject), then check the copy.
run mkdir2 rclone mkdir c:beta
run sscopy rclone copy c:alpha/tree c:beta/copy -v
grep -q "Copied (server-side copy)" "$WORK/sscopy.out" || fail "rclone copy c:alpha c:beta was not server-side: $(tail -n 20 "$WORK/sscopy.out")"
run check2 rclone check tree c:beta/copy

# Changes then sync with deletions on the remote.
rm "tree/a/b/f 3+plus&amp=eq.txt"
echo changed >"tree/a/empty"
run sync3 rclone sync tree c:alpha/tree
run check3 rclone check tree c:alpha/tree

run delete rclone delete c:beta/copy --include "*.txt"
run ls2 rclone ls c:beta/copy
if grep -q '\.txt$' "$WORK/ls2.out"; then fail "rclone delete --include *.txt left: $(grep '\.txt$' "$WORK/ls2.out")"; fi
run purge rclone purge c:beta
run lsd rclone lsd c:
if grep -q beta "$WORK/lsd.out"; then fail "bucket beta still listed after purge: $(cat "$WORK/lsd.out")"; fi
run purge2 rclone purge c:alpha
echo "rclone interop: OK"

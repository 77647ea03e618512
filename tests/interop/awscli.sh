#!/usr/bin/env bash
# The aws cli user round trip of the README against a freshly built coffer: mb, cp up and
# down, ls, sync, rm, rb, with byte comparison. aws cli at its default settings.
source "$(dirname "$0")/lib.sh"

command -v aws >/dev/null 2>&1 || python3 -m pip install --quiet awscli || fail "installing awscli"
echo "awscli: $(aws --version 2>&1)"
start_server
aws() { command aws --endpoint-url "$ENDPOINT" "$@"; }
quiet() { aws "$@" --no-progress; }

cd "$WORK"
head -c 3000000 /dev/urandom >file
head -c $((50 * 1024 * 1024)) /dev/urandom >file50
mkdir -p dir/sub
head -c 1234 /dev/urandom >dir/one
head -c 0 /dev/urandom >dir/empty
head -c 700000 /dev/urandom >"dir/sub/with space ü.bin"

aws s3 mb s3://photos || fail "s3 mb"
quiet s3 cp ./file s3://photos/a/b.jpg || fail "s3 cp up"
aws s3 ls s3://photos --recursive >ls.txt || fail "s3 ls"
grep -q "a/b.jpg" ls.txt || fail "s3 ls does not show a/b.jpg: $(cat ls.txt)"
quiet s3 cp s3://photos/a/b.jpg ./back || fail "s3 cp down"
cmp file back || fail "downloaded bytes differ"

# 50 MiB: the cli switches to multipart uploads and ranged downloads at its defaults.
quiet s3 cp ./file50 s3://photos/file50 || fail "s3 cp 50 MiB up"
quiet s3 cp s3://photos/file50 ./back50 || fail "s3 cp 50 MiB down"
cmp file50 back50 || fail "50 MiB downloaded bytes differ"

quiet s3 sync ./dir s3://photos/dir || fail "s3 sync up"
aws s3 ls s3://photos/dir/ --recursive >ls2.txt || fail "s3 ls dir"
[ "$(wc -l <ls2.txt)" -eq 3 ] || fail "sync uploaded $(wc -l <ls2.txt) objects, want 3: $(cat ls2.txt)"
# A second sync has nothing to do.
[ -z "$(aws s3 sync ./dir s3://photos/dir)" ] || fail "second sync was not a no-op"
quiet s3 sync s3://photos/dir ./dir-back || fail "s3 sync down"
diff -r dir dir-back || fail "synced tree differs"

aws s3 rm s3://photos/a/b.jpg || fail "s3 rm"
if aws s3 ls s3://photos/a/ | grep -q b.jpg; then fail "object still listed after rm"; fi
if aws s3 rb s3://photos 2>rb.err; then fail "rb of a non-empty bucket succeeded"; fi
grep -q BucketNotEmpty rb.err || fail "rb of a non-empty bucket: $(cat rb.err)"
aws s3 rm s3://photos --recursive || fail "s3 rm --recursive"
aws s3 rb s3://photos || fail "s3 rb"
echo "awscli interop: OK"

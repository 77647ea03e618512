#!/usr/bin/env bash
# s3cmd against coffer with a generated config (host_base/host_bucket = the server,
# use_https = False, keys; everything else, signature included, at s3cmd's defaults):
# mb, put (single and multipart), get, sync both ways, ls, la, du, info, del, rb.
source "$(dirname "$0")/lib.sh"

apt_install s3cmd s3cmd
echo "s3cmd: $(s3cmd --version)"
start_server
cd "$WORK"

cat >s3cfg <<CFG
[default]
access_key = $AWS_ACCESS_KEY_ID
secret_key = $AWS_SECRET_ACCESS_KEY
host_base = 127.0.0.1:$PORT
host_bucket = 127.0.0.1:$PORT
use_https = False
CFG
s3() { s3cmd -c "$WORK/s3cfg" "$@"; }

head -c 2000000 /dev/urandom >small.bin
head -c $((40 * 1024 * 1024)) /dev/urandom >big.bin   # > 15 MiB: s3cmd's multipart default
mkdir -p tree/sub/"with space" tree/ünï
head -c 777 /dev/urandom >tree/a
: >tree/empty
head -c 4000 /dev/urandom >"tree/sub/with space/b c.txt"
head -c 5000 /dev/urandom >"tree/ünï/ç.bin"

# s3cmd signs requests that name no bucket yet (CreateBucket, ListBuckets) for its default
# bucket_location "US" and relies on the server's AuthorizationHeaderMalformed error
# naming the right <Region> to retry, as S3 does. If mb fails, the bucket is made with
# the aws cli so that the rest is still covered; the script fails at the end.
if ! soft mb s3 mb s3://cmdbkt; then
  command -v aws >/dev/null 2>&1 && aws --endpoint-url "$ENDPOINT" s3 mb s3://cmdbkt >/dev/null || fail "making the bucket with the aws cli"
fi
if soft ls-buckets s3 ls; then
  grep -q "s3://cmdbkt" "$WORK/ls-buckets.out" || fail "bucket not in s3cmd ls: $(cat "$WORK/ls-buckets.out")"
fi
run put s3 put small.bin s3://cmdbkt/dir/small.bin
run put-big s3 put big.bin s3://cmdbkt/big.bin
parts=$(grep -c "method=PUT path=/cmdbkt/big.bin " "$WORK/server.log" || true)
[ "$parts" = 3 ] || fail "40 MiB put sent $parts part PUTs, want a 3-part multipart upload"
run get s3 get s3://cmdbkt/dir/small.bin small.back
cmp small.bin small.back || fail "small object differs"
run get-big s3 get s3://cmdbkt/big.bin big.back
cmp big.bin big.back || fail "multipart object differs"

run sync-up s3 sync tree/ s3://cmdbkt/tree/
puts=$(grep -c "method=PUT" "$WORK/server.log")
run sync-up2 s3 sync tree/ s3://cmdbkt/tree/
[ "$(grep -c "method=PUT" "$WORK/server.log")" = "$puts" ] || fail "second sync uploaded again: $(cat "$WORK/sync-up2.out")"
run sync-down s3 sync s3://cmdbkt/tree/ back/
diff -r tree back >diff.out || fail "synced tree differs: $(cat diff.out)"

run ls s3 ls s3://cmdbkt/
grep -q "DIR.*s3://cmdbkt/dir/" "$WORK/ls.out" || fail "ls lacks the dir/ prefix: $(cat "$WORK/ls.out")"
grep -q "s3://cmdbkt/big.bin" "$WORK/ls.out" || fail "ls lacks big.bin: $(cat "$WORK/ls.out")"
run ls-r s3 ls -r s3://cmdbkt
[ "$(wc -l <"$WORK/ls-r.out")" -eq 6 ] || fail "ls -r lists $(wc -l <"$WORK/ls-r.out") objects, want 6: $(cat "$WORK/ls-r.out")"
soft la s3 la || true   # ListBuckets first, as s3cmd ls
run du s3 du s3://cmdbkt
want=$((2000000 + 40 * 1024 * 1024 + 777 + 4000 + 5000))
grep -q "^ *$want " "$WORK/du.out" || fail "du: $(cat "$WORK/du.out"), want $want bytes"

run info-object s3 info s3://cmdbkt/dir/small.bin
grep -q "File size: *2000000" "$WORK/info-object.out" || fail "info object: $(cat "$WORK/info-object.out")"
grep -q "MD5 sum: *$(md5sum small.bin | cut -d' ' -f1)" "$WORK/info-object.out" || fail "info object MD5: $(cat "$WORK/info-object.out")"
run info-bucket s3 info s3://cmdbkt

run del s3 del s3://cmdbkt/dir/small.bin
run ls2 s3 ls -r s3://cmdbkt
if grep -q small.bin "$WORK/ls2.out"; then fail "deleted object still listed"; fi
if s3 rb s3://cmdbkt >rb.out 2>&1; then fail "rb of a non-empty bucket succeeded"; fi
grep -q BucketNotEmpty rb.out || fail "rb of a non-empty bucket: $(cat rb.out)"
run del-r s3 del -r --force s3://cmdbkt
run rb s3 rb s3://cmdbkt
if soft ls3 s3 ls; then
  if grep -q cmdbkt "$WORK/ls3.out"; then fail "bucket still listed after rb"; fi
fi
finish "s3cmd interop"

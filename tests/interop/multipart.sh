#!/usr/bin/env bash
# Multipart uploads with the aws cli at its defaults: a 1 GiB file up and down
# (byte-identical), then the s3api resume flow a backup tool follows: create, upload
# some parts, list-parts, upload the rest, complete.
source "$(dirname "$0")/lib.sh"

command -v aws >/dev/null 2>&1 || python3 -m pip install --quiet awscli || fail "installing awscli"
start_server
aws() { command aws --endpoint-url "$ENDPOINT" "$@"; }
cd "$WORK"

aws s3 mb s3://big || fail "mb"
# The client's copies of the 1 GiB file live in RAM (/dev/shm) where there is one: the
# server's data dir is what is under test, and a CI machine may not have 3 GiB of disk.
LOCAL="$WORK"
if [ -d /dev/shm ] && [ -w /dev/shm ]; then LOCAL=$(mktemp -d -p /dev/shm); trap 'rm -rf "$LOCAL"; cleanup' EXIT; fi
cd "$LOCAL"
head -c $((1024 * 1024 * 1024)) /dev/urandom >gib
t0=$(date +%s.%N)
aws s3 cp ./gib s3://big/gib --only-show-errors || fail "1 GiB upload"
t1=$(date +%s.%N)
aws s3 cp s3://big/gib ./gib.back --only-show-errors || fail "1 GiB download"
t2=$(date +%s.%N)
cmp gib gib.back || fail "1 GiB round trip differs"
echo "1 GiB: upload $(python3 -c "print(round($t1 - $t0, 1))") s, download $(python3 -c "print(round($t2 - $t1, 1))") s, server peak RSS $(server_peak_rss)"
etag=$(aws s3api head-object --bucket big --key gib --query ETag --output text)
case "$etag" in *-*) ;; *) fail "1 GiB object ETag $etag is not a multipart ETag" ;; esac
rm -f gib gib.back
cd "$WORK"

# Resume flow.
head -c $((12 * 1024 * 1024)) /dev/urandom >src
split -b $((5 * 1024 * 1024)) -d src part.
id=$(aws s3api create-multipart-upload --bucket big --key resumed --query UploadId --output text) || fail "create-multipart-upload"
aws s3api upload-part --bucket big --key resumed --upload-id "$id" --part-number 1 --body part.00 >/dev/null || fail "upload-part 1"
listed=$(aws s3api list-parts --bucket big --key resumed --upload-id "$id" --query 'Parts[].PartNumber' --output text) || fail "list-parts"
[ "$listed" = "1" ] || fail "list-parts after one part: $listed"
aws s3api list-multipart-uploads --bucket big --query 'Uploads[].Key' --output text | grep -q resumed || fail "upload not listed"
aws s3api upload-part --bucket big --key resumed --upload-id "$id" --part-number 2 --body part.01 >/dev/null || fail "upload-part 2"
aws s3api upload-part --bucket big --key resumed --upload-id "$id" --part-number 3 --body part.02 >/dev/null || fail "upload-part 3"
aws s3api list-parts --bucket big --key resumed --upload-id "$id" \
  --query '{Parts: Parts[].{PartNumber: PartNumber, ETag: ETag}}' --output json >parts.json || fail "list-parts"
aws s3api complete-multipart-upload --bucket big --key resumed --upload-id "$id" --multipart-upload file://parts.json >/dev/null || fail "complete"
aws s3api get-object --bucket big --key resumed resumed.back >/dev/null || fail "get resumed"
cmp src resumed.back || fail "resumed object differs"
echo "multipart interop: OK"

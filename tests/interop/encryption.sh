#!/usr/bin/env bash
# Server-side encryption with the tools users run, over HTTPS (a throwaway openssl CA and
# server certificate, as tls.sh makes them; SSE-C is refused over plain HTTP):
# - `aws s3 cp` up and down with --sse AES256, --sse aws:kms (a key from `aws kms
#   create-key`, its alias, and the account's alias/aws/s3), and --sse-c with a 32-byte
#   key file, each including a 20 MiB file (multipart at the cli's 8 MiB threshold);
#   head-object reports the encryption; an SSE-C object without its key or with another
#   key is refused;
# - bucket default encryption (put/get/delete-bucket-encryption) with aws:kms, then the
#   server default (AES256) once it is deleted;
# - a disabled KMS key makes its objects unreadable (KMS.DisabledException) until enabled;
# - boto3: put/get with SSE-KMS and SSE-C, an SSE-C multipart upload_file/download_file,
#   copy_object from SSE-C to SSE-S3, to SSE-KMS and to another customer key with
#   CopySourceSSECustomer*;
# - rclone (s3 remotes of provider Other configured by environment, --ca-cert) copying a
#   tree up (multipart) and back with server_side_encryption AES256, aws:kms +
#   sse_kms_key_id, and SSE-C (sse_customer_key_base64), into a bucket whose own default
#   differs, so that head-object shows rclone's headers were sent;
# - a marker uploaded in every mode by every tool is nowhere in the data directory (grep
#   -r), while a control object stored unencrypted (after a restart with
#   encryption.bucket_default = none) is found by the same grep.
source "$(dirname "$0")/lib.sh"

command -v aws >/dev/null 2>&1 || python3 -m pip install --quiet awscli || fail "installing awscli"
apt_install openssl openssl
apt_install rclone rclone
py_venv boto3 "$BOTO3_PKGS"
cd "$WORK"

start_tls_server
DATA="$WORK/data" # the --storage.path start_server gives the server
[ -d "$DATA" ] || fail "no data directory at $DATA"
aws() { command aws --endpoint-url "$HTTPS" --ca-bundle "$WORK/ca.crt" "$@"; }

# head_is LABEL BUCKET KEY QUERY WANT [HEAD-OBJECT ARGS...]: head-object's QUERY (text
# output, fields tab-separated) must be exactly WANT.
head_is() {
  local label=$1 bucket=$2 key=$3 query=$4 want=$5 got; shift 5
  got=$(aws s3api head-object --bucket "$bucket" --key "$key" --query "$query" --output text "$@" 2>"$label.err") ||
    fail "$label: head-object $bucket/$key failed: $(cat "$label.err")"
  [ "$got" = "$want" ] || fail "$label: head-object $bucket/$key $query is '$got', want '$want'"
}
T=$'\t'

head -c 3000000 /dev/urandom >small.bin
head -c $((20 * 1024 * 1024)) /dev/urandom >big.bin
head -c 32 /dev/urandom >ssec.key
head -c 32 /dev/urandom >other.key
[ "$(wc -c <ssec.key)" -eq 32 ] || fail "ssec.key is not 32 bytes"
SSEC_MD5=$(openssl dgst -md5 -binary ssec.key | base64)

KEY_ID=$(aws kms create-key --description "encryption interop" --query KeyMetadata.KeyId --output text) || fail "kms create-key"
KEY_ARN=$(aws kms describe-key --key-id "$KEY_ID" --query KeyMetadata.Arn --output text) || fail "kms describe-key"
case "$KEY_ARN" in arn:*:kms:*"$KEY_ID") ;; *) fail "key ARN '$KEY_ARN' does not name key $KEY_ID" ;; esac
run alias aws kms create-alias --alias-name alias/enc-interop --target-key-id "$KEY_ID"
run mb aws s3 mb s3://enc

echo "-- aws s3 cp with --sse AES256"
run s3-up aws s3 cp small.bin s3://enc/s3.bin --sse AES256
run s3-down aws s3 cp s3://enc/s3.bin s3.back
cmp small.bin s3.back || fail "SSE-S3 round trip differs"
head_is head-s3 enc s3.bin '[ServerSideEncryption,SSEKMSKeyId]' "AES256${T}None"

echo "-- aws s3 cp with --sse aws:kms"
for f in small big; do
  run "kms-up-$f" aws s3 cp "$f.bin" "s3://enc/kms-$f.bin" --sse aws:kms --sse-kms-key-id "$KEY_ID"
  run "kms-down-$f" aws s3 cp "s3://enc/kms-$f.bin" "kms-$f.back"
  cmp "$f.bin" "kms-$f.back" || fail "SSE-KMS round trip of $f.bin differs"
  head_is "head-kms-$f" enc "kms-$f.bin" '[ServerSideEncryption,SSEKMSKeyId]' "aws:kms${T}$KEY_ARN"
done
# The key named by its alias and by its ARN: the object names the key's ARN.
run kms-up-alias aws s3 cp small.bin s3://enc/kms-alias.bin --sse aws:kms --sse-kms-key-id alias/enc-interop
head_is head-kms-alias enc kms-alias.bin '[ServerSideEncryption,SSEKMSKeyId]' "aws:kms${T}$KEY_ARN"
run kms-up-arn aws s3 cp small.bin s3://enc/kms-arn.bin --sse aws:kms --sse-kms-key-id "$KEY_ARN"
head_is head-kms-arn enc kms-arn.bin '[ServerSideEncryption,SSEKMSKeyId]' "aws:kms${T}$KEY_ARN"
# Without a key id: the account's alias/aws/s3 key, created on first use.
run kms-up-default aws s3 cp small.bin s3://enc/kms-default.bin --sse aws:kms
S3_KEY_ARN=$(aws kms describe-key --key-id alias/aws/s3 --query KeyMetadata.Arn --output text) || fail "describe-key alias/aws/s3 after an aws:kms upload without a key id"
[ "$S3_KEY_ARN" != "$KEY_ARN" ] || fail "alias/aws/s3 is the key created here"
head_is head-kms-default enc kms-default.bin '[ServerSideEncryption,SSEKMSKeyId]' "aws:kms${T}$S3_KEY_ARN"
run kms-down-default aws s3 cp s3://enc/kms-default.bin kms-default.back
cmp small.bin kms-default.back || fail "SSE-KMS (alias/aws/s3) round trip differs"

echo "-- aws s3 cp with --sse-c"
for f in small big; do
  run "c-up-$f" aws s3 cp "$f.bin" "s3://enc/c-$f.bin" --sse-c AES256 --sse-c-key fileb://ssec.key
  run "c-down-$f" aws s3 cp "s3://enc/c-$f.bin" "c-$f.back" --sse-c AES256 --sse-c-key fileb://ssec.key
  cmp "$f.bin" "c-$f.back" || fail "SSE-C round trip of $f.bin differs"
  head_is "head-c-$f" enc "c-$f.bin" '[SSECustomerAlgorithm,SSECustomerKeyMD5,ServerSideEncryption]' "AES256${T}$SSEC_MD5${T}None" \
    --sse-customer-algorithm AES256 --sse-customer-key fileb://ssec.key
  # Without the key: 400 (the cli's HEAD has no body, so only the status shows); another key: 403.
  expect_error "c-nokey-$f" '\(400\)|Bad Request|InvalidRequest' aws s3 cp "s3://enc/c-$f.bin" "c-$f.nokey"
  expect_error "c-otherkey-$f" '\(403\)|Forbidden|AccessDenied' aws s3 cp "s3://enc/c-$f.bin" "c-$f.other" --sse-c AES256 --sse-c-key fileb://other.key
  [ ! -s "c-$f.nokey" ] && [ ! -s "c-$f.other" ] || fail "a refused SSE-C download left bytes behind"
done
# GetObject itself (a body with the error code): InvalidRequest without the key, AccessDenied with another.
expect_error c-get-nokey InvalidRequest aws s3api get-object --bucket enc --key c-small.bin c-get.nokey
expect_error c-get-otherkey AccessDenied aws s3api get-object --bucket enc --key c-small.bin c-get.other \
  --sse-customer-algorithm AES256 --sse-customer-key fileb://other.key

echo "-- bucket default encryption"
run mb-def aws s3 mb s3://encdef
cat >kms-default.json <<JSON
{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"$KEY_ID"}}]}
JSON
run put-be aws s3api put-bucket-encryption --bucket encdef --server-side-encryption-configuration file://kms-default.json
got=$(aws s3api get-bucket-encryption --bucket encdef --output text \
  --query 'ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.[SSEAlgorithm,KMSMasterKeyID]') || fail "get-bucket-encryption"
case "$got" in "aws:kms${T}"*"$KEY_ID") ;; *) fail "get-bucket-encryption shows '$got', want aws:kms and key $KEY_ID" ;; esac
run def-up aws s3 cp small.bin s3://encdef/plain.bin
head_is head-def encdef plain.bin '[ServerSideEncryption,SSEKMSKeyId]' "aws:kms${T}$KEY_ARN"
run def-up-big aws s3 cp big.bin s3://encdef/big.bin
head_is head-def-big encdef big.bin '[ServerSideEncryption,SSEKMSKeyId]' "aws:kms${T}$KEY_ARN"
run def-down-big aws s3 cp s3://encdef/big.bin def-big.back
cmp big.bin def-big.back || fail "round trip of a multipart upload under the bucket's aws:kms default differs"
# A request's own encryption header wins over the bucket's default.
run def-up-explicit aws s3 cp small.bin s3://encdef/explicit.bin --sse AES256
head_is head-def-explicit encdef explicit.bin '[ServerSideEncryption,SSEKMSKeyId]' "AES256${T}None"
run del-be aws s3api delete-bucket-encryption --bucket encdef
# Without its own configuration the bucket shows the server default (SSE-S3), as S3 does.
got=$(aws s3api get-bucket-encryption --bucket encdef --output text \
  --query 'ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm') || fail "get-bucket-encryption after delete"
[ "$got" = AES256 ] || fail "get-bucket-encryption after delete-bucket-encryption shows '$got', want AES256 (the server default)"
run def-up-after aws s3 cp small.bin s3://encdef/after.bin
head_is head-def-after encdef after.bin '[ServerSideEncryption,SSEKMSKeyId]' "AES256${T}None"
head_is head-def-kept encdef plain.bin '[ServerSideEncryption,SSEKMSKeyId]' "aws:kms${T}$KEY_ARN"
# And a plain upload to a bucket never configured: the server default too.
run plain-up aws s3 cp small.bin s3://enc/plain.bin
head_is head-plain enc plain.bin '[ServerSideEncryption,SSEKMSKeyId]' "AES256${T}None"

echo "-- a disabled KMS key"
run disable aws kms disable-key --key-id "$KEY_ID"
expect_error kms-disabled-cp 'KMS\.DisabledException' aws s3 cp s3://enc/kms-small.bin disabled-small.back
expect_error kms-disabled-cp-big 'KMS\.DisabledException' aws s3 cp s3://enc/kms-big.bin disabled-big.back
expect_error kms-disabled-get 'KMS\.DisabledException' aws s3api get-object --bucket enc --key kms-small.bin disabled-get.back
expect_error kms-disabled-put 'KMS\.DisabledException' aws s3 cp small.bin s3://enc/kms-new.bin --sse aws:kms --sse-kms-key-id "$KEY_ID"
# Objects under other keys are not affected.
run kms-other-key aws s3 cp s3://enc/kms-default.bin kms-default.back2
cmp small.bin kms-default.back2 || fail "alias/aws/s3 object while another key is disabled differs"
run enable aws kms enable-key --key-id "$KEY_ID"
for f in small big; do
  run "kms-enabled-$f" aws s3 cp "s3://enc/kms-$f.bin" "kms-$f.back2"
  cmp "$f.bin" "kms-$f.back2" || fail "SSE-KMS object $f.bin after enable-key differs"
done

echo "-- uploads of a marker in every mode (looked for on disk at the end)"
MARKER="coffer-plaintext-marker-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
printf 'small object with %s inside\n' "$MARKER" >marker-small.txt
# 20 MiB of random data with the marker every 64 KiB or so (multipart, many chunks).
python3 -c 'import os,sys; m=sys.argv[1].encode(); open("marker-big.bin","wb").write(b"".join(os.urandom(65000)+m for _ in range(323)))' "$MARKER"
for f in marker-small.txt marker-big.bin; do
  run "m-default-$f" aws s3 cp "$f" "s3://enc/m-default-$f"
  run "m-s3-$f" aws s3 cp "$f" "s3://enc/m-s3-$f" --sse AES256
  run "m-kms-$f" aws s3 cp "$f" "s3://enc/m-kms-$f" --sse aws:kms --sse-kms-key-id "$KEY_ID"
  run "m-c-$f" aws s3 cp "$f" "s3://enc/m-c-$f" --sse-c AES256 --sse-c-key fileb://ssec.key
done
run m-down aws s3 cp s3://enc/m-c-marker-big.bin m-c-marker-big.back --sse-c AES256 --sse-c-key fileb://ssec.key
cmp marker-big.bin m-c-marker-big.back || fail "marker-big.bin SSE-C round trip differs"

echo "-- boto3"
cat >enc_boto3.py <<'PY'
"""boto3 with SSE-KMS and SSE-C over HTTPS: argv = endpoint, CA file, KMS key id, key ARN."""
import base64
import hashlib
import os
import sys

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

endpoint, ca, key_id, key_arn = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=endpoint, verify=ca)
B = "enc-boto3"
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print(f"FAIL: {what}", file=sys.stderr)


def error_of(call, **kw):
    try:
        call(**kw)
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"].get("Code")
    return None


s3.create_bucket(Bucket=B)
data = os.urandom(1_500_000) + sys.argv[5].encode()
key = os.urandom(32)
other = os.urandom(32)
key_md5 = base64.b64encode(hashlib.md5(key).digest()).decode()
ssec = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}

print("-- put/get SSE-KMS", flush=True)
put = s3.put_object(Bucket=B, Key="kms", Body=data, ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
check(put.get("ServerSideEncryption") == "aws:kms", f"put kms: ServerSideEncryption {put.get('ServerSideEncryption')}")
check(put.get("SSEKMSKeyId") == key_arn, f"put kms: SSEKMSKeyId {put.get('SSEKMSKeyId')}, want {key_arn}")
got = s3.get_object(Bucket=B, Key="kms")
check(got["Body"].read() == data, "get kms: other bytes")
check(got.get("ServerSideEncryption") == "aws:kms", f"get kms: ServerSideEncryption {got.get('ServerSideEncryption')}")
check(got.get("SSEKMSKeyId") == key_arn, f"get kms: SSEKMSKeyId {got.get('SSEKMSKeyId')}")

print("-- put/get SSE-C", flush=True)
put = s3.put_object(Bucket=B, Key="ssec", Body=data, **ssec)
check(put.get("SSECustomerAlgorithm") == "AES256", f"put ssec: SSECustomerAlgorithm {put.get('SSECustomerAlgorithm')}")
check(put.get("SSECustomerKeyMD5") == key_md5, f"put ssec: SSECustomerKeyMD5 {put.get('SSECustomerKeyMD5')}, want {key_md5}")
got = s3.get_object(Bucket=B, Key="ssec", **ssec)
check(got["Body"].read() == data, "get ssec: other bytes")
check(got.get("SSECustomerKeyMD5") == key_md5, f"get ssec: SSECustomerKeyMD5 {got.get('SSECustomerKeyMD5')}")
head = s3.head_object(Bucket=B, Key="ssec", **ssec)
check(head.get("SSECustomerAlgorithm") == "AES256", f"head ssec: SSECustomerAlgorithm {head.get('SSECustomerAlgorithm')}")
check(head["ContentLength"] == len(data), f"head ssec: ContentLength {head['ContentLength']}")
e = error_of(s3.get_object, Bucket=B, Key="ssec")
check(e is not None and e[0] == 400, f"get ssec without the key: {e}, want 400")
e = error_of(s3.get_object, Bucket=B, Key="ssec", SSECustomerAlgorithm="AES256", SSECustomerKey=other)
check(e is not None and e[0] == 403, f"get ssec with another key: {e}, want 403")
rng = s3.get_object(Bucket=B, Key="ssec", Range="bytes=70000-200000", **ssec)["Body"].read()
check(rng == data[70000:200001], "ranged get ssec: other bytes")

print("-- upload_file/download_file SSE-C (multipart)", flush=True)
big = os.urandom(20 * 1024 * 1024)
with open("boto3-big.bin", "wb") as f:
    f.write(big)
cfg = TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024)
s3.upload_file("boto3-big.bin", B, "ssec-big", ExtraArgs=dict(ssec), Config=cfg)
head = s3.head_object(Bucket=B, Key="ssec-big", **ssec)
check(head["ContentLength"] == len(big), f"head ssec-big: ContentLength {head['ContentLength']}")
check(head.get("SSECustomerAlgorithm") == "AES256", f"head ssec-big: SSECustomerAlgorithm {head.get('SSECustomerAlgorithm')}")
check(head["ETag"].strip('"').endswith("-3"), f"ssec-big was not a 3-part upload: ETag {head['ETag']}")
s3.download_file(B, "ssec-big", "boto3-big.back", ExtraArgs=dict(ssec), Config=cfg)
with open("boto3-big.back", "rb") as f:
    check(f.read() == big, "download_file ssec-big: other bytes")

print("-- copy_object SSE-C to SSE-S3 and to SSE-KMS", flush=True)
src = {"Bucket": B, "Key": "ssec"}
copy_src = {"CopySourceSSECustomerAlgorithm": "AES256", "CopySourceSSECustomerKey": key}
cp = s3.copy_object(Bucket=B, Key="copy-s3", CopySource=src, ServerSideEncryption="AES256", **copy_src)
check(cp.get("ServerSideEncryption") == "AES256", f"copy to SSE-S3: ServerSideEncryption {cp.get('ServerSideEncryption')}")
got = s3.get_object(Bucket=B, Key="copy-s3")
check(got["Body"].read() == data, "copy to SSE-S3: other bytes")
check(got.get("ServerSideEncryption") == "AES256", f"get copy-s3: ServerSideEncryption {got.get('ServerSideEncryption')}")
check(got.get("SSECustomerAlgorithm") is None, f"get copy-s3: SSECustomerAlgorithm {got.get('SSECustomerAlgorithm')}")
cp = s3.copy_object(Bucket=B, Key="copy-kms", CopySource=src, ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id, **copy_src)
check(cp.get("SSEKMSKeyId") == key_arn, f"copy to SSE-KMS: SSEKMSKeyId {cp.get('SSEKMSKeyId')}")
got = s3.get_object(Bucket=B, Key="copy-kms")
check(got["Body"].read() == data, "copy to SSE-KMS: other bytes")
check(got.get("SSEKMSKeyId") == key_arn, f"get copy-kms: SSEKMSKeyId {got.get('SSEKMSKeyId')}")
# To another customer key: readable with the new key only.
cp = s3.copy_object(Bucket=B, Key="copy-c2", CopySource=src, SSECustomerAlgorithm="AES256", SSECustomerKey=other, **copy_src)
got = s3.get_object(Bucket=B, Key="copy-c2", SSECustomerAlgorithm="AES256", SSECustomerKey=other)
check(got["Body"].read() == data, "copy to another customer key: other bytes")
e = error_of(s3.get_object, Bucket=B, Key="copy-c2", **ssec)
check(e is not None and e[0] == 403, f"get copy-c2 with the source's key: {e}, want 403")
# The copy source's key is required.
e = error_of(s3.copy_object, Bucket=B, Key="copy-nokey", CopySource=src)
check(e is not None and e[0] == 400, f"copy of an SSE-C source without its key: {e}, want 400")

if failures:
    print(f"{len(failures)} failure(s)", file=sys.stderr)
    sys.exit(1)
print("boto3 encryption: OK")
PY
run boto3 "$VENV/bin/python" -P enc_boto3.py "$HTTPS" "$WORK/ca.crt" "$KEY_ID" "$KEY_ARN" "$MARKER"
cat "$WORK/boto3.out"

echo "-- rclone"
unset AWS_CA_BUNDLE # rclone fails before any request with it set; it gets the CA by --ca-cert
export RCLONE_CONFIG="$WORK/rclone.conf" # empty: no user configuration
: >"$RCLONE_CONFIG"
for r in S3 KMS SSEC; do
  export "RCLONE_CONFIG_${r}_TYPE=s3" "RCLONE_CONFIG_${r}_PROVIDER=Other" "RCLONE_CONFIG_${r}_ENDPOINT=$HTTPS"
  export "RCLONE_CONFIG_${r}_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID" "RCLONE_CONFIG_${r}_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY"
done
export RCLONE_CONFIG_S3_SERVER_SIDE_ENCRYPTION=AES256
export RCLONE_CONFIG_KMS_SERVER_SIDE_ENCRYPTION=aws:kms RCLONE_CONFIG_KMS_SSE_KMS_KEY_ID="$KEY_ARN"
export RCLONE_CONFIG_SSEC_SSE_CUSTOMER_ALGORITHM=AES256 RCLONE_CONFIG_SSEC_SSE_CUSTOMER_KEY_BASE64="$(base64 -w0 ssec.key)"
rc() { command rclone --ca-cert "$WORK/ca.crt" "$@"; }
mkdir -p tree/sub
cp small.bin tree/small.bin
cp big.bin tree/sub/big.bin
cp marker-small.txt tree/marker.txt
run rclone-mkdir rc mkdir S3:enc-rclone
# The bucket defaults to aws:kms under alias/aws/s3, so that what head-object shows below
# (AES256; aws:kms under the key created here; SSE-C) can only come from rclone's headers.
printf '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms"}}]}' >aws-s3-default.json
run rclone-be aws s3api put-bucket-encryption --bucket enc-rclone --server-side-encryption-configuration file://aws-s3-default.json
# A 5 MiB cutoff and chunk size: the 20 MiB file goes up in parts.
for r in S3 KMS SSEC; do
  run "rclone-up-$r" rc copy tree "$r:enc-rclone/$r" --s3-upload-cutoff 5M --s3-chunk-size 5M
  run "rclone-down-$r" rc copy "$r:enc-rclone/$r" "back-$r"
  diff -r tree "back-$r" >"diff-$r.out" || fail "rclone $r: copied-back tree differs: $(cat "diff-$r.out")"
done
for f in small.bin sub/big.bin; do
  l=${f//\//-}
  head_is "rclone-head-s3-$l" enc-rclone "S3/$f" '[ServerSideEncryption,SSEKMSKeyId]' "AES256${T}None"
  head_is "rclone-head-kms-$l" enc-rclone "KMS/$f" '[ServerSideEncryption,SSEKMSKeyId]' "aws:kms${T}$KEY_ARN"
  head_is "rclone-head-ssec-$l" enc-rclone "SSEC/$f" '[SSECustomerAlgorithm,SSECustomerKeyMD5]' "AES256${T}$SSEC_MD5" \
    --sse-customer-algorithm AES256 --sse-customer-key fileb://ssec.key
done
run rclone-default-up aws s3 cp small.bin s3://enc-rclone/default.bin
head_is rclone-head-default enc-rclone default.bin '[ServerSideEncryption,SSEKMSKeyId]' "aws:kms${T}$S3_KEY_ARN"
expect_error rclone-ssec-nokey '\(400\)|Bad Request|InvalidRequest' aws s3 cp s3://enc-rclone/SSEC/small.bin rclone-nokey.back

echo "-- the plaintext never reaches the data directory"
# Every upload above (aws cli in each mode, boto3, rclone) included the marker.
[ "$(du -sbL "$DATA/blobs" | cut -f1)" -gt $((100 * 1024 * 1024)) ] || fail "less than 100 MiB of blobs under $DATA/blobs: not the data directory in use?"
status=0
grep -r -a -F -l -e "$MARKER" "$DATA" >marker-found.out || status=$?
case $status in
  1) ;;
  0) fail "the plaintext marker is stored in the clear: $(cat marker-found.out)" ;;
  *) fail "grep -r over $DATA failed ($status)" ;;
esac
# The control: restarted with encryption.bucket_default = none, a plain upload is stored as
# sent, and the same grep finds it (inline in the metadata store and as a blob).
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
start_server --server.tls_cert "$WORK/server.crt" --server.tls_key "$WORK/server.key" --encryption.bucket_default none
HTTPS="https://127.0.0.1:$PORT" # a new port
CONTROL="coffer-control-marker-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
printf 'stored as sent: %s\n' "$CONTROL" >control-small.txt
{ head -c 1000000 /dev/urandom; cat control-small.txt; head -c 1000000 /dev/urandom; } >control-big.bin
for f in control-small.txt control-big.bin; do
  run "control-up-$f" aws s3 cp "$f" "s3://enc/$f"
  head_is "control-head-$f" enc "$f" '[ServerSideEncryption]' None
done
[ "$(grep -r -a -F -l -e "$CONTROL" "$DATA" | wc -l)" -ge 2 ] || fail "grep -r over $DATA does not find an unencrypted object's bytes (inline and blob): the check above proves nothing"
# The encrypted objects are still readable after the restart (and still not in the clear).
run m-down-restart aws s3 cp s3://enc/m-kms-marker-big.bin m-kms-marker-big.back
cmp marker-big.bin m-kms-marker-big.back || fail "SSE-KMS object after a restart differs"
if grep -r -a -F -q -e "$MARKER" "$DATA"; then fail "the plaintext marker is in the clear after the restart"; fi

echo "encryption interop: OK"

#!/usr/bin/env bash
# Bucket policies with AWS's own tools: `aws s3api` / `aws s3` (the aws cli at its
# defaults), `coffer admin` and curl without credentials, against a freshly built coffer.
# The S3 user guide's example policies, as written there:
#  (a) "Granting read-only permission to anonymous users": Block Public Access removed,
#      the policy put, objects served to curl; a private object stays 403.
#  (b) "Granting s3:PutObject permission with a condition requiring the bucket owner to
#      get full control": a second account's user uploads with
#      --acl bucket-owner-full-control; the same upload without it is refused.
#  (c) "Restrict access to HTTPS requests" (aws:SecureTransport false -> Deny): every
#      plain-HTTP request refused, the owner's included, yet the owner's root can still
#      read and delete the policy (PutBucketPolicy API reference: the root is never locked
#      out); then the SSE-S3 page's deny-unencrypted-uploads policy (an upload without
#      the header refused, one with --sse AES256 stored encrypted).
source "$(dirname "$0")/lib.sh"

command -v aws >/dev/null 2>&1 || python3 -m pip install --quiet awscli || fail "installing awscli"
command -v curl >/dev/null 2>&1 || apt_install curl curl
start_server
aws() { command aws --endpoint-url "$ENDPOINT" "$@"; }
cd "$WORK"

# http_code FILE URL: GET URL without credentials into FILE; prints the status.
http_code() { curl -s -o "$1" -w '%{http_code}' "$2" || fail "curl $2"; }
json_field() { python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

ACCOUNT=$(aws sts get-caller-identity --query Account --output text) || fail "sts get-caller-identity"

# --- (a) a public website bucket, read by curl without credentials.
echo '<h1>coffer</h1>' >index.html
head -c 50000 /dev/urandom >secret.bin
run mb-site aws s3 mb s3://site
run mb-private aws s3 mb s3://private
run put-index aws s3 cp index.html s3://site/index.html
run put-secret aws s3 cp secret.bin s3://private/secret.bin
cat >public-read.json <<'JSON'
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "PublicRead",
      "Effect": "Allow",
      "Principal": "*",
      "Action": ["s3:GetObject", "s3:GetObjectVersion"],
      "Resource": ["arn:aws:s3:::site/*"]
    }
  ]
}
JSON
# New buckets block public access: the public policy is refused until it is removed.
expect_denied public-policy-blocked aws s3api put-bucket-policy --bucket site --policy file://public-read.json
[ "$(http_code blocked.html "$ENDPOINT/site/index.html")" = 403 ] || fail "the site was public before its policy"
run delete-pab aws s3api delete-public-access-block --bucket site
run put-public-policy aws s3api put-bucket-policy --bucket site --policy file://public-read.json
aws s3api get-bucket-policy --bucket site --query Policy --output text >stored.json || fail "get-bucket-policy"
python3 -c 'import json,sys; a,b=(json.load(open(f)) for f in sys.argv[1:]); sys.exit(a!=b)' public-read.json stored.json \
  || fail "get-bucket-policy returned another document: $(cat stored.json)"
[ "$(aws s3api get-bucket-policy-status --bucket site --query PolicyStatus.IsPublic --output text)" = True ] \
  || fail "get-bucket-policy-status: not public"
code=$(http_code got.html "$ENDPOINT/site/index.html")
[ "$code" = 200 ] || fail "anonymous GET of the public object: $code $(cat got.html)"
cmp index.html got.html || fail "anonymous GET returned other bytes"
code=$(http_code private.out "$ENDPOINT/private/secret.bin")
[ "$code" = 403 ] || fail "anonymous GET of a private object: $code"
grep -q '<Code>AccessDenied</Code>' private.out || fail "anonymous GET of a private object: $(cat private.out)"
code=$(http_code list.out "$ENDPOINT/site?list-type=2")
[ "$code" = 403 ] || fail "the policy grants s3:GetObject only, yet the anonymous listing answered $code"
code=$(curl -s -o put.out -w '%{http_code}' -X PUT --data-binary @index.html "$ENDPOINT/site/defaced.html") || fail "curl PUT"
[ "$code" = 403 ] || fail "anonymous PUT into the public-read bucket: $code"
code=$(http_code buckets.out "$ENDPOINT/")
[ "$code" = 403 ] || fail "anonymous ListBuckets: $code"

# --- (b) a second account's user uploads into this account's bucket.
"$BIN" admin account create tenant2 --email t2@example.com --json --endpoint "$ADMIN_ENDPOINT" >tenant.json || fail "coffer admin account create"
T2_ID=$(json_field tenant.json id)
as_t2() { AWS_ACCESS_KEY_ID=$(json_field tenant.json access_key) AWS_SECRET_ACCESS_KEY=$(json_field tenant.json secret_key) aws "$@"; }
cat >dave-may-put.json <<'JSON'
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::dropbox/*"}]}
JSON
run t2-create-dave as_t2 iam create-user --user-name Dave
run t2-dave-policy as_t2 iam put-user-policy --user-name Dave --policy-name put-dropbox --policy-document file://dave-may-put.json
as_t2 iam create-access-key --user-name Dave --output json >dave.json || fail "create-access-key for Dave"
DAVE_KEY=$(python3 -c 'import json;print(json.load(open("dave.json"))["AccessKey"]["AccessKeyId"])')
DAVE_SECRET=$(python3 -c 'import json;print(json.load(open("dave.json"))["AccessKey"]["SecretAccessKey"])')
as_dave() { AWS_ACCESS_KEY_ID=$DAVE_KEY AWS_SECRET_ACCESS_KEY=$DAVE_SECRET aws "$@"; }
run mb-dropbox aws s3 mb s3://dropbox
cat >dropbox.json <<JSON
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "statement1",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::$T2_ID:user/Dave"},
      "Action": "s3:PutObject",
      "Resource": "arn:aws:s3:::dropbox/*",
      "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}
    }
  ]
}
JSON
run put-dropbox-policy aws s3api put-bucket-policy --bucket dropbox --policy file://dropbox.json
head -c 100000 /dev/urandom >report.bin
run dave-upload as_dave s3 cp report.bin s3://dropbox/report.bin --acl bucket-owner-full-control
expect_denied dave-upload-without-acl as_dave s3 cp report.bin s3://dropbox/report2.bin
# Refused either way: the policy's condition fails, and the bucket (BucketOwnerEnforced)
# takes no ACL but the owner's.
expect_error dave-upload-public "AccessDenied|AccessControlListNotSupported" as_dave s3 cp report.bin s3://dropbox/report3.bin --acl public-read
expect_denied t2-root-not-named as_t2 s3 cp report.bin s3://dropbox/report4.bin --acl bucket-owner-full-control
run owner-reads aws s3 cp s3://dropbox/report.bin report.back
cmp report.bin report.back || fail "the bucket owner read other bytes"
OWNER_ID=$(aws s3api get-object-acl --bucket dropbox --key report.bin --query Owner.ID --output text) || fail "get-object-acl"
MY_ID=$(aws s3api list-buckets --query Owner.ID --output text) || fail "list-buckets"
[ "$OWNER_ID" = "$MY_ID" ] || fail "the uploaded object is owned by $OWNER_ID, not the bucket owner $MY_ID"
aws s3 ls s3://dropbox/report2.bin >/dev/null 2>&1 && fail "the refused upload stored an object"

# --- (c) HTTPS only: plain HTTP is refused to everyone, yet the root keeps the policy.
run mb-locked aws s3 mb s3://locked
run put-locked aws s3 cp index.html s3://locked/index.html
cat >tls-only.json <<'JSON'
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "RestrictToTLSRequestsOnly",
      "Action": "s3:*",
      "Effect": "Deny",
      "Resource": ["arn:aws:s3:::locked", "arn:aws:s3:::locked/*"],
      "Condition": {"Bool": {"aws:SecureTransport": "false"}},
      "Principal": "*"
    }
  ]
}
JSON
run put-tls-policy aws s3api put-bucket-policy --bucket locked --policy file://tls-only.json
expect_denied owner-get-over-http aws s3 cp s3://locked/index.html back.html
expect_denied owner-getobject-over-http aws s3api get-object --bucket locked --key index.html back.html
expect_denied owner-put-over-http aws s3 cp index.html s3://locked/new.html
expect_denied owner-ls-over-http aws s3 ls s3://locked
run owner-reads-policy aws s3api get-bucket-policy --bucket locked
run owner-deletes-policy aws s3api delete-bucket-policy --bucket locked
run owner-get-after aws s3 cp s3://locked/index.html back.html
cmp index.html back.html || fail "GET after the policy's removal returned other bytes"

# Deny unencrypted uploads (SSE-S3 page): the unencrypted PUT is refused; a PUT asking
# for SSE-S3 passes the policy and is stored encrypted.
cat >sse-only.json <<'JSON'
{
  "Version": "2012-10-17",
  "Id": "PutObjectPolicy",
  "Statement": [
    {
      "Sid": "DenyIncorrectEncryptionHeader",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:PutObject",
      "Resource": "arn:aws:s3:::locked/*",
      "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}}
    },
    {
      "Sid": "DenyUnEncryptedObjectUploads",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:PutObject",
      "Resource": "arn:aws:s3:::locked/*",
      "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}
    }
  ]
}
JSON
run put-sse-policy aws s3api put-bucket-policy --bucket locked --policy file://sse-only.json
expect_denied unencrypted-put aws s3 cp index.html s3://locked/plain.html
run sse-put aws s3 cp index.html s3://locked/sse.html --sse AES256
sse=$(aws s3api head-object --bucket locked --key sse.html --query ServerSideEncryption --output text) || fail "head of the SSE-S3 upload"
[ "$sse" = AES256 ] || fail "the upload asking for SSE-S3 reports $sse"
run get-still-allowed aws s3 cp s3://locked/index.html back2.html
[ "$ACCOUNT" != "$T2_ID" ] || fail "the second account has the first one's id"
echo "bucket_access interop: OK"

#!/usr/bin/env bash
# Access control with AWS's own tools: `aws iam`, `aws sts` and `aws s3` (the aws cli at
# its defaults) and `coffer admin`, against a freshly built coffer. The stories of the
# README's "Access control" section: a least-privilege user, a deny that beats an allow,
# a deactivated key, a role's temporary credentials (SDK calls, an upload, a presigned
# URL), and a second account that cannot see the first one's buckets.
source "$(dirname "$0")/lib.sh"

command -v aws >/dev/null 2>&1 || python3 -m pip install --quiet awscli || fail "installing awscli"
command -v curl >/dev/null 2>&1 || apt_install curl curl
start_server
aws() { command aws --endpoint-url "$ENDPOINT" "$@"; }
cd "$WORK"

head -c 100000 /dev/urandom >data.bin
run mb-backups aws s3 mb s3://backups
run mb-other aws s3 mb s3://other
run put-backups aws s3 cp data.bin s3://backups/db/data.bin
run put-secret aws s3 cp data.bin s3://backups/secret/key.bin
run put-other aws s3 cp data.bin s3://other/data.bin
ACCOUNT=$(aws sts get-caller-identity --query Account --output text) || fail "sts get-caller-identity"
[ ${#ACCOUNT} -eq 12 ] || fail "account id $ACCOUNT is not 12 digits"

# A user allowed only s3:GetObject and s3:ListBucket on backups.
cat >read-backups.json <<JSON
{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::backups/*"},
 {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::backups"}]}
JSON
run create-user aws iam create-user --user-name reader
run put-policy aws iam put-user-policy --user-name reader --policy-name read-backups --policy-document file://read-backups.json
aws iam create-access-key --user-name reader --output json >key.json || fail "create-access-key"
READER_KEY=$(python3 -c 'import json;print(json.load(open("key.json"))["AccessKey"]["AccessKeyId"])')
READER_SECRET=$(python3 -c 'import json;print(json.load(open("key.json"))["AccessKey"]["SecretAccessKey"])')
as_reader() { AWS_ACCESS_KEY_ID=$READER_KEY AWS_SECRET_ACCESS_KEY=$READER_SECRET aws "$@"; }
run reader-ls as_reader s3 ls s3://backups --recursive
run reader-get as_reader s3 cp s3://backups/db/data.bin back.bin
cmp data.bin back.bin || fail "reader read different bytes"
expect_denied reader-put as_reader s3 cp data.bin s3://backups/db/new.bin
expect_denied reader-other as_reader s3 ls s3://other
expect_denied reader-other-get as_reader s3 cp s3://other/data.bin x.bin
expect_denied reader-iam as_reader iam list-users
aws s3 ls s3://backups/db/new.bin >/dev/null 2>&1 && fail "the refused PUT stored an object"

# A deny beats an allow.
run reader-secret as_reader s3 cp s3://backups/secret/key.bin s.bin
cat >deny-secret.json <<JSON
{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::backups/secret/*"}]}
JSON
run put-deny aws iam put-user-policy --user-name reader --policy-name deny-secret --policy-document file://deny-secret.json
expect_denied reader-secret-denied as_reader s3 cp s3://backups/secret/key.bin s.bin
run reader-still-reads as_reader s3 cp s3://backups/db/data.bin back.bin

# A role assumed with `aws sts assume-role`.
cat >trust.json <<JSON
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::$ACCOUNT:root"},"Action":"sts:AssumeRole"}]}
JSON
cat >writer.json <<JSON
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::backups","arn:aws:s3:::backups/*"]}]}
JSON
ROLE_ARN=$(aws iam create-role --role-name backup-writer --assume-role-policy-document file://trust.json --query Role.Arn --output text) || fail "create-role"
run role-policy aws iam put-role-policy --role-name backup-writer --policy-name writer --policy-document file://writer.json
cat >may-assume.json <<JSON
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"$ROLE_ARN"}]}
JSON
run may-assume aws iam put-user-policy --user-name reader --policy-name may-assume --policy-document file://may-assume.json
as_reader sts assume-role --role-arn "$ROLE_ARN" --role-session-name nightly --duration-seconds 900 --output json >session.json || fail "assume-role"
session() { python3 -c "import json,sys;print(json.load(open('session.json'))['Credentials'][sys.argv[1]])" "$1"; }
as_role() { AWS_ACCESS_KEY_ID=$(session AccessKeyId) AWS_SECRET_ACCESS_KEY=$(session SecretAccessKey) AWS_SESSION_TOKEN=$(session SessionToken) aws "$@"; }
WHO=$(as_role sts get-caller-identity --query Arn --output text) || fail "get-caller-identity as the role"
[ "$WHO" = "arn:aws:sts::$ACCOUNT:assumed-role/backup-writer/nightly" ] || fail "caller identity $WHO"
head -c $((9 * 1024 * 1024)) /dev/urandom >big.bin
run role-put as_role s3 cp big.bin s3://backups/role/big.bin
run role-get as_role s3 cp s3://backups/role/big.bin big.back
cmp big.bin big.back || fail "role read different bytes"
expect_denied role-other as_role s3 ls s3://other
# A presigned URL made with the session credentials carries the token.
URL=$(as_role s3 presign s3://backups/role/big.bin --expires-in 300) || fail "presign"
case "$URL" in *[Ss]ecurity-[Tt]oken=*) ;; *) fail "presigned URL without the session token: $URL" ;; esac
curl -sf -o presigned.bin "$URL" || fail "GET of the presigned URL"
cmp big.bin presigned.bin || fail "presigned GET returned different bytes"
# Removing the user's right to the role does not end sessions already issued (as on
# AWS), but the role's own policy is read at each request: deleting it ends access.
run delete-role-policy aws iam delete-role-policy --role-name backup-writer --policy-name writer
expect_denied role-after-policy-deleted as_role s3 cp s3://backups/role/big.bin x.bin

# Deactivating a key stops it at once.
run deactivate aws iam update-access-key --user-name reader --access-key-id "$READER_KEY" --status Inactive
if as_reader s3 ls s3://backups >inactive.out 2>&1; then fail "an inactive key still works"; fi
grep -q InvalidAccessKeyId inactive.out || fail "inactive key: $(cat inactive.out)"

# A second account sees nothing of the first.
"$BIN" admin account create tenant2 --email t2@example.com --json --endpoint "$ADMIN_ENDPOINT" >tenant.json || fail "coffer admin account create"
T2_KEY=$(python3 -c 'import json;print(json.load(open("tenant.json"))["access_key"])')
T2_SECRET=$(python3 -c 'import json;print(json.load(open("tenant.json"))["secret_key"])')
as_t2() { AWS_ACCESS_KEY_ID=$T2_KEY AWS_SECRET_ACCESS_KEY=$T2_SECRET aws "$@"; }
[ -z "$(as_t2 s3 ls)" ] || fail "the second account lists buckets: $(as_t2 s3 ls)"
expect_denied t2-ls-backups as_t2 s3 ls s3://backups
run t2-mb as_t2 s3 mb s3://tenant2-data
aws s3 ls | grep -q tenant2-data && fail "the first account lists the second's bucket"
"$BIN" admin account list --endpoint "$ADMIN_ENDPOINT" >accounts.txt || fail "coffer admin account list"
grep -q tenant2 accounts.txt || fail "account list: $(cat accounts.txt)"
echo "iam interop: OK"

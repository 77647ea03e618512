#!/usr/bin/env bash
# HTTPS with the tools users run: a certificate made here with openssl (a throwaway CA
# and a server certificate for 127.0.0.1, never committed), coffer started with
# server.tls_cert / server.tls_key, then `aws s3` and `aws s3api` (at their defaults,
# with --ca-bundle), curl --cacert and rclone (--ca-cert) over https://; plain HTTP to
# the same port gets no answer; a certificate the client does not trust is refused.
source "$(dirname "$0")/lib.sh"

command -v aws >/dev/null 2>&1 || python3 -m pip install --quiet awscli || fail "installing awscli"
apt_install curl curl
apt_install openssl openssl
apt_install rclone rclone
cd "$WORK"

start_tls_server
aws() { command aws --endpoint-url "$HTTPS" --ca-bundle "$WORK/ca.crt" "$@"; }

head -c 3000000 /dev/urandom >data.bin
run mb aws s3 mb s3://tls
run cp-up aws s3 cp data.bin s3://tls/data.bin
run cp-down aws s3 cp s3://tls/data.bin data.back
cmp data.bin data.back || fail "round trip over HTTPS differs"
# A bucket policy that denies everything not over TLS lets HTTPS requests through.
cat >https-only.json <<'JSON'
{"Version":"2012-10-17","Statement":[{"Sid":"HttpsOnly","Effect":"Deny","Principal":"*","Action":"s3:*",
 "Resource":["arn:aws:s3:::tls","arn:aws:s3:::tls/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}
JSON
run put-policy aws s3api put-bucket-policy --bucket tls --policy file://https-only.json
run head aws s3api head-object --bucket tls --key data.bin

# curl, anonymous: refused by policy (403), but over a verified TLS connection.
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert ca.crt "$HTTPS/tls/data.bin") || fail "curl over https"
[ "$code" = 403 ] || fail "anonymous curl over https: $code, expected 403"
# A client that does not trust the certificate gets no connection.
if curl -s -o /dev/null "$HTTPS/tls/data.bin" 2>/dev/null; then fail "curl without the CA connected"; fi
# Plain HTTP to the TLS port is not served.
if curl -s -m 5 -o /dev/null "http://127.0.0.1:$PORT/tls/data.bin"; then fail "plain HTTP was answered"; fi

# rclone over HTTPS with the CA.
unset AWS_CA_BUNDLE
run rclone-copy rclone --ca-cert "$WORK/ca.crt" copyto data.bin ":s3,provider=Other,access_key_id=$AWS_ACCESS_KEY_ID,secret_access_key=$AWS_SECRET_ACCESS_KEY,endpoint='$HTTPS':tls/rclone.bin"
run rclone-check aws s3api head-object --bucket tls --key rclone.bin
echo "tls interop: OK"

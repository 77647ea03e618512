#!/usr/bin/env bash
# The built-in KMS with the aws cli's own `aws kms` commands (service kms, JSON
# protocol) against coffer's S3 port: a key and an alias, encrypt/decrypt by alias,
# envelope encryption with generate-data-key (the data key used by openssl, then
# recovered with decrypt), disable/enable, rotation keeping old ciphertexts readable,
# scheduled deletion and its cancellation, refusals of what coffer's KMS does not do,
# and keys surviving a restart.
source "$(dirname "$0")/lib.sh"

command -v aws >/dev/null 2>&1 || python3 -m pip install --quiet awscli || fail "installing awscli"
apt_install openssl openssl
start_server
kms() { command aws --endpoint-url "$ENDPOINT" kms "$@"; }
cd "$WORK"

ID=$(kms create-key --description "interop key" --query KeyMetadata.KeyId --output text) || fail "create-key"
state=$(kms describe-key --key-id "$ID" --query KeyMetadata.KeyState --output text) || fail "describe-key"
[ "$state" = Enabled ] || fail "new key state $state"
run alias kms create-alias --alias-name alias/interop --target-key-id "$ID"
kms list-aliases --query 'Aliases[].AliasName' --output text | grep -q alias/interop || fail "alias not listed"

printf 'a secret worth keeping' >plain.txt
kms encrypt --key-id alias/interop --plaintext fileb://plain.txt --encryption-context purpose=interop \
  --query CiphertextBlob --output text | base64 -d >blob.bin || fail "encrypt"
kms decrypt --ciphertext-blob fileb://blob.bin --encryption-context purpose=interop --query Plaintext --output text | base64 -d >back.txt || fail "decrypt"
cmp plain.txt back.txt || fail "decrypt gave other bytes"
expect_error wrong-context InvalidCiphertextException kms decrypt --ciphertext-blob fileb://blob.bin --encryption-context purpose=other

# Envelope encryption: a data key encrypts a file locally; only its wrapped form is kept.
kms generate-data-key --key-id "$ID" --key-spec AES_256 --output json >datakey.json || fail "generate-data-key"
python3 -c 'import json,base64,sys; d=json.load(open("datakey.json")); open("dk.bin","wb").write(base64.b64decode(d["CiphertextBlob"])); print(base64.b64decode(d["Plaintext"]).hex())' >dk.hex
head -c 100000 /dev/urandom >file.bin
openssl enc -aes-256-cbc -K "$(cat dk.hex)" -iv 00000000000000000000000000000000 -in file.bin -out file.enc || fail "openssl enc"
rm dk.hex
unwrapped=$(kms decrypt --ciphertext-blob fileb://dk.bin --query Plaintext --output text | base64 -d | od -An -tx1 | tr -d ' \n') || fail "decrypt data key"
openssl enc -d -aes-256-cbc -K "$unwrapped" -iv 00000000000000000000000000000000 -in file.enc -out file.dec || fail "openssl dec"
cmp file.bin file.dec || fail "envelope round trip differs"

run disable kms disable-key --key-id "$ID"
expect_error disabled DisabledException kms decrypt --ciphertext-blob fileb://blob.bin --encryption-context purpose=interop
run enable kms enable-key --key-id "$ID"
run rotation-on kms enable-key-rotation --key-id "$ID"
[ "$(kms get-key-rotation-status --key-id "$ID" --query KeyRotationEnabled --output text)" = True ] || fail "rotation status"
run rotate kms rotate-key-on-demand --key-id "$ID"
kms decrypt --ciphertext-blob fileb://blob.bin --encryption-context purpose=interop --query Plaintext --output text | base64 -d | cmp - plain.txt || fail "old ciphertext after rotation"

expect_error refused-policy UnsupportedOperationException kms create-key --policy '{"Version":"2012-10-17","Statement":[]}'
expect_error refused-asymmetric UnsupportedOperationException kms create-key --key-spec RSA_2048 --key-usage SIGN_VERIFY

run schedule kms schedule-key-deletion --key-id "$ID" --pending-window-in-days 7
expect_error pending KMSInvalidStateException kms encrypt --key-id "$ID" --plaintext fileb://plain.txt
run cancel kms cancel-key-deletion --key-id "$ID"
[ "$(kms describe-key --key-id "$ID" --query KeyMetadata.KeyState --output text)" = Disabled ] || fail "cancelled deletion leaves the key Disabled"
run re-enable kms enable-key --key-id "$ID"

# Keys and aliases survive a restart.
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
start_server
kms decrypt --ciphertext-blob fileb://blob.bin --encryption-context purpose=interop --query Plaintext --output text | base64 -d | cmp - plain.txt || fail "decrypt after restart"
kms describe-key --key-id alias/interop --query KeyMetadata.KeyId --output text | grep -q "$ID" || fail "alias after restart"
echo "kms interop: OK"

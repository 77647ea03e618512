#!/usr/bin/env bash
# The built-in web console (issue #22) in a real browser: Debian's headless Chromium
# (/usr/bin/chromium, apt) driven by playwright-core (npm ci from
# browser/package-lock.json; nothing downloads a browser), against a real coffer on
# loopback, the console served by its admin listener:
# - browser/sigv4_check.mjs: the console's pure-JS SigV4 (src/console/assets/js/sigv4.js)
#   against AWS's published examples and against this server's S3 listener (S3, IAM, STS,
#   KMS, session tokens, presigned URLs, keys with spaces/unicode/+%!'()*) and the admin API;
# - browser/console.mjs: the security headers of /, sign-in with the root key (and a wrong
#   secret), bucket creation with versioning, a 64 MiB multipart upload whose progress bar
#   moves (size, content and the -8 ETag checked), a folder upload, paging through 5,000
#   keys 100 at a time (next, next, previous, the prefix filter, a phone-sized viewport),
#   a share link fetched without cookies, metadata/tags/preview on the details page, delete
#   and undelete in a versioned bucket, a key `<img src=x onerror=alert(1)>` shown as text
#   (no element, no dialog), sign-out (cookie gone, old session and credentials refused),
#   sign-in as an IAM user with a login profile and as one who must choose a new password,
#   a multipart upload resumed after a page reload (only the missing parts sent) and one
#   cancelled (aborted on the server), repeated failed sign-ins slowed down (429 with the
#   wait shown); any page error or console error fails it;
# - browser/console_admin.mjs: identity, settings, monitoring and audit pages.
# Screenshots in target/console-artifacts/*.png (not committed).
# CONSOLE_DEV_ASSETS=1 serves the assets from src/console/assets (edits without a rebuild).
# Missing Chromium (or a failed install) fails under CI=true and is a loud skip elsewhere.
source "$(dirname "$0")/lib.sh"

if ! browser_deps; then
  [ "${CI:-}" = true ] && fail "Chromium/playwright-core for the console test are missing and could not be installed"
  echo "SKIP: console.sh: Debian's chromium ($CHROMIUM) or playwright-core could not be installed; the console test did not run" >&2
  exit 0
fi
command -v aws >/dev/null 2>&1 || python3 -m pip install --quiet awscli || fail "installing awscli"
HERE="$ROOT/tests/interop/browser"
ARTIFACTS="$ROOT/target/console-artifacts"
rm -rf "$ARTIFACTS"
mkdir -p "$ARTIFACTS"
cd "$WORK"
T0=$SECONDS

EXTRA=()
[ -n "${CONSOLE_DEV_ASSETS:-}" ] && EXTRA=(--console.assets_dir "$ROOT/src/console/assets")
start_server "${EXTRA[@]}"
aws() { command aws --endpoint-url "$ENDPOINT" "$@"; }
echo "coffer: S3 $ENDPOINT, console $ADMIN_ENDPOINT"

echo "-- state: 5,000 keys, an IAM user with a password, files to upload"
MANY_BUCKET=console-many
MANY_COUNT=5000
# 5,000 small PUTs signed by the console's own sigv4.js, 24 at a time (the aws cli would
# take minutes).
S3_URL="$ENDPOINT" MANY_BUCKET="$MANY_BUCKET" MANY_COUNT="$MANY_COUNT" SIGV4_JS="$ROOT/src/console/assets/js/sigv4.js" \
  node --input-type=module - >fill.out 2>&1 <<'JS' || fail "filling $MANY_BUCKET: $(tail -5 fill.out)"
import { pathToFileURL } from 'node:url';
const sig = await import(pathToFileURL(process.env.SIGV4_JS).href);
const S3 = process.env.S3_URL, B = process.env.MANY_BUCKET, N = Number(process.env.MANY_COUNT);
const creds = { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY };
const region = process.env.AWS_DEFAULT_REGION, host = new URL(S3).host;
async function put(p, body) {
  const added = sig.signRequest({ method: 'PUT', path: p, headers: { host }, bodyHash: sig.sha256Hex(body) }, creds, { region, service: 's3' });
  const r = await fetch(S3 + p, { method: 'PUT', headers: added, body });
  if (r.status !== 200) throw new Error(`PUT ${p}: ${r.status} ${await r.text()}`);
}
await put('/' + B, '');
let i = 0;
const t0 = Date.now();
await Promise.all(Array.from({ length: 24 }, async () => { while (i < N) { const n = i++; await put(`/${B}/many/${String(n).padStart(5, '0')}`, `key ${n}\n`); } }));
console.log(`${N} keys in ${B} in ${Date.now() - t0} ms`);
JS
cat fill.out
last=$(aws s3api head-object --bucket "$MANY_BUCKET" --key "many/$(printf %05d $((MANY_COUNT - 1)))" --query ContentLength --output text 2>&1) ||
  fail "head-object of the last of the $MANY_COUNT keys: $last"

ALICE_USER=alice
ALICE_PASSWORD='Console-pass-1'
run create-user aws iam create-user --user-name "$ALICE_USER"
run alice-policy aws iam attach-user-policy --user-name "$ALICE_USER" --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess
run login-profile aws iam create-login-profile --user-name "$ALICE_USER" --password "$ALICE_PASSWORD" --no-password-reset-required
BOB_USER=bob
BOB_PASSWORD='Bob-first-pass-1'
run create-bob aws iam create-user --user-name "$BOB_USER"
run bob-profile aws iam create-login-profile --user-name "$BOB_USER" --password "$BOB_PASSWORD" --password-reset-required

head -c $((64 * 1024 * 1024)) /dev/urandom >big-64mib.bin
mkdir -p upload/photos/2026/trip
printf 'first\n' >upload/photos/a.txt
printf 'second\n' >upload/photos/b.md
printf 'nested\n' >upload/photos/2026/trip/c.txt
printf 'unicode ✓\n' >"upload/photos/2026/grüße ✓.txt"

echo "-- sigv4.js against the server"
S3_URL="$ENDPOINT" ADMIN_URL="$ADMIN_ENDPOINT" timeout 120 node "$HERE/sigv4_check.mjs" || fail "sigv4_check.mjs (see the FAIL lines above)"

echo "-- Chromium (playwright-core): the console"
T1=$SECONDS
export ADMIN_URL="$ADMIN_ENDPOINT" S3_URL="$ENDPOINT" ARTIFACTS="$ARTIFACTS"
# Both browser scripts run even if the first fails; the script fails at the end.
# (console.mjs ends with repeated failed sign-ins from this client: it waits the slow-down
# out and signs in once more, so what runs after it is not refused.)
FAILED=()
BIG_FILE="$WORK/big-64mib.bin" UPLOAD_DIR="$WORK/upload/photos" MANY_BUCKET="$MANY_BUCKET" MANY_COUNT="$MANY_COUNT" \
  ALICE_USER="$ALICE_USER" ALICE_PASSWORD="$ALICE_PASSWORD" BOB_USER="$BOB_USER" BOB_PASSWORD="$BOB_PASSWORD" \
  timeout 480 node "$HERE/console.mjs" || FAILED+=(console.mjs)
echo "console: $((SECONDS - T1)) s"

echo "-- Chromium (playwright-core): the console's identity, settings and monitoring pages"
T1=$SECONDS
timeout 480 node "$HERE/console_admin.mjs" || FAILED+=(console_admin.mjs)
echo "console_admin: $((SECONDS - T1)) s"
[ ${#FAILED[@]} -eq 0 ] || fail "browser checks failed in: ${FAILED[*]} (see the FAIL lines above)"

echo "screenshots in $ARTIFACTS: $(cd "$ARTIFACTS" && echo *.png)"
echo "console interop: OK ($((SECONDS - T0)) s)"

#!/usr/bin/env bash
# A real browser against coffer: Debian's headless Chromium (/usr/bin/chromium, apt)
# driven by playwright-core (npm ci from browser/package-lock.json; no tool downloads a
# browser), on loopback only:
# - a static origin (python3 -m http.server on 127.0.0.1) serves browser/index.html; the
#   bucket `uploads` has one CORS rule (put/get-bucket-cors with the aws cli) allowing
#   that origin only, GET/PUT/POST/HEAD, any header, exposing ETag and x-amz-meta-note;
# - POST Object from the page with fetch (FormData, the file last) under a boto3
#   presigned POST policy: 201 and a PostResponse; then a plain HTML form (no script) with
#   success_action_redirect lands on the origin's done.html?bucket=&key=&etag=; the
#   objects are checked with the aws cli (content, Content-Type, x-amz-meta-note);
# - a presigned GET read with fetch from the origin (body, exposed ETag and
#   x-amz-meta-note), the same with a custom header (a preflighted request), and from
#   http://localhost:PORT (same page, an origin the rule does not allow) fetch rejects;
#   raw preflights with curl (allowed origin: 200 with the Access-Control-* headers;
#   another origin: 403);
# - static website hosting: bucket `site` made public by a bucket policy, put/get-bucket-
#   website (index document, error document, a KeyPrefixEquals routing rule), browsed at
#   http://site.website.localhost:PORT (--server.website_domain website.localhost;
#   Chromium resolves *.localhost to loopback): index, nested index, custom 404, the
#   routing rule's 301; screenshots in target/browser-artifacts/website-*.png (not
#   committed); the 301 and the Content-Type also checked with curl.
# Missing Chromium (or a failed install) fails under CI=true and is a loud skip elsewhere.
source "$(dirname "$0")/lib.sh"

if ! browser_deps; then
  [ "${CI:-}" = true ] && fail "Chromium/playwright-core for the browser test are missing and could not be installed"
  echo "SKIP: browser.sh: Debian's chromium ($CHROMIUM) or playwright-core could not be installed; the real-browser test did not run" >&2
  exit 0
fi
command -v aws >/dev/null 2>&1 || python3 -m pip install --quiet awscli || fail "installing awscli"
apt_install curl curl
py_venv boto3 "$BOTO3_PKGS"
HERE="$ROOT/tests/interop/browser"
ARTIFACTS="$ROOT/target/browser-artifacts"
rm -rf "$ARTIFACTS"
mkdir -p "$ARTIFACTS"
cd "$WORK"
T0=$SECONDS

start_server --server.website_domain website.localhost
aws() { command aws --endpoint-url "$ENDPOINT" "$@"; }

echo "-- static origin"
ORIGIN_PORT=$(free_port)
ORIGIN="http://127.0.0.1:$ORIGIN_PORT"
ALT_ORIGIN="http://localhost:$ORIGIN_PORT"
WEBSITE_HOST="site.website.localhost:$PORT"
mkdir origin
cp "$HERE/index.html" "$HERE/done.html" origin/
python3 -m http.server "$ORIGIN_PORT" --bind 127.0.0.1 --directory "$WORK/origin" >"$WORK/origin.log" 2>&1 &
ORIGIN_PID=$!
trap 'kill "$ORIGIN_PID" 2>/dev/null || true; wait "$ORIGIN_PID" 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$ORIGIN_PORT") 2>/dev/null; then break; fi
  kill -0 "$ORIGIN_PID" 2>/dev/null || fail "the static origin server exited: $(cat "$WORK/origin.log")"
  sleep 0.1
done
echo "origin $ORIGIN (and $ALT_ORIGIN, not allowed), coffer $ENDPOINT, website http://$WEBSITE_HOST"

echo "-- bucket uploads with a CORS rule for $ORIGIN"
run mb-uploads aws s3api create-bucket --bucket uploads
cat >cors.json <<JSON
{"CORSRules": [{"AllowedOrigins": ["$ORIGIN"], "AllowedMethods": ["GET", "PUT", "POST", "HEAD"], "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag", "x-amz-meta-note"], "MaxAgeSeconds": 60}]}
JSON
run put-cors aws s3api put-bucket-cors --bucket uploads --cors-configuration file://cors.json
aws s3api get-bucket-cors --bucket uploads --output json >got-cors.json 2>get-cors.err || fail "get-bucket-cors: $(cat get-cors.err)"
# The same rule back (an ID only if one was given: none here).
python3 - cors.json got-cors.json <<'PY' || fail "get-bucket-cors returned another configuration: $(cat got-cors.json)"
import json, sys
want, got = (json.load(open(f))["CORSRules"] for f in sys.argv[1:])
sys.exit(0 if got == want else 1)
PY
echo "put/get-bucket-cors: OK"

echo "-- presigned POST policies and GET URL (boto3)"
printf 'hello from chromium\n' >hello.txt
run presign "$VENV/bin/python" "$HERE/presign.py" "$ENDPOINT" "$ORIGIN" "$WORK/presigned.json" "$WORK/origin/form.html"
grep -q '"x-amz-signature"' presigned.json || fail "presign.py wrote no policy signature: $(cat presigned.json)"

echo "-- bucket site: public-read policy, objects, website configuration"
run mb-site aws s3api create-bucket --bucket site
# New buckets block public access; the public policy needs that lifted first.
run delete-pab aws s3api delete-public-access-block --bucket site
cat >site-policy.json <<'JSON'
{"Version": "2012-10-17", "Statement": [{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*"}]}
JSON
run put-site-policy aws s3api put-bucket-policy --bucket site --policy file://site-policy.json
mkdir -p site/dir site/new
echo '<!doctype html><title>Home</title><h1>Home</h1><p>coffer static website</p>' >site/index.html
echo '<!doctype html><title>Nested</title><h1>Nested</h1>' >site/dir/index.html
echo '<!doctype html><title>Not found</title><h1>Custom not found</h1>' >site/404.html
echo '<!doctype html><title>New page</title><h1>New page</h1>' >site/new/page.html
for f in index.html dir/index.html 404.html new/page.html; do
  run "put-site-${f//\//_}" aws s3api put-object --bucket site --key "$f" --body "site/$f" --content-type text/html
done
WEBSITE_CONFIG='{"IndexDocument":{"Suffix":"index.html"},"ErrorDocument":{"Key":"404.html"},"RoutingRules":[{"Condition":{"KeyPrefixEquals":"old/"},"Redirect":{"ReplaceKeyPrefixWith":"new/"}}]}'
run put-website aws s3api put-bucket-website --bucket site --website-configuration "$WEBSITE_CONFIG"
aws s3api get-bucket-website --bucket site --output json >got-website.json 2>get-website.err || fail "get-bucket-website: $(cat get-website.err)"
python3 - "$WEBSITE_CONFIG" got-website.json <<'PY' || fail "get-bucket-website returned another configuration: $(cat got-website.json)"
import json, sys
want, got = json.loads(sys.argv[1]), json.load(open(sys.argv[2]))
got.pop("ResponseMetadata", None)
sys.exit(0 if got == want else 1)
PY
echo "put/get-bucket-website: OK"

echo "-- Chromium (playwright-core)"
T1=$SECONDS
ORIGIN="$ORIGIN" ALT_ORIGIN="$ALT_ORIGIN" WEBSITE_BASE="http://$WEBSITE_HOST" PRESIGNED="$WORK/presigned.json" \
  UPLOAD_FILE="$WORK/hello.txt" ARTIFACTS="$ARTIFACTS" PROFILE_PARENT="$WORK" \
  timeout 200 node "$HERE/web.mjs" || fail "browser checks (see the FAIL lines above)"
echo "browser: $((SECONDS - T1)) s; screenshots in $ARTIFACTS: $(cd "$ARTIFACTS" && echo *.png)"
# The custom header made Chromium send a CORS preflight (before any curl OPTIONS here).
grep -Eq 'method=OPTIONS path=/uploads/incoming/hello\.txt[^ ]* status=200' "$WORK/server.log" ||
  fail "no preflight OPTIONS /uploads/incoming/hello.txt answered 200 in the server log"

echo "-- the uploads, seen with the aws cli"
T=$'\t'
for key in incoming/hello.txt incoming/form-hello.txt; do
  label=${key//\//_}
  got=$(aws s3api head-object --bucket uploads --key "$key" --query '[ContentType,Metadata.note,ContentLength]' --output text 2>"$label.err") ||
    fail "head-object uploads/$key: $(cat "$label.err")"
  [ "$got" = "text/plain${T}from-browser${T}$(wc -c <hello.txt)" ] || fail "head-object uploads/$key: [ContentType, note, ContentLength] is '$got'"
  run "get-$label" aws s3api get-object --bucket uploads --key "$key" "$label.back"
  cmp hello.txt "$label.back" || fail "uploads/$key holds other bytes: $(head -c 200 "$label.back")"
done
echo "head-object/get-object of both uploads: OK"

echo "-- raw preflights (curl)"
# preflight ORIGIN METHOD OUT: OPTIONS on the object, headers to OUT; prints the status.
preflight() {
  curl -s -o /dev/null -D "$3" -w '%{http_code}' -X OPTIONS "$ENDPOINT/uploads/incoming/hello.txt" \
    -H "Origin: $1" -H "Access-Control-Request-Method: $2" || fail "curl OPTIONS"
}
# header NAME FILE: the value of response header NAME (case-insensitive, last one).
header() { tr -d '\r' <"$2" | awk -v n="$(echo "$1" | tr 'A-Z' 'a-z')" 'BEGIN{FS=": *"} tolower($1)==n {sub(/^[^:]*: */, ""); v=$0} END{print v}'; }
code=$(preflight "$ORIGIN" PUT allowed.h)
[ "$code" = 200 ] || fail "preflight from $ORIGIN for PUT: $code, headers: $(cat allowed.h)"
[ "$(header Access-Control-Allow-Origin allowed.h)" = "$ORIGIN" ] || fail "preflight: Access-Control-Allow-Origin is '$(header Access-Control-Allow-Origin allowed.h)'"
header Access-Control-Allow-Methods allowed.h | grep -qw PUT || fail "preflight: Access-Control-Allow-Methods is '$(header Access-Control-Allow-Methods allowed.h)'"
[ "$(header Access-Control-Max-Age allowed.h)" = 60 ] || fail "preflight: Access-Control-Max-Age is '$(header Access-Control-Max-Age allowed.h)'"
code=$(preflight http://evil.example PUT evil.h)
[ "$code" = 403 ] || fail "preflight from http://evil.example: $code (want 403), headers: $(cat evil.h)"
echo "preflight from $ORIGIN: 200 with the Access-Control-* headers; from http://evil.example: 403: OK"

echo "-- website with curl (Host $WEBSITE_HOST)"
site_curl() { curl -s --resolve "$WEBSITE_HOST:127.0.0.1" "$@"; }
code=$(site_curl -o old.out -D old.h -w '%{http_code}' "http://$WEBSITE_HOST/old/page.html") || fail "curl /old/page.html"
[ "$code" = 301 ] || fail "website /old/page.html: $code (want 301), headers: $(cat old.h)"
case "$(header Location old.h)" in */new/page.html) ;; *) fail "website /old/page.html: Location is '$(header Location old.h)'" ;; esac
code=$(site_curl -o root.out -D root.h -w '%{http_code}' "http://$WEBSITE_HOST/") || fail "curl /"
[ "$code" = 200 ] || fail "website /: $code"
case "$(header Content-Type root.h)" in text/html*) ;; *) fail "website /: Content-Type is '$(header Content-Type root.h)'" ;; esac
cmp site/index.html root.out || fail "website / is not index.html: $(head -c 200 root.out)"
echo "website /old/page.html: 301 to $(header Location old.h); /: 200 $(header Content-Type root.h): OK"

echo "browser interop: OK ($((SECONDS - T0)) s)"

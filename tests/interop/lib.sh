# Shared helpers for interop scripts: build/locate the release binary, start coffer on
# a free loopback port with a temp data dir, stop it on exit. Source it, don't run it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# INTEROP_BIN=PATH runs that binary instead of the release build (a copy, say, while the
# tree is being rebuilt); it is not built. (Not COFFER_*: coffer reads those as settings.)
BIN="${INTEROP_BIN:-$ROOT/target/release/coffer}"
WORK=$(mktemp -d)
SERVER_PID=

fail() { echo "FAIL: $*" >&2; if [ -f "$WORK/server.log" ]; then echo "--- server log (tail) ---" >&2; tail -n 40 "$WORK/server.log" >&2; fi; exit 1; }

cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  # KEEP_LOG=PATH keeps the server log of the run (request lines) for a bug report.
  if [ -n "${KEEP_LOG:-}" ] && [ -f "$WORK/server.log" ]; then cp "$WORK/server.log" "$KEEP_LOG" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# run LABEL CMD...: run CMD with stdout+stderr in $WORK/LABEL.out; on failure print that
# output and fail. The tool's output is shown only when something went wrong.
run() {
  local label=$1; shift
  if ! "$@" >"$WORK/$label.out" 2>&1; then
    echo "--- output of $label: $* ---" >&2
    tail -n 60 "$WORK/$label.out" >&2
    fail "$label"
  fi
}

# soft LABEL CMD...: like run, but a failure is printed and recorded and the script goes
# on (returning 1), so one known incompatibility does not hide the rest of the coverage;
# finish fails the script at the end if anything was recorded.
SOFT_FAILURES=()
soft() {
  local label=$1; shift
  if ! "$@" >"$WORK/$label.out" 2>&1; then
    echo "--- output of $label: $* ---" >&2
    tail -n 60 "$WORK/$label.out" >&2
    echo "SOFT FAIL: $label (continuing)" >&2
    SOFT_FAILURES+=("$label")
    return 1
  fi
}
finish() {
  [ ${#SOFT_FAILURES[@]} -eq 0 ] || fail "$1: ${#SOFT_FAILURES[@]} failed step(s): ${SOFT_FAILURES[*]}"
  echo "$1: OK"
}

# expect_error LABEL PATTERN CMD...: CMD (run in the current directory, output in LABEL.out) must fail with output matching PATTERN.
expect_error() {
  local label=$1 pattern=$2; shift 2
  if "$@" >"$label.out" 2>&1; then fail "$label: succeeded, expected $pattern"; fi
  grep -Eq "$pattern" "$label.out" || fail "$label: expected $pattern, got: $(cat "$label.out")"
}
# expect_denied LABEL CMD...: CMD must fail with AccessDenied. A HEAD (the cli checks a
# download's source with one) has no body: its 403 shows as "Forbidden".
expect_denied() { local label=$1; shift; expect_error "$label" "AccessDenied|\(403\)" "$@"; }

# apt_install CMD PKG: install a Debian package when its command is missing
# (apt-get update once per script, non-interactive).
APT_UPDATED=
apt_install() {
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ -z "$APT_UPDATED" ]; then apt-get update -qq >/dev/null || fail "apt-get update"; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null || fail "apt-get install $2"
  command -v "$1" >/dev/null 2>&1 || fail "$2 installed but $1 not found"
}

# py_venv NAME PKG...: a cached virtualenv under tests/interop/.venv-NAME with PKGs
# installed (kept apart from the aws cli, whose botocore pin they would move). Sets VENV.
py_venv() {
  local name=$1; shift
  VENV="$ROOT/tests/interop/.venv-$name"
  [ -f "$VENV/.installed" ] && [ "$(cat "$VENV/.installed")" = "$*" ] && return 0
  rm -rf "$VENV"
  python3 -m venv "$VENV" || fail "python3 -m venv $VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "$@" || fail "pip install $* into $VENV"
  echo "$*" >"$VENV/.installed"
}

# The Python tools, each in its own cached virtualenv (see py_venv).
BOTO3_PKGS="boto3[crt]"
MINIO_PKGS="minio"
OPENDAL_PKGS="opendal==0.47.12"
S3FS_PKGS="s3fs"
# metrics.sh parses the Prometheus exposition with the reference client's parser.
PROMETHEUS_CLIENT_PKGS="prometheus_client"
# npm ci of the AWS SDK for JavaScript v3 locked in tests/interop/node.
node_deps() {
  local dir="$ROOT/tests/interop/node"
  command -v node >/dev/null 2>&1 || apt_install node nodejs
  command -v npm >/dev/null 2>&1 || apt_install npm npm
  [ -d "$dir/node_modules/@aws-sdk/lib-storage" ] && [ -d "$dir/node_modules/@aws-sdk/client-s3" ] && return 0
  (cd "$dir" && npm ci --no-audit --no-fund --silent) || fail "npm ci in $dir"
}
# browser_deps: Debian's chromium (apt; /usr/bin/chromium) and playwright-core (npm ci
# from tests/interop/browser/package-lock.json; it never downloads a browser) for
# browser.sh. Returns 1 with the reason on stderr instead of failing, so that browser.sh
# can skip loudly outside CI (under CI=true the caller fails).
CHROMIUM=/usr/bin/chromium
browser_deps() {
  local dir="$ROOT/tests/interop/browser" want have
  if [ ! -x "$CHROMIUM" ]; then
    if [ -z "$APT_UPDATED" ]; then
      apt-get update -qq >/dev/null || { echo "browser_deps: apt-get update failed" >&2; return 1; }
      APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || { echo "browser_deps: apt-get install chromium failed" >&2; return 1; }
    [ -x "$CHROMIUM" ] || { echo "browser_deps: chromium installed but $CHROMIUM is missing" >&2; return 1; }
  fi
  for want in node:nodejs npm:npm; do
    command -v "${want%%:*}" >/dev/null 2>&1 && continue
    if [ -z "$APT_UPDATED" ]; then
      apt-get update -qq >/dev/null || { echo "browser_deps: apt-get update failed" >&2; return 1; }
      APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${want#*:}" >/dev/null || { echo "browser_deps: apt-get install ${want#*:} failed" >&2; return 1; }
  done
  # Installed already at the locked version: nothing to do.
  want=$(node -e 'console.log(require(process.argv[1]).packages["node_modules/playwright-core"].version)' "$dir/package-lock.json" 2>/dev/null) || want=locked
  have=$(node -e 'console.log(require(process.argv[1]).version)' "$dir/node_modules/playwright-core/package.json" 2>/dev/null) || have=none
  [ "$want" = "$have" ] && return 0
  (cd "$dir" && npm ci --no-audit --no-fund --silent) || { echo "browser_deps: npm ci in $dir failed" >&2; return 1; }
}
# promtool_deps: promtool (from Debian's prometheus package; no extra package offers it)
# for metrics.sh's `promtool check metrics`. Installed without the package's
# recommendations (node exporter and its collectors). Where policy-rc.d forbids starting
# services (Debian's container images) the package's prometheus service is not started;
# on a machine with an init system it starts on :9090, which no test uses. Returns 1 with
# the reason on stderr
# instead of failing, so that metrics.sh can skip its promtool checks loudly outside CI
# (under CI=true the caller fails).
promtool_deps() {
  command -v promtool >/dev/null 2>&1 && return 0
  if [ -z "$APT_UPDATED" ]; then
    apt-get update -qq >/dev/null || { echo "promtool_deps: apt-get update failed" >&2; return 1; }
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null ||
    { echo "promtool_deps: apt-get install prometheus failed" >&2; return 1; }
  promtool --version >/dev/null 2>&1 || { echo "promtool_deps: prometheus installed but promtool does not run" >&2; return 1; }
}
# Everything every interop script needs, for .ci/run (each script also installs its own).
interop_install_all() {
  local t
  for t in restic rclone s3cmd curl; do apt_install "$t" "$t"; done
  command -v aws >/dev/null 2>&1 || python3 -m pip install --quiet awscli || fail "installing awscli"
  py_venv boto3 "$BOTO3_PKGS"
  py_venv minio "$MINIO_PKGS"
  py_venv opendal "$OPENDAL_PKGS"
  py_venv s3fs "$S3FS_PKGS"
  py_venv metrics "$PROMETHEUS_CLIENT_PKGS"
  promtool_deps || fail "installing promtool (Debian's prometheus package) for metrics.sh"
  node_deps
  browser_deps || fail "installing Chromium and playwright-core for browser.sh"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_tls_server [ARGS...]: a throwaway openssl CA ($WORK/ca.crt) and a server
# certificate it signs (SAN IP:127.0.0.1, as clients check), then start_server with
# TLS on; sets HTTPS to the server's https:// address.
start_tls_server() {
  apt_install openssl openssl
  (cd "$WORK" &&
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj "/CN=coffer test CA" >/dev/null 2>&1 &&
    openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=127.0.0.1" >/dev/null 2>&1 &&
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext &&
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile san.ext >/dev/null 2>&1) ||
    fail "making the test CA and server certificate"
  start_server --server.tls_cert "$WORK/server.crt" --server.tls_key "$WORK/server.key" "$@"
  grep -q "listening on https://" "$WORK/server.log" || sleep 0.5
  HTTPS="https://127.0.0.1:$PORT"
}

start_server() {
  if [ ! -x "$BIN" ] || [ -n "${INTEROP_REBUILD:-}" ]; then
    (cd "$ROOT" && cargo build --release --quiet) || fail "cargo build --release"
  fi
  PORT=$(free_port)
  ADMIN_PORT=$(free_port)
  ENDPOINT="http://127.0.0.1:$PORT"
  ADMIN_ENDPOINT="http://127.0.0.1:$ADMIN_PORT"
  # Run from $WORK: no config.toml there, so the server runs at its built-in defaults
  # whatever the caller's directory holds (and a binary older than the repo's
  # config.toml still starts).
  (cd "$WORK" && exec "$BIN" --server.listen "127.0.0.1:$PORT" --admin.listen "127.0.0.1:$ADMIN_PORT" --storage.path "$WORK/data" "$@") >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then return 0; fi
    kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited at start-up"
    sleep 0.1
  done
  fail "server did not start listening on $PORT"
}

# Peak resident memory of the server so far (VmHWM), for the log.
server_peak_rss() { awk '/VmHWM/ {print $2, $3}' "/proc/$SERVER_PID/status" 2>/dev/null || echo "?"; }

# The documented default credentials; every tool at its defaults otherwise.
export AWS_ACCESS_KEY_ID=coffer
export AWS_SECRET_ACCESS_KEY=coffer-secret-key
export AWS_DEFAULT_REGION=us-east-1
# Ignore any user configuration so "default settings" means the tool's defaults.
export AWS_CONFIG_FILE="$WORK/no-aws-config"
export AWS_SHARED_CREDENTIALS_FILE="$WORK/no-aws-credentials"
# AWS_CA_BUNDLE (set on some machines) makes rclone fail before any request (its http
# transport cannot take a custom bundle); every endpoint here is plain http anyway.
unset AWS_PROFILE AWS_REQUEST_CHECKSUM_CALCULATION AWS_RESPONSE_CHECKSUM_VALIDATION AWS_ENDPOINT_URL AWS_CA_BUNDLE 2>/dev/null || true

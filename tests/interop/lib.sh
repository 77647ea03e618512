# Shared helpers for interop scripts: build/locate the release binary, start coffer on
# a free loopback port with a temp data dir, stop it on exit. Source it, don't run it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN="$ROOT/target/release/coffer"
WORK=$(mktemp -d)
SERVER_PID=

fail() { echo "FAIL: $*" >&2; if [ -f "$WORK/server.log" ]; then echo "--- server log (tail) ---" >&2; tail -n 40 "$WORK/server.log" >&2; fi; exit 1; }

cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_server() {
  if [ ! -x "$BIN" ] || [ -n "${INTEROP_REBUILD:-}" ]; then
    (cd "$ROOT" && cargo build --release --quiet) || fail "cargo build --release"
  fi
  PORT=$(free_port)
  ENDPOINT="http://127.0.0.1:$PORT"
  "$BIN" --server.listen "127.0.0.1:$PORT" --storage.path "$WORK/data" >"$WORK/server.log" 2>&1 &
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
unset AWS_PROFILE AWS_REQUEST_CHECKSUM_CALCULATION AWS_RESPONSE_CHECKSUM_VALIDATION AWS_ENDPOINT_URL 2>/dev/null || true

#!/usr/bin/env bash
# The admin listener's health checks and Prometheus metrics (docs/metrics.md), seen from
# outside:
# - coffer started with admin.metrics_token: /health/ready and /health/live answer 200;
#   /metrics answers 401 (with WWW-Authenticate: Bearer) without the token and with a
#   wrong one;
# - a known sequence with the aws cli (create-bucket, 3 put-object of known sizes, a
#   get-object, a head-object of a missing key, a delete-object), then a scrape with the
#   token:
#   (a) `promtool check metrics` (Debian's prometheus package) must print nothing: any
#       lint problem or parse error fails;
#   (b) the reference parser (prometheus_client's text_string_to_metric_families, in a
#       virtualenv) reads it, and the values are exact: requests by operation and status
#       class, one error, histogram counts, the bucket's objects/versions/bytes;
#   (c) every metric name the exprs of docs/grafana-dashboard.json (and its template
#       variables) use is in the scrape (a sample, or at least its # TYPE line: quota
#       gauges have no sample without a quota), and with promtool each expr parses as
#       PromQL;
# - restarted on the same data with admin.metrics_public = true: /metrics answers 200
#   without a token, the bucket gauges are the same (usage is stored), the request
#   counters started again.
# promtool missing (and not installable) fails under CI=true; elsewhere its checks are
# skipped loudly and the rest runs.
source "$(dirname "$0")/lib.sh"

PROMTOOL=yes
if ! promtool_deps; then
  [ "${CI:-}" = true ] && fail "promtool (Debian's prometheus package) is missing and could not be installed"
  echo "SKIP: metrics.sh: promtool (Debian's prometheus package) could not be installed; 'promtool check metrics' and the PromQL check of the dashboard will not run" >&2
  PROMTOOL=
fi
command -v aws >/dev/null 2>&1 || python3 -m pip install --quiet awscli || fail "installing awscli"
apt_install curl curl
py_venv metrics "$PROMETHEUS_CLIENT_PKGS"
echo "aws: $(aws --version 2>&1); prometheus_client $("$VENV/bin/python" -c 'from importlib.metadata import version; print(version("prometheus_client"))')"
[ -n "$PROMTOOL" ] && echo "$(promtool --version 2>&1 | sed -n 1p)"
DASHBOARD="$ROOT/docs/grafana-dashboard.json"
BUCKET=metrics-test
TOKEN=$(python3 -c 'import secrets; print(secrets.token_hex(20))')
cd "$WORK"

# status URL [CURL ARGS...]: the status code of a GET (000: no answer); the body goes to
# body.out, the head to head.out.
status() { local url=$1; shift; curl -s -o body.out -D head.out -w '%{http_code}' "$@" "$url" || true; }
# header NAME: the value of NAME in head.out (case-insensitive, last one).
header() { tr -d '\r' <head.out | awk -v n="$(echo "$1" | tr 'A-Z' 'a-z')" 'BEGIN{FS=": *"} tolower($1)==n {sub(/^[^:]*: */, ""); v=$0} END{print v}'; }
# wait_ready: /health/ready answers 200 (within 10 s), and /health/live too.
wait_ready() {
  local code= ready
  for _ in $(seq 1 100); do
    code=$(status "$ADMIN_ENDPOINT/health/ready")
    [ "$code" = 200 ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited"
    sleep 0.1
  done
  [ "$code" = 200 ] || fail "/health/ready: $code after 10 s: $(cat body.out)"
  ready=$(cat body.out)
  [[ "$ready" == *'"ready"'* ]] || fail "/health/ready: 200 with body $ready"
  code=$(status "$ADMIN_ENDPOINT/health/live")
  [ "$code" = 200 ] || fail "/health/live: $code: $(cat body.out)"
  echo "/health/ready: 200 $ready; /health/live: 200 $(cat body.out)"
}
# scrape OUT [CURL ARGS...]: GET /metrics into OUT, which must answer 200 in the text format.
scrape() {
  local out=$1 code; shift
  code=$(status "$ADMIN_ENDPOINT/metrics" "$@")
  [ "$code" = 200 ] || fail "GET /metrics: $code: $(cat body.out)"
  case "$(header Content-Type)" in "text/plain; version=0.0.4"*) ;; *) fail "GET /metrics: Content-Type is '$(header Content-Type)'" ;; esac
  mv body.out "$out"
  echo "GET /metrics: 200, $(wc -l <"$out") lines, $(grep -c '^# TYPE ' "$out") families"
}

echo "-- start with admin.metrics_token"
start_server --admin.metrics_token "$TOKEN"
wait_ready

echo "-- /metrics without the token"
code=$(status "$ADMIN_ENDPOINT/metrics")
[ "$code" = 401 ] || fail "GET /metrics without a token: $code (want 401): $(head -c 300 body.out)"
[ "$(header WWW-Authenticate)" = Bearer ] || fail "GET /metrics without a token: WWW-Authenticate is '$(header WWW-Authenticate)'"
code=$(status "$ADMIN_ENDPOINT/metrics" -H "Authorization: Bearer wrong-$TOKEN")
[ "$code" = 401 ] || fail "GET /metrics with a wrong token: $code (want 401): $(head -c 300 body.out)"
code=$(status "$ADMIN_ENDPOINT/metrics" -H "Authorization: Basic $(printf 'x:%s' "$TOKEN" | base64 -w0)")
[ "$code" = 401 ] || fail "GET /metrics with the token as Basic credentials: $code (want 401)"
echo "no token: 401 (WWW-Authenticate: Bearer); wrong token: 401; Basic: 401"

echo "-- a known sequence with the aws cli"
aws() { command aws --endpoint-url "$ENDPOINT" "$@"; }
SIZE_A=1234 SIZE_B=56789 SIZE_C=300000
head -c "$SIZE_A" /dev/urandom >a.bin
head -c "$SIZE_B" /dev/urandom >b.bin
head -c "$SIZE_C" /dev/urandom >c.bin
run create-bucket aws s3api create-bucket --bucket "$BUCKET"
for f in a b c; do run "put-$f" aws s3api put-object --bucket "$BUCKET" --key "$f.bin" --body "$f.bin"; done
run get-c aws s3api get-object --bucket "$BUCKET" --key c.bin c.back
cmp c.bin c.back || fail "get-object c.bin: other bytes"
expect_error head-missing "Not Found|404" aws s3api head-object --bucket "$BUCKET" --key missing.bin
run delete-b aws s3api delete-object --bucket "$BUCKET" --key b.bin
echo "create-bucket, put-object a.bin ($SIZE_A B) b.bin ($SIZE_B B) c.bin ($SIZE_C B), get-object c.bin, head-object missing.bin (404), delete-object b.bin"

echo "-- scrape with the token"
scrape metrics.txt -H "Authorization: Bearer $TOKEN"

echo "-- (a) promtool check metrics"
if [ -n "$PROMTOOL" ]; then
  # Clean: no output at all (exit 0). Lint problems print one line each (exit 3), parse
  # errors "error while linting: ..." (exit 1); both fail here.
  promtool check metrics <metrics.txt >promtool.out 2>&1 && rc=0 || rc=$?
  if [ "$rc" -ne 0 ] || [ -s promtool.out ]; then
    echo "--- promtool check metrics (exit $rc) ---" >&2
    cat promtool.out >&2
    fail "promtool check metrics reported $(wc -l <promtool.out) problem line(s)"
  fi
  echo "promtool check metrics: clean"
else
  echo "SKIP: promtool check metrics (no promtool)" >&2
fi

cat >check.py <<'PY'
"""Checks a scrape: `values` (exact values after the known sequence), `restarted` (after
a restart on the same data), `dashboard` (metric names and PromQL of the dashboard)."""
import json, math, re, sys
from prometheus_client.parser import text_string_to_metric_families

mode, path = sys.argv[1], sys.argv[2]
text = open(path).read()
failures = []


def show(name, labels):
    return name + ("{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}" if labels else "")


# Parsed by the reference parser (any parse error fails here).
samples = {}
for family in text_string_to_metric_families(text):
    for s in family.samples:
        key = (s.name, tuple(sorted(s.labels.items())))
        if key in samples:
            failures.append(f"duplicate sample {show(s.name, s.labels)}")
        samples[key] = s.value


def value(name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


def series(name):
    return {k[1]: v for k, v in samples.items() if k[0] == name}


def expect(name, want, **labels):
    got = value(name, **labels)
    if got != want:
        failures.append(f"{show(name, labels)} is {got}, want {want}")
    else:
        print(f"   {show(name, labels)} = {got:g}")


def expect_that(what, ok, got):
    if not ok:
        failures.append(f"{what}: got {got}")
    else:
        print(f"   {what}: {got}")


def done():
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        sys.exit(1)


if mode == "values":
    bucket, a, b, c = sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    print("requests (exactly the 7 the cli sent):")
    for op, status, n in [("CreateBucket", "2xx", 1), ("PutObject", "2xx", 3), ("GetObject", "2xx", 1),
                          ("HeadObject", "4xx", 1), ("DeleteObject", "2xx", 1)]:
        expect("coffer_requests_total", n, operation=op, status=status)
    requests = series("coffer_requests_total")
    expect_that("sum of coffer_requests_total", sum(requests.values()) == 7, f"{sum(requests.values()):g} over {len(requests)} series")
    errors = series("coffer_errors_total")
    expect_that("coffer_errors_total (the 404 of the head-object)", sum(errors.values()) == 1,
                ", ".join(f"{dict(k)['code']}={v:g}" for k, v in errors.items()) or "none")
    auth = series("coffer_auth_failures_total")
    expect_that("coffer_auth_failures_total", sum(auth.values()) == 0, f"{sum(auth.values()):g}")
    print("histograms:")
    for h in ("coffer_request_first_byte_seconds", "coffer_request_duration_seconds"):
        expect(h + "_count", 3, operation="PutObject")
        expect(h + "_bucket", 3, operation="PutObject", le="+Inf")
        expect(h + "_count", 1, operation="HeadObject")
        # Every operation's buckets: cumulative, ending at _count.
        for op in sorted({dict(k)["operation"] for k in series(h + "_count")}):
            bounds = sorted(((float(dict(k)["le"]), v) for k, v in series(h + "_bucket").items() if dict(k)["operation"] == op))
            counts = [v for _, v in bounds]
            if len(bounds) != 17 or counts != sorted(counts) or not math.isinf(bounds[-1][0]) or counts[-1] != value(h + "_count", operation=op):
                failures.append(f"{h}{{operation={op}}}: buckets {bounds}, count {value(h + '_count', operation=op)}")
    print("bytes and connections:")
    rx, tx = value("coffer_received_bytes_total"), value("coffer_sent_bytes_total")
    expect_that("coffer_received_bytes_total >= the 3 bodies put", rx is not None and rx >= a + b + c, rx)
    expect_that("coffer_sent_bytes_total >= the body got", tx is not None and tx >= c, tx)
    expect("coffer_requests_in_flight", 0)
    print(f"bucket {bucket} (a.bin and c.bin left):")
    expect("coffer_buckets", 1)
    expect("coffer_bucket_objects", 2, bucket=bucket)
    expect("coffer_bucket_versions", 2, bucket=bucket)
    expect("coffer_bucket_bytes", a + c, bucket=bucket)
    expect("coffer_bucket_delete_markers", 0, bucket=bucket)
    expect("coffer_bucket_uploads", 0, bucket=bucket)
    expect("coffer_bucket_upload_bytes", 0, bucket=bucket)
    for q in ("coffer_bucket_quota_bytes", "coffer_bucket_quota_objects"):
        expect_that(f"{q} (no quota set: no sample)", not series(q), series(q) or "none")
    print("storage and process:")
    free, size = value("coffer_tier_free_bytes", **{"class": "STANDARD"}), value("coffer_tier_size_bytes", **{"class": "STANDARD"})
    expect_that('coffer_tier_free_bytes{class="STANDARD"} in (0, size]', free is not None and size is not None and 0 < free <= size, f"{free} of {size}")
    expect("coffer_durability_failed", 0)
    for name in ("coffer_uptime_seconds", "coffer_meta_flushes_total", "process_resident_memory_bytes", "process_open_fds"):
        v = value(name)
        expect_that(f"{name} > 0", v is not None and v > 0, v)
    done()

elif mode == "restarted":
    bucket, size = sys.argv[3], int(sys.argv[4])
    expect("coffer_bucket_objects", 2, bucket=bucket)
    expect("coffer_bucket_versions", 2, bucket=bucket)
    expect("coffer_bucket_bytes", size, bucket=bucket)
    puts = value("coffer_requests_total", operation="PutObject", status="2xx")
    expect_that("coffer_requests_total{operation=PutObject} after the restart (counters start at 0)", puts is None, puts or "no sample")
    done()

elif mode == "dashboard":
    dashboard_path, rules_path = sys.argv[3], sys.argv[4]
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    sample_names = {name for name, _ in samples}

    def known(name):
        if name in sample_names or name in types:
            return True
        for suffix, kinds in (("_bucket", ("histogram",)), ("_sum", ("histogram", "summary")), ("_count", ("histogram", "summary"))):
            if name.endswith(suffix) and types.get(name[: -len(suffix)]) in kinds:
                return True
        return False

    KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan"}

    def metric_names(expr):
        e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)                     # string literals
        e = re.sub(r"\{[^}]*\}", "", e)                                   # label matchers
        e = re.sub(r"\[[^\]]*\]", "", e)                                  # range and subquery windows
        e = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)  # label lists
        e = re.sub(r"\$\{?\w+\}?", " ", e)                                # Grafana variables
        e = re.sub(r"(?<![\w.])\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:ms|s|m|h|d|w|y)?\b", " ", e)  # numbers, durations
        names = set()
        for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", e):
            if e[m.end():].lstrip().startswith("(") or m.group(0).lower() in KEYWORDS:
                continue  # a function or aggregation, or a keyword
            names.add(m.group(0))
        return names

    d = json.load(open(dashboard_path))
    if d.get("schemaVersion", 0) < 36:
        failures.append(f"schemaVersion {d.get('schemaVersion')}")
    if not any(i.get("name") == "DS_PROMETHEUS" for i in d.get("__inputs", [])):
        failures.append("no DS_PROMETHEUS in __inputs")
    exprs = []  # (where, PromQL)

    def walk_panels(panels):
        for p in panels:
            ds = p.get("datasource")
            if p.get("type") != "row" and (not isinstance(ds, dict) or ds.get("uid") != "${DS_PROMETHEUS}"):
                failures.append(f"panel {p.get('title')!r}: datasource {ds}")
            for t in p.get("targets", []):
                exprs.append((f"panel {p.get('title')!r} {t.get('refId')}", t["expr"]))
            walk_panels(p.get("panels", []))

    walk_panels(d.get("panels", []))
    variable_names = set()
    for v in d.get("templating", {}).get("list", []):
        q = v.get("query")
        q = q.get("query", "") if isinstance(q, dict) else (q or "")
        m = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\s*\)\s*", q)
        if m:
            variable_names |= metric_names(m.group(1))
            exprs.append((f"variable {v['name']}", m.group(1)))
        elif (m := re.fullmatch(r"\s*query_result\((.*)\)\s*", q)):
            exprs.append((f"variable {v['name']}", m.group(1)))
        elif q:
            failures.append(f"variable {v['name']}: query {q!r} not understood by this check")
    used = {}
    for where, expr in exprs:
        for name in metric_names(expr):
            used.setdefault(name, where)
    missing = sorted(n for n in used if not known(n))
    for n in missing:
        failures.append(f"{n} (in {used[n]}) is not in the scrape (no sample, no # TYPE)")
    families = {n for n in used if n in types} | {n.rsplit("_", 1)[0] for n in used if n not in types and known(n)}
    print(f"   {len(exprs)} exprs use {len(used)} metric names, {len(used) - len(missing)} in the scrape")
    no_sample = sorted(n for n in used if known(n) and n not in sample_names)
    if no_sample:
        print(f"   no sample yet (# TYPE only): {', '.join(no_sample)}")
    unused = sorted(set(types) - families)
    print(f"   families the dashboard does not show: {', '.join(unused) or 'none'}")
    # The exprs with Grafana's variables filled in, as recording rules for `promtool check rules`.
    fill = {"__rate_interval": "5m", "__interval": "1m", "__range": "1h"}
    rules = [{"record": f"dashboard:expr_{i}", "expr": re.sub(r"\$\{?(\w+)\}?", lambda m: fill.get(m.group(1), ".*"), e)}
             for i, (_, e) in enumerate(exprs)]
    json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, open(rules_path, "w"), indent=1)
    done()
PY

echo "-- (b) values (prometheus_client parser)"
run check-values "$VENV/bin/python" check.py values metrics.txt "$BUCKET" "$SIZE_A" "$SIZE_B" "$SIZE_C"
cat check-values.out

echo "-- (c) docs/grafana-dashboard.json against the scrape"
run check-dashboard "$VENV/bin/python" check.py dashboard metrics.txt "$DASHBOARD" dashboard-rules.yml
cat check-dashboard.out
if [ -n "$PROMTOOL" ]; then
  # JSON is YAML: each expr as a recording rule, parsed by Prometheus' own PromQL parser.
  promtool check rules dashboard-rules.yml >rules.out 2>&1 || { cat rules.out >&2; fail "the dashboard's exprs do not all parse as PromQL"; }
  echo "   promtool check rules: $(grep -Eo '[0-9]+ rules found' rules.out)"
else
  echo "SKIP: PromQL syntax of the dashboard's exprs (no promtool)" >&2
fi

echo "-- restart on the same data with admin.metrics_public = true"
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=
start_server --admin.metrics_public true
wait_ready
scrape metrics2.txt
run check-restarted "$VENV/bin/python" check.py restarted metrics2.txt "$BUCKET" $((SIZE_A + SIZE_C))
cat check-restarted.out

if [ -n "$PROMTOOL" ]; then
  finish metrics
else
  echo "metrics: OK, but promtool checks SKIPPED (promtool missing)" >&2
fi

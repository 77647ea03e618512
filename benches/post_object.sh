#!/usr/bin/env bash
# POST Object vs PutObject throughput, same file, same client (curl), same run; and the
# disk's sequential write limit (dd with fsync) on the data directory. Needs the release
# binary and the boto3 virtualenv the interop scripts make (tests/interop/boto3.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/target/release/coffer"  # cargo build --release first
W=$(mktemp -d)
PORT=9351
(cd "$W" && exec "$BIN" --server.listen 127.0.0.1:$PORT --admin.listen 127.0.0.1:9352 --storage.path "$W/data" --encryption.bucket_default none) > "$W/log" 2>&1 &
PID=$!
trap 'kill $PID; wait $PID 2>/dev/null; rm -rf "$W"' EXIT
sleep 1.5
export AWS_ACCESS_KEY_ID=coffer AWS_SECRET_ACCESS_KEY=coffer-secret-key AWS_DEFAULT_REGION=us-east-1
unset AWS_CA_BUNDLE
head -c $((512<<20)) /dev/urandom > /dev/shm/perf.bin
"$ROOT/tests/interop/.venv-boto3/bin/python" - <<PY
import boto3, json
from botocore.config import Config
s3 = boto3.client('s3', endpoint_url='http://127.0.0.1:$PORT', config=Config(signature_version='s3v4', s3={'addressing_style':'path'}))
s3.create_bucket(Bucket='perf')
post = s3.generate_presigned_post('perf', 'post.bin', ExpiresIn=3600)
put = s3.generate_presigned_url('put_object', Params={'Bucket':'perf','Key':'put.bin'}, ExpiresIn=3600)
json.dump({'post': post, 'put': put}, open('$W/urls.json','w'))
PY
for i in 1 2 3; do
  args=$(python3 -c "import json;d=json.load(open('$W/urls.json'));print(' '.join('-F %s=%s' % (k, v) for k, v in d['post']['fields'].items()))")
  url=$(python3 -c "import json;print(json.load(open('$W/urls.json'))['post']['url'])")
  t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' $args -F file=@/dev/shm/perf.bin "$url")
  echo "POST 512 MiB: $t"
  put=$(python3 -c "import json;print(json.load(open('$W/urls.json'))['put'])")
  t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -T /dev/shm/perf.bin "$put")
  echo "PUT  512 MiB: $t"
done
echo "peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$PID/status)"
dd if=/dev/shm/perf.bin of="$W/data/dd.bin" bs=1M conv=fsync 2>&1 | tail -1
rm -f /dev/shm/perf.bin

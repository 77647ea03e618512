#!/usr/bin/env bash
# The MinIO Python SDK (minio) at its defaults against coffer (endpoint, keys, secure=False):
# bucket, put/get (single and multipart), fput/fget, stat with metadata, list (flat and
# recursive), copy, presigned GET, remove_object(s), remove_bucket.
source "$(dirname "$0")/lib.sh"

py_venv minio "$MINIO_PKGS"
start_server
cat >"$WORK/minio_check.py" <<'PY'
import hashlib, io, os, sys, urllib.request
import minio
from minio import Minio
from minio.commonconfig import CopySource
from minio.deleteobjects import DeleteObject
from minio.error import S3Error

host, tmp = sys.argv[1], sys.argv[2]
print(f"minio {minio.__version__}")
c = Minio(host, access_key=os.environ["AWS_ACCESS_KEY_ID"], secret_key=os.environ["AWS_SECRET_ACCESS_KEY"], secure=False)
B = "minio-py"

def step(s): print(f"-- {s}", flush=True)

step("make_bucket / bucket_exists / list_buckets")
assert not c.bucket_exists(B)
c.make_bucket(B)
assert c.bucket_exists(B)
assert B in [b.name for b in c.list_buckets()]

step("put_object / get_object with metadata")
data = os.urandom(1_000_000)
r = c.put_object(B, "dir/one.bin", io.BytesIO(data), len(data), content_type="application/x-test", metadata={"x-amz-meta-color": "blue", "Flavour": "vanilla ice"})
resp = c.get_object(B, "dir/one.bin")
try:
    assert resp.read() == data, "get_object bytes differ"
finally:
    resp.close(); resp.release_conn()
st = c.stat_object(B, "dir/one.bin")
print(f"   stat: size={st.size} etag={st.etag} type={st.content_type} meta={dict((k, v) for k, v in st.metadata.items() if k.lower().startswith('x-amz-meta'))}")
assert st.size == len(data)
assert st.etag == hashlib.md5(data).hexdigest(), f"etag {st.etag}"
assert st.content_type == "application/x-test", st.content_type
assert st.metadata.get("x-amz-meta-color") == "blue", st.metadata
assert st.metadata.get("x-amz-meta-flavour") == "vanilla ice", st.metadata

step("put_object of unknown length (multipart, 5 MiB parts)")
big = os.urandom(23 * 1024 * 1024)
c.put_object(B, "dir/stream.bin", io.BytesIO(big), -1, part_size=5 * 1024 * 1024)
st = c.stat_object(B, "dir/stream.bin")
assert st.size == len(big) and st.etag.endswith("-5"), f"stream stat: {st.size} {st.etag}"
resp = c.get_object(B, "dir/stream.bin", offset=1000, length=4096)
try:
    assert resp.read() == big[1000:5096], "ranged get_object differs"
finally:
    resp.close(); resp.release_conn()

step("fput_object / fget_object 70 MiB")
src, back = os.path.join(tmp, "f.bin"), os.path.join(tmp, "f.back")
with open(src, "wb") as f:
    f.write(os.urandom(70 * 1024 * 1024))
c.fput_object(B, "big/f.bin", src)
c.fget_object(B, "big/f.bin", back)
assert open(src, "rb").read() == open(back, "rb").read(), "fget_object bytes differ"
print(f"   fput etag: {c.stat_object(B, 'big/f.bin').etag}")

step("list_objects flat and recursive")
c.put_object(B, "top.txt", io.BytesIO(b"top"), 3)
flat = sorted((o.object_name, o.is_dir) for o in c.list_objects(B))
assert flat == [("big/", True), ("dir/", True), ("top.txt", False)], flat
rec = sorted(o.object_name for o in c.list_objects(B, recursive=True))
assert rec == ["big/f.bin", "dir/one.bin", "dir/stream.bin", "top.txt"], rec
assert sorted(o.object_name for o in c.list_objects(B, prefix="dir/")) == ["dir/one.bin", "dir/stream.bin"]
sizes = {o.object_name: o.size for o in c.list_objects(B, recursive=True)}
assert sizes["dir/stream.bin"] == len(big), sizes

step("copy_object")
c.copy_object(B, "copies/one.bin", CopySource(B, "dir/one.bin"))
resp = c.get_object(B, "copies/one.bin")
try:
    assert resp.read() == data, "copied bytes differ"
finally:
    resp.close(); resp.release_conn()

step("presigned_get_object")
url = c.presigned_get_object(B, "dir/one.bin")
with urllib.request.urlopen(url) as r:
    assert r.read() == data, "presigned GET bytes differ"

step("remove_object / remove_objects / remove_bucket")
c.remove_object(B, "top.txt")
try:
    c.stat_object(B, "top.txt")
    raise AssertionError("stat after remove_object succeeded")
except S3Error as e:
    assert e.code == "NoSuchKey", e.code
errors = list(c.remove_objects(B, [DeleteObject(o.object_name) for o in c.list_objects(B, recursive=True)]))
assert not errors, errors
assert list(c.list_objects(B, recursive=True)) == []
c.remove_bucket(B)
assert not c.bucket_exists(B)
print("minio checks passed")
PY
run minio "$VENV/bin/python" "$WORK/minio_check.py" "127.0.0.1:$PORT" "$WORK"
cat "$WORK/minio.out"
echo "minio-py interop: OK"

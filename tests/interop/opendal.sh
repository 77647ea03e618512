#!/usr/bin/env bash
# Apache OpenDAL (the `opendal` Python binding over OpenDAL's Rust core; not an AWS SDK)
# with its S3 service at its defaults against coffer: keys with spaces, `+` and unicode
# (put/get/stat/list by prefix), multipart writes (chunked), conditional writes
# (if_not_exists, if_match), user metadata, copy, delete (OpenDAL's S3 service has no
# rename).
source "$(dirname "$0")/lib.sh"

py_venv opendal "$OPENDAL_PKGS"
start_server
# OpenDAL's S3 service does not create buckets: make one with the aws cli.
aws --endpoint-url "$ENDPOINT" s3api create-bucket --bucket opendal >/dev/null || fail "create-bucket"
cat >"$WORK/opendal_check.py" <<'PY'
import hashlib, os, sys
import opendal

endpoint = sys.argv[1]
print(f"opendal {getattr(opendal, '__version__', '?')}")
op = opendal.Operator(
    "s3", bucket="opendal", endpoint=endpoint, region="us-east-1",
    access_key_id=os.environ["AWS_ACCESS_KEY_ID"], secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
)

def step(s): print(f"-- {s}", flush=True)

def refused(f, what):
    """f must fail its precondition (S3's 412), which OpenDAL reports as ConditionNotMatch."""
    try:
        f()
    except opendal.exceptions.ConditionNotMatch as e:
        print(f"   {what}: refused ({type(e).__name__})")
        return
    raise AssertionError(f"{what} succeeded")

names = ["plain/a.txt", "with space/b c.txt", "plus+sign/d+e.txt", "ünïcødé/日本語 ✓.txt", "mixed dir/x +y/z.bin"]
step("write / read / stat of keys with spaces, + and unicode")
bodies = {}
for i, name in enumerate(names):
    bodies[name] = os.urandom(1000 + i)
    op.write(name, bodies[name], content_type="application/x-test")
for name, body in bodies.items():
    assert op.read(name) == body, f"read {name!r}"
    meta = op.stat(name)
    assert meta.content_length == len(body), f"stat {name!r}: {meta.content_length}"
    assert meta.content_type == "application/x-test", f"stat {name!r}: {meta.content_type}"

step("list by prefix (directories and recursive)")
for prefix in ["with space/", "plus+sign/", "ünïcødé/", "mixed dir/x +y/"]:
    got = sorted(e.path for e in op.list(prefix) if not e.path.endswith("/"))
    want = sorted(n for n in names if n.startswith(prefix))
    assert got == want, f"list {prefix!r}: {got} != {want}"
top = sorted(e.path for e in op.list("/"))
assert "with space/" in top and "plus+sign/" in top and "ünïcødé/" in top, top
every = sorted(e.path for e in op.scan("") if not e.path.endswith("/")) if hasattr(op, "scan") else None
if every is not None:
    assert every == sorted(names), every

step("multipart write (5 MiB chunks)")
big = os.urandom(17 * 1024 * 1024 + 3)
op.write("big/multi part.bin", big, chunk=5 * 1024 * 1024)
assert op.read("big/multi part.bin") == big, "multipart read"
etag = op.stat("big/multi part.bin").etag.strip('"')
assert etag.endswith("-4"), f"multipart etag {etag}"

step("conditional writes")
refused(lambda: op.write("plain/a.txt", b"clobber", if_not_exists=True), "if_not_exists on an existing key")
assert op.read("plain/a.txt") == bodies["plain/a.txt"], "a refused write changed the object"
op.write("fresh/new.txt", b"new", if_not_exists=True)
assert op.read("fresh/new.txt") == b"new"
current = op.stat("fresh/new.txt").etag
op.write("fresh/new.txt", b"second", if_match=current)
assert op.read("fresh/new.txt") == b"second"
# A multipart write with if_not_exists: CompleteMultipartUpload with If-None-Match: *.
refused(lambda: op.write("big/multi part.bin", b"x" * (11 * 1024 * 1024), chunk=5 * 1024 * 1024, if_not_exists=True), "multipart if_not_exists on an existing key")
assert op.read("big/multi part.bin") == big, "a refused multipart write changed the object"
op.write("big/new multi.bin", big, chunk=5 * 1024 * 1024, if_not_exists=True)
assert op.read("big/new multi.bin") == big
refused(lambda: op.write("fresh/new.txt", b"third", if_match=current), "if_match with a stale etag")
refused(lambda: op.write("fresh/new.txt", b"third", if_not_exists=True), "if_not_exists on a key just written")
assert op.read("fresh/new.txt") == b"second"

step("user metadata")
op.write("meta/m.txt", b"m", user_metadata={"color": "blue", "owner": "ops team"})
md = op.stat("meta/m.txt").user_metadata
assert md.get("color") == "blue" and md.get("owner") == "ops team", md

step("copy / delete")
op.copy("with space/b c.txt", "copies/b c copy ✓.txt")
assert op.read("copies/b c copy ✓.txt") == bodies["with space/b c.txt"]
op.copy("big/multi part.bin", "copies/big+copy.bin")
assert op.read("copies/big+copy.bin") == big, "copy of a multipart object"
op.delete("copies/b c copy ✓.txt")
assert not op.exists("copies/b c copy ✓.txt")
op.remove_all("")
assert [e.path for e in op.list("/") if e.path != "/"] == [], "remove_all left objects"
print("opendal checks passed")
PY
run opendal "$VENV/bin/python" "$WORK/opendal_check.py" "$ENDPOINT"
cat "$WORK/opendal.out"
echo "opendal interop: OK"

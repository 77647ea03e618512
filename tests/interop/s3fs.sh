#!/usr/bin/env bash
# s3fs (fsspec over aiobotocore) at its defaults against coffer (endpoint_url and keys):
# mkdir (bucket), pipe/cat, put/get of a tree, open() writes (multipart past the default
# 50 MiB block) and ranged reads, ls/info/find/du/exists, copy, rm, rmdir.
source "$(dirname "$0")/lib.sh"

py_venv s3fs "$S3FS_PKGS"
start_server
cat >"$WORK/s3fs_check.py" <<'PY'
import filecmp, os, sys
import aiobotocore, botocore, fsspec, s3fs

endpoint, tmp = sys.argv[1], sys.argv[2]
print(f"s3fs {s3fs.__version__}, fsspec {fsspec.__version__}, aiobotocore {aiobotocore.__version__}, botocore {botocore.__version__}")
fs = s3fs.S3FileSystem(key=os.environ["AWS_ACCESS_KEY_ID"], secret=os.environ["AWS_SECRET_ACCESS_KEY"], endpoint_url=endpoint)
B = "s3fs-interop"

def step(s): print(f"-- {s}", flush=True)

step("mkdir (CreateBucket), exists")
fs.mkdir(B)
assert fs.exists(B)

step("pipe / cat / cat_file ranges")
data = os.urandom(3_000_000)
fs.pipe(f"{B}/small/one.bin", data)
assert fs.cat(f"{B}/small/one.bin") == data
assert fs.cat_file(f"{B}/small/one.bin", start=10, end=1010) == data[10:1010]
fs.pipe(f"{B}/small/empty", b"")
assert fs.cat(f"{B}/small/empty") == b""

step("open('wb') 60 MiB (multipart at the 50 MiB default block size) and ranged reads")
big = os.urandom(60 * 1024 * 1024)
with fs.open(f"{B}/big/60MiB.bin", "wb") as f:
    for i in range(0, len(big), 7 * 1024 * 1024):
        f.write(big[i:i + 7 * 1024 * 1024])
info = fs.info(f"{B}/big/60MiB.bin")
print(f"   info: size={info['size']} ETag={info.get('ETag')}")
assert info["size"] == len(big) and "-" in info.get("ETag", ""), info
with fs.open(f"{B}/big/60MiB.bin", "rb") as f:
    f.seek(55 * 1024 * 1024)
    assert f.read(1024 * 1024) == big[55 * 1024 * 1024:56 * 1024 * 1024]
    f.seek(0)
    assert f.read() == big

step("put / get of a tree (recursive)")
src = os.path.join(tmp, "tree")
os.makedirs(os.path.join(src, "a", "b c"))
os.makedirs(os.path.join(src, "ünï"))
for p, n in [("a/x.bin", 1000), ("a/b c/y z.bin", 200_000), ("ünï/ç.txt", 17), ("top", 5)]:
    with open(os.path.join(src, p), "wb") as f:
        f.write(os.urandom(n))
fs.put(src, f"{B}/tree", recursive=True)
found = sorted(p[len(B) + 1:] for p in fs.find(f"{B}/tree"))
assert found == ["tree/a/b c/y z.bin", "tree/a/x.bin", "tree/top", "tree/ünï/ç.txt"], found
dst = os.path.join(tmp, "back")
fs.get(f"{B}/tree/", dst, recursive=True)
cmp = filecmp.dircmp(src, dst)
def same(d):
    assert not d.left_only and not d.right_only and not d.diff_files and not d.funny_files, (d.left_only, d.right_only, d.diff_files)
    for sub in d.subdirs.values():
        same(sub)
same(cmp)
for p in ["a/x.bin", "a/b c/y z.bin", "ünï/ç.txt", "top"]:
    assert open(os.path.join(src, p), "rb").read() == open(os.path.join(dst, p), "rb").read(), p

step("ls / info / du / glob")
top = sorted(fs.ls(B))
assert top == [f"{B}/big", f"{B}/small", f"{B}/tree"], top
detail = {e["name"]: e for e in fs.ls(f"{B}/small", detail=True)}
assert detail[f"{B}/small/one.bin"]["size"] == len(data), detail
assert fs.info(f"{B}/tree/a")["type"] == "directory"
assert fs.du(f"{B}/tree") == 1000 + 200_000 + 17 + 5, fs.du(f"{B}/tree")
assert sorted(fs.glob(f"{B}/tree/a/*.bin")) == [f"{B}/tree/a/x.bin"]

step("copy (server-side) / mv / rm / rmdir")
fs.copy(f"{B}/small/one.bin", f"{B}/copied/one.bin")
assert fs.cat(f"{B}/copied/one.bin") == data
fs.mv(f"{B}/copied/one.bin", f"{B}/moved/one.bin")
assert not fs.exists(f"{B}/copied/one.bin") and fs.cat(f"{B}/moved/one.bin") == data
fs.rm(f"{B}/tree", recursive=True)
assert not fs.exists(f"{B}/tree/top")
fs.rm(f"{B}/small/one.bin")
fs.invalidate_cache()
assert not fs.exists(f"{B}/small/one.bin")
fs.rm(B, recursive=True)
fs.invalidate_cache()
assert not fs.exists(B), "bucket still exists after rm(recursive)"
print("s3fs checks passed")
PY
run s3fs "$VENV/bin/python" "$WORK/s3fs_check.py" "$ENDPOINT" "$WORK"
cat "$WORK/s3fs.out"
echo "s3fs interop: OK"

"""boto3 against coffer at its defaults (only endpoint_url and the environment's keys):
driven by boto3.sh, which starts the server and passes its endpoint as argv[1].

- upload_file / download_file of 100 MiB with the default (multi-threaded) TransferConfig
- put_object / get_object with each ChecksumAlgorithm botocore supports, checked against
  locally computed values
- list_objects_v2 paginator over 1500 keys, and a delimiter listing
- generate_presigned_url for GET (and PUT), fetched with urllib
"""
import base64
import concurrent.futures
import hashlib
import os
import sys
import tempfile
import urllib.request
import zlib

import boto3
import botocore
from botocore.exceptions import ClientError

ENDPOINT = sys.argv[1]
s3 = boto3.client("s3", endpoint_url=ENDPOINT)
BUCKET = "boto3-interop"
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print(f"FAIL: {what}", file=sys.stderr)
    return cond


def step(name):
    print(f"-- {name}", flush=True)


def b64(b):
    return base64.b64encode(b).decode()


def local_checksum(algorithm, data):
    if algorithm == "CRC32":
        return b64(zlib.crc32(data).to_bytes(4, "big"))
    if algorithm == "SHA1":
        return b64(hashlib.sha1(data).digest())
    if algorithm == "SHA256":
        return b64(hashlib.sha256(data).digest())
    from awscrt import checksums  # CRC32C and CRC64NVME come from the CRT in botocore too

    if algorithm == "CRC32C":
        return b64(checksums.crc32c(data).to_bytes(4, "big"))
    if algorithm == "CRC64NVME":
        return b64(checksums.crc64nvme(data).to_bytes(8, "big"))
    raise ValueError(algorithm)


def supported_algorithms():
    from botocore import httpchecksum

    algos = ["CRC32", "SHA1", "SHA256"]
    crt = getattr(httpchecksum, "HAS_CRT", False)
    if crt or "crc32c" in getattr(httpchecksum, "_CHECKSUM_CLS", {}):
        algos.append("CRC32C")
    if crt and "crc64nvme" in getattr(httpchecksum, "_CHECKSUM_CLS", {}):
        algos.append("CRC64NVME")
    return algos


print(f"boto3 {boto3.__version__}, botocore {botocore.__version__}")
tmp = tempfile.mkdtemp()

step("create_bucket")
s3.create_bucket(Bucket=BUCKET)

step("upload_file / download_file 100 MiB, default TransferConfig")
src = os.path.join(tmp, "big.bin")
with open(src, "wb") as f:
    f.write(os.urandom(100 * 1024 * 1024))
s3.upload_file(src, BUCKET, "big/100MiB.bin")
head = s3.head_object(Bucket=BUCKET, Key="big/100MiB.bin")
check(head["ContentLength"] == 100 * 1024 * 1024, f"head_object ContentLength {head['ContentLength']}")
check("-" in head["ETag"], f"100 MiB upload_file ETag {head['ETag']} is not a multipart ETag")
# Current s3transfer uploads with a full-object CRC32 by default: the server must keep it.
h = s3.head_object(Bucket=BUCKET, Key="big/100MiB.bin", ChecksumMode="ENABLED")
print(f"   multipart checksum: CRC32={h.get('ChecksumCRC32')} type={h.get('ChecksumType')}")
if h.get("ChecksumType") == "FULL_OBJECT" and h.get("ChecksumCRC32"):
    with open(src, "rb") as f:
        check(h["ChecksumCRC32"] == local_checksum("CRC32", f.read()), f"full-object CRC32 {h['ChecksumCRC32']} is wrong")
back = os.path.join(tmp, "big.back")
s3.download_file(BUCKET, "big/100MiB.bin", back)
with open(src, "rb") as a, open(back, "rb") as b:
    check(hashlib.sha256(a.read()).digest() == hashlib.sha256(b.read()).digest(), "download_file bytes differ")
os.remove(back)

step("put_object / get_object with each ChecksumAlgorithm")
algos = supported_algorithms()
print(f"   algorithms: {', '.join(algos)}")
for algo in algos:
    data = os.urandom(300_000) + algo.encode()
    key = f"checksums/{algo}"
    want = local_checksum(algo, data)
    try:
        put = s3.put_object(Bucket=BUCKET, Key=key, Body=data, ChecksumAlgorithm=algo)
    except ClientError as e:
        check(False, f"put_object ChecksumAlgorithm={algo}: {e}")
        continue
    check(put.get(f"Checksum{algo}") == want, f"put_object {algo}: response checksum {put.get(f'Checksum{algo}')} want {want}")
    got = s3.get_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
    body = got["Body"].read()
    check(body == data, f"get_object {algo}: bytes differ")
    check(got.get(f"Checksum{algo}") == want, f"get_object {algo} ChecksumMode=ENABLED: {got.get(f'Checksum{algo}')} want {want}")
    h = s3.head_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
    check(h.get(f"Checksum{algo}") == want, f"head_object {algo}: {h.get(f'Checksum{algo}')} want {want}")
    # A file-like body: botocore streams it (aws-chunked with a trailing checksum over http).
    with open(os.path.join(tmp, "c.bin"), "wb") as f:
        f.write(data)
    with open(os.path.join(tmp, "c.bin"), "rb") as f:
        try:
            s3.put_object(Bucket=BUCKET, Key=key + "-file", Body=f, ChecksumAlgorithm=algo)
            got = s3.get_object(Bucket=BUCKET, Key=key + "-file", ChecksumMode="ENABLED")
            check(got["Body"].read() == data, f"put_object file body {algo}: bytes differ")
            check(got.get(f"Checksum{algo}") == want, f"get_object file body {algo}: {got.get(f'Checksum{algo}')} want {want}")
        except ClientError as e:
            check(False, f"put_object file body ChecksumAlgorithm={algo}: {e}")

step("list_objects_v2 paginator over 1500 keys")
keys = [f"many/{i // 100:02d}/key-{i:05d}" for i in range(1500)]
with concurrent.futures.ThreadPoolExecutor(16) as pool:
    list(pool.map(lambda k: s3.put_object(Bucket=BUCKET, Key=k, Body=k.encode()), keys))
listed, pages = [], 0
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="many/"):
    pages += 1
    listed += [o["Key"] for o in page.get("Contents", [])]
check(listed == sorted(keys), f"list_objects_v2 paginator listed {len(listed)} keys (want 1500, in order)")
check(pages == 2, f"list_objects_v2 paginator took {pages} pages, want 2 (1000 + 500)")
prefixes = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="many/", Delimiter="/", PaginationConfig={"PageSize": 4}):
    prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
check(prefixes == [f"many/{i:02d}/" for i in range(15)], f"delimiter listing: {prefixes}")
listed_v1 = []
for page in s3.get_paginator("list_objects").paginate(Bucket=BUCKET, Prefix="many/"):
    listed_v1 += [o["Key"] for o in page.get("Contents", [])]
check(listed_v1 == sorted(keys), f"list_objects (v1) paginator listed {len(listed_v1)} keys")

step("generate_presigned_url GET / PUT fetched with urllib")
url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "checksums/CRC32"}, ExpiresIn=300)
print(f"   presigned: {url.split('?')[0]}?{'&'.join(p.split('=')[0] for p in url.split('?')[1].split('&'))}")
try:
    with urllib.request.urlopen(url) as r:
        check(r.read().endswith(b"CRC32"), "presigned GET: wrong body")
except Exception as e:  # urllib.error.HTTPError carries the server's XML
    check(False, f"presigned GET {url}: {e} {getattr(e, 'read', lambda: b'')()[:500]!r}")
# The Content-Type is part of what is signed (urllib would otherwise send its form type).
put_url = s3.generate_presigned_url(
    "put_object", Params={"Bucket": BUCKET, "Key": "presigned-put", "ContentType": "text/plain"}, ExpiresIn=300
)
try:
    req = urllib.request.Request(put_url, data=b"via presigned put", method="PUT", headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(req) as r:
        check(r.status == 200, f"presigned PUT status {r.status}")
    check(s3.get_object(Bucket=BUCKET, Key="presigned-put")["Body"].read() == b"via presigned put", "presigned PUT: wrong stored body")
except Exception as e:
    check(False, f"presigned PUT: {e} {getattr(e, 'read', lambda: b'')()[:500]!r}")

step("cleanup: delete_objects in batches, delete_bucket")
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
    objs = [{"Key": o["Key"]} for o in page.get("Contents", [])]
    if objs:
        r = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": objs, "Quiet": True})
        check(not r.get("Errors"), f"delete_objects errors: {r.get('Errors')}")
s3.delete_bucket(Bucket=BUCKET)
check(BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]], "bucket still listed after delete_bucket")

if failures:
    print(f"{len(failures)} failed checks", file=sys.stderr)
    sys.exit(1)
print("boto3 checks passed")

// AWS SDK for JavaScript v3 against coffer at its defaults (endpoint, region and the
// environment's keys only): driven by ../node_sdk.sh with the endpoint as argv[2].
// The SDK sends CRC32 checksums in aws-chunked trailers by default and validates
// response checksums.
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { readFileSync } from "node:fs";
import {
  S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand,
  ListObjectsV2Command, DeleteObjectsCommand, DeleteBucketCommand, CopyObjectCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";

const endpoint = process.argv[2];
const version = (p) => JSON.parse(readFileSync(new URL(`./node_modules/${p}/package.json`, import.meta.url))).version;
console.log(`@aws-sdk/client-s3 ${version("@aws-sdk/client-s3")}, @aws-sdk/lib-storage ${version("@aws-sdk/lib-storage")}, node ${process.version}`);
const s3 = new S3Client({ endpoint, region: "us-east-1" });
// Record how the SDK sent each body (payload mode and trailer), to show what was covered.
const modes = new Map();
s3.middlewareStack.add((next, context) => async (args) => {
  const h = args.request?.headers || {};
  if (h["x-amz-content-sha256"] || h["x-amz-trailer"]) {
    const payload = /^[0-9a-f]{64}$/.test(h["x-amz-content-sha256"] || "") ? "signed payload" : h["x-amz-content-sha256"];
    const sums = Object.keys(h).filter((n) => n.startsWith("x-amz-checksum-")).join(",");
    const k = `${context.commandName}: ${payload}${sums ? ` header ${sums}` : ""}${h["x-amz-trailer"] ? ` trailer ${h["x-amz-trailer"]}` : ""}${h["content-encoding"] ? ` content-encoding ${h["content-encoding"]}` : ""}`;
    modes.set(k, (modes.get(k) || 0) + 1);
  }
  return next(args);
}, { step: "deserialize", name: "recordPayloadMode" });
const Bucket = "node-sdk";
let failed = 0;
const check = (cond, what) => { if (!cond) { failed++; console.error(`FAIL: ${what}`); } };
const step = (s) => console.log(`-- ${s}`);
const sha256 = (b) => createHash("sha256").update(b).digest("hex");
async function bodyHash(body) {
  const h = createHash("sha256");
  let n = 0;
  for await (const chunk of body) { h.update(chunk); n += chunk.length; }
  return [h.digest("hex"), n];
}

step("CreateBucket");
await s3.send(new CreateBucketCommand({ Bucket }));

step("lib-storage Upload of a 64 MiB stream");
const SIZE = 64 * 1024 * 1024, CHUNK = 1024 * 1024;
const srcHash = createHash("sha256");
let produced = 0;
const stream = new Readable({
  read() {
    if (produced >= SIZE) return this.push(null);
    const c = randomBytes(CHUNK);
    srcHash.update(c);
    produced += c.length;
    this.push(c);
  },
});
const up = await new Upload({ client: s3, params: { Bucket, Key: "stream/64MiB.bin", Body: stream } }).done();
const want = srcHash.digest("hex");
check(up.ETag && up.ETag.includes("-"), `Upload ETag ${up.ETag} is not a multipart ETag`);
const head = await s3.send(new HeadObjectCommand({ Bucket, Key: "stream/64MiB.bin", ChecksumMode: "ENABLED" }));
console.log(`   ETag ${head.ETag} length ${head.ContentLength} CRC32 ${head.ChecksumCRC32} type ${head.ChecksumType}`);
check(head.ContentLength === SIZE, `HeadObject ContentLength ${head.ContentLength}`);

step("GetObject stream back, byte compare (sha256)");
const got = await s3.send(new GetObjectCommand({ Bucket, Key: "stream/64MiB.bin" }));
const [gotHash, gotLen] = await bodyHash(got.Body);
check(gotLen === SIZE && gotHash === want, `GetObject: ${gotLen} bytes, sha256 ${gotHash} want ${want}`);

step("PutObject (default CRC32) / GetObject with ChecksumMode ENABLED (validated by the SDK)");
const small = randomBytes(200_000);
const put = await s3.send(new PutObjectCommand({ Bucket, Key: "small.bin", Body: small }));
check(put.ChecksumCRC32, `PutObject response has no ChecksumCRC32: ${JSON.stringify(put.$metadata)}`);
const g2 = await s3.send(new GetObjectCommand({ Bucket, Key: "small.bin", ChecksumMode: "ENABLED" }));
const b2 = Buffer.from(await g2.Body.transformToByteArray());
check(sha256(b2) === sha256(small), "small GetObject bytes differ");
check(g2.ChecksumCRC32 === put.ChecksumCRC32, `GetObject ChecksumCRC32 ${g2.ChecksumCRC32} != PutObject's ${put.ChecksumCRC32}`);
for (const ChecksumAlgorithm of ["CRC32C", "SHA1", "SHA256"]) {
  const r = await s3.send(new PutObjectCommand({ Bucket, Key: `algo/${ChecksumAlgorithm}`, Body: small, ChecksumAlgorithm }));
  const g = await s3.send(new GetObjectCommand({ Bucket, Key: `algo/${ChecksumAlgorithm}`, ChecksumMode: "ENABLED" }));
  const b = Buffer.from(await g.Body.transformToByteArray());
  check(sha256(b) === sha256(small) && g[`Checksum${ChecksumAlgorithm}`] === r[`Checksum${ChecksumAlgorithm}`],
    `${ChecksumAlgorithm}: put ${r[`Checksum${ChecksumAlgorithm}`]} get ${g[`Checksum${ChecksumAlgorithm}`]}`);
}
// A stream body of unknown length: the SDK sends aws-chunked with a CRC32 trailer.
const streamed = randomBytes(3 * 1024 * 1024 + 17);
await s3.send(new PutObjectCommand({ Bucket, Key: "streamed.bin", Body: Readable.from([streamed.subarray(0, 1000000), streamed.subarray(1000000)]), ContentLength: streamed.length }));
const g3 = await s3.send(new GetObjectCommand({ Bucket, Key: "streamed.bin" }));
check(sha256(Buffer.from(await g3.Body.transformToByteArray())) === sha256(streamed), "streamed PutObject bytes differ");

step("CopyObject, ListObjectsV2, DeleteObjects, DeleteBucket");
await s3.send(new CopyObjectCommand({ Bucket, Key: "copy.bin", CopySource: `${Bucket}/small.bin` }));
const list = await s3.send(new ListObjectsV2Command({ Bucket }));
const keys = (list.Contents || []).map((o) => o.Key);
check(JSON.stringify(keys) === JSON.stringify(["algo/CRC32C", "algo/SHA1", "algo/SHA256", "copy.bin", "small.bin", "stream/64MiB.bin", "streamed.bin"]), `ListObjectsV2: ${keys}`);
const del = await s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
check(!del.Errors || del.Errors.length === 0, `DeleteObjects errors: ${JSON.stringify(del.Errors)}`);
await s3.send(new DeleteBucketCommand({ Bucket }));

console.log("payload modes sent:");
for (const [k, n] of modes) if (/PutObject|UploadPart/.test(k)) console.log(`   ${n} x ${k}`);
// Over http the SDK signs buffered bodies (checksum in a header) and sends stream bodies
// aws-chunked with the CRC32 in a trailer: both must have been exercised.
check([...modes.keys()].some((k) => k.includes("trailer x-amz-checksum-crc32")), "no request sent a CRC32 trailer");
check([...modes.keys()].some((k) => k.startsWith("UploadPart") && k.includes("x-amz-checksum-crc32")), "UploadPart sent no CRC32");
if (failed) { console.error(`${failed} failed checks`); process.exit(1); }
console.log("node sdk checks passed");

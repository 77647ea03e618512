// The console's pure-JS SigV4 (src/console/assets/js/sigv4.js) checked in node:
// 1. against AWS's published examples (SigV4 test suite get-vanilla, the IAM ListUsers
//    example, the S3 presigned-URL example), SHA-256/HMAC against node:crypto;
// 2. against a real coffer S3 listener (S3_URL; ADMIN_URL optional for the admin API):
//    requests signed by sigv4.js and sent with node's fetch must be accepted: ListBuckets,
//    CreateBucket, PutObject (UNSIGNED-PAYLOAD and a hashed body) under keys with spaces,
//    unicode, + % ! ' ( ) *, GetObject, ListObjectsV2 with query parameters, IAM ListUsers,
//    STS GetCallerIdentity / GetSessionToken (then a request and a presigned URL with the
//    session token), KMS ListKeys, a presigned GET with response-content-disposition, and
//    a wrong secret refused (403 SignatureDoesNotMatch).
// Env: S3_URL (http://127.0.0.1:PORT), ADMIN_URL (optional), AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY / AWS_DEFAULT_REGION (defaults coffer / coffer-secret-key / us-east-1).
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const sig = await import(pathToFileURL(path.resolve(here, '../../../src/console/assets/js/sigv4.js')).href);

const failures = [];
function check(label, ok, detail) {
  console.log(ok ? `  ok: ${label}` : `  FAIL: ${label}${detail === undefined ? '' : ': ' + (typeof detail === 'string' ? detail : JSON.stringify(detail))}`);
  if (!ok) failures.push(label);
  return ok;
}
async function step(name, fn) {
  console.log(`- ${name}`);
  try { await fn(); } catch (e) { check(`${name} (threw)`, false, String((e && e.stack) || e).split('\n').slice(0, 3).join(' | ')); }
}

await step('known answers', async () => {
  for (const n of [0, 1, 55, 56, 63, 64, 65, 127, 128, 1000, 65537]) {
    const b = crypto.randomBytes(n);
    const want = crypto.createHash('sha256').update(b).digest('hex');
    if (sig.sha256Hex(b) !== want || sig.sha256Hex(b.buffer.slice(b.byteOffset, b.byteOffset + n)) !== want) { check(`sha256 of ${n} bytes`, false); return; }
  }
  check('sha256 of Uint8Array/ArrayBuffer (0..65537 bytes) equals node:crypto', true);
  check('sha256 of a unicode string', sig.sha256Hex('grüße ✓ 𝄞') === crypto.createHash('sha256').update('grüße ✓ 𝄞', 'utf8').digest('hex'));
  const key = crypto.randomBytes(100);
  check('hmac-sha256 with a long key', sig.hmacHex(key, 'data') === crypto.createHmac('sha256', key).update('data').digest('hex'));
  const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
  const date = new Date(Date.UTC(2015, 7, 30, 12, 36, 0));
  let p = sig.signatureParts({ method: 'GET', path: '/', headers: { host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' }, bodyHash: sig.EMPTY_SHA256 }, creds, 'us-east-1', 'service', date);
  check('SigV4 test suite get-vanilla', p.signature === '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31', p.signature);
  p = sig.signatureParts({ method: 'GET', path: '/', query: { Version: '2010-05-08', Action: 'ListUsers' }, headers: { host: 'iam.amazonaws.com', 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'x-amz-date': '20150830T123600Z' }, bodyHash: sig.EMPTY_SHA256 }, creds, 'us-east-1', 'iam', date);
  check('IAM ListUsers documentation example', p.signature === '5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7', p.signature);
  const url = sig.presignUrl({ baseUrl: 'https://examplebucket.s3.amazonaws.com', path: '/test.txt', expires: 86400, region: 'us-east-1', date: new Date(Date.UTC(2013, 4, 24)), creds: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' } });
  check('S3 presigned URL documentation example', url.endsWith('X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404'), url);
  check('canonical query: sorted, RFC 3986, no +', sig.canonicalQuery([['b', 'x y'], ['a', "!'()*+/"], ['a', '1']]) === 'a=%21%27%28%29%2A%2B%2F&a=1&b=x%20y', sig.canonicalQuery([['b', 'x y'], ['a', "!'()*+/"], ['a', '1']]));
});

const S3_URL = process.env.S3_URL;
if (!S3_URL) {
  console.log('S3_URL not set: the checks against a real server did not run');
} else {
  const region = process.env.AWS_DEFAULT_REGION || 'us-east-1';
  const root = { accessKeyId: process.env.AWS_ACCESS_KEY_ID || 'coffer', secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || 'coffer-secret-key' };
  const host = new URL(S3_URL).host;

  // call({method, path, query, headers, body, unsigned, service, creds, base}) → fetch Response
  async function call(r) {
    const body = r.body === undefined ? undefined : r.body;
    const bodyHash = r.unsigned ? sig.UNSIGNED_PAYLOAD : sig.sha256Hex(body ?? '');
    const base = r.base || S3_URL;
    const headers = { ...(r.headers || {}), host: new URL(base).host };
    const service = r.service || 's3';
    const added = sig.signRequest({ method: r.method, path: r.path, query: r.query, headers, bodyHash }, r.creds || root, { region, service, contentSha256Header: service === 's3' || service === 'coffer-admin' });
    delete headers.host;
    const qs = sig.queryPairs(r.query).map(([k, v]) => `${sig.uriEncode(k)}=${sig.uriEncode(v)}`).join('&');
    return fetch(base + r.path + (qs ? '?' + qs : ''), { method: r.method, headers: { ...headers, ...added }, body });
  }
  const text = async (resp) => `${resp.status} ${(await resp.text()).slice(0, 300)}`;
  const bucket = 'sigv4-check-' + crypto.randomBytes(3).toString('hex');
  const keys = ['plain.txt', 'with space/and unicode grüße ✓.txt', 'plus+percent%20bang!quote\'paren()star*.bin', 'a/b/c/deep key.txt', '日本語/ファイル.txt', 'tilde~and=equals&amp;.txt'];

  await step(`S3 on ${S3_URL}`, async () => {
    let r = await call({ method: 'GET', path: '/' });
    check('ListBuckets 200', r.status === 200, await text(r.clone()));
    r = await call({ method: 'PUT', path: '/' + bucket });
    check(`CreateBucket ${bucket}`, r.status === 200, await text(r));
    for (const [i, key] of keys.entries()) {
      const content = `content of ${key} ${i}`;
      r = await call({ method: 'PUT', path: `/${bucket}/${sig.encodeKeyPath(key)}`, body: content, unsigned: i % 2 === 0, headers: { 'content-type': 'text/plain' } });
      check(`PutObject ${JSON.stringify(key)} (${i % 2 === 0 ? 'UNSIGNED-PAYLOAD' : 'hashed body'})`, r.status === 200, await text(r));
      r = await call({ method: 'GET', path: `/${bucket}/${sig.encodeKeyPath(key)}` });
      const got = await r.text();
      check(`GetObject ${JSON.stringify(key)} returns the content`, r.status === 200 && got === content, `${r.status} ${got.slice(0, 200)}`);
    }
    r = await call({ method: 'GET', path: `/${bucket}`, query: { 'list-type': '2', prefix: 'with space/', delimiter: '/', 'max-keys': '100' } });
    let body = await r.text();
    check('ListObjectsV2 prefix with a space', r.status === 200 && body.includes('and unicode grüße ✓.txt'), `${r.status} ${body.slice(0, 300)}`);
    r = await call({ method: 'GET', path: `/${bucket}`, query: [['list-type', '2'], ['delimiter', '/'], ['max-keys', '2']] });
    body = await r.text();
    check('ListObjectsV2 delimiter + max-keys (page 1 has a continuation token)', r.status === 200 && body.includes('<NextContinuationToken>'), `${r.status} ${body.slice(0, 400)}`);
    const token = (body.match(/<NextContinuationToken>([^<]*)</) || [])[1];
    if (token) {
      r = await call({ method: 'GET', path: `/${bucket}`, query: [['list-type', '2'], ['delimiter', '/'], ['max-keys', '2'], ['continuation-token', token.replace(/&amp;/g, '&')]] });
      check('ListObjectsV2 with the continuation token', r.status === 200, await text(r));
    }
    r = await call({ method: 'GET', path: `/${bucket}`, query: { 'list-type': '2', prefix: "plus+percent%20bang!quote'" } });
    body = await r.text();
    check('ListObjectsV2 prefix with + % ! \'', r.status === 200 && body.includes('<KeyCount>1</KeyCount>'), `${r.status} ${body.slice(0, 300)}`);
    r = await call({ method: 'GET', path: `/${bucket}`, query: { versioning: '' } });
    check('GetBucketVersioning (?versioning=)', r.status === 200, await text(r));

    const key = keys[1];
    let url = sig.presignUrl({ baseUrl: S3_URL, path: `/${bucket}/${sig.encodeKeyPath(key)}`, expires: 300, region, creds: root, query: { 'response-content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent('grüße ✓.txt')}` } });
    r = await fetch(url);
    body = await r.text();
    check('presigned GET with response-content-disposition', r.status === 200 && body.startsWith('content of') && (r.headers.get('content-disposition') || '').includes('attachment'), `${r.status} ${body.slice(0, 200)} ${r.headers.get('content-disposition')}`);
    r = await fetch(url.replace(/X-Amz-Signature=[0-9a-f]{4}/, 'X-Amz-Signature=0000'));
    check('a tampered presigned URL is refused', r.status === 403, await text(r));

    r = await call({ method: 'GET', path: '/', creds: { ...root, secretAccessKey: 'wrong-secret' } });
    body = await r.text();
    check('a wrong secret is refused (SignatureDoesNotMatch)', r.status === 403 && body.includes('SignatureDoesNotMatch'), `${r.status} ${body.slice(0, 200)}`);
  });

  const form = (params) => Object.entries(params).map(([k, v]) => `${sig.uriEncode(k)}=${sig.uriEncode(v)}`).join('&');
  const formHeaders = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
  await step('IAM, STS, KMS', async () => {
    let r = await call({ method: 'POST', path: '/', service: 'iam', headers: formHeaders, body: form({ Action: 'ListUsers', Version: '2010-05-08' }) });
    check('IAM ListUsers', r.status === 200 && (await r.clone().text()).includes('ListUsersResult'), await text(r));
    r = await call({ method: 'POST', path: '/', service: 'sts', headers: formHeaders, body: form({ Action: 'GetCallerIdentity', Version: '2011-06-15' }) });
    check('STS GetCallerIdentity', r.status === 200, await text(r));
    r = await call({ method: 'POST', path: '/', service: 'kms', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys' }, body: '{}' });
    check('KMS ListKeys', r.status === 200 && (await r.clone().text()).includes('Keys'), await text(r));

    // Temporary credentials (what the console signs with): a user with a key, then GetSessionToken.
    const user = 'sigv4check' + crypto.randomBytes(2).toString('hex');
    await call({ method: 'POST', path: '/', service: 'iam', headers: formHeaders, body: form({ Action: 'CreateUser', Version: '2010-05-08', UserName: user }) });
    await call({ method: 'POST', path: '/', service: 'iam', headers: formHeaders, body: form({ Action: 'AttachUserPolicy', Version: '2010-05-08', UserName: user, PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }) });
    r = await call({ method: 'POST', path: '/', service: 'iam', headers: formHeaders, body: form({ Action: 'CreateAccessKey', Version: '2010-05-08', UserName: user }) });
    let body = await r.text();
    const ak = (body.match(/<AccessKeyId>([^<]+)/) || [])[1], sk = (body.match(/<SecretAccessKey>([^<]+)/) || [])[1];
    if (!check('IAM CreateAccessKey for a user', r.status === 200 && ak && sk, `${r.status} ${body.slice(0, 300)}`)) return;
    let tmp = null;
    for (let i = 0; i < 20 && !tmp; i++) {
      r = await call({ method: 'POST', path: '/', service: 'sts', creds: { accessKeyId: ak, secretAccessKey: sk }, headers: formHeaders, body: form({ Action: 'GetSessionToken', Version: '2011-06-15', DurationSeconds: '900' }) });
      body = await r.text();
      if (r.status === 200) tmp = { accessKeyId: body.match(/<AccessKeyId>([^<]+)/)[1], secretAccessKey: body.match(/<SecretAccessKey>([^<]+)/)[1], sessionToken: body.match(/<SessionToken>([^<]+)/)[1] };
      else await new Promise((res) => setTimeout(res, 100));
    }
    if (!check('STS GetSessionToken', !!tmp, body.slice(0, 300))) return;
    r = await call({ method: 'GET', path: `/${bucket}`, query: { 'list-type': '2' }, creds: tmp });
    check('ListObjectsV2 signed with a session token (x-amz-security-token)', r.status === 200, await text(r));
    const url = sig.presignUrl({ baseUrl: S3_URL, path: `/${bucket}/${sig.encodeKeyPath(keys[2])}`, expires: 300, region, creds: tmp });
    r = await fetch(url);
    check('presigned GET with X-Amz-Security-Token', r.status === 200, await text(r));
  });

  if (process.env.ADMIN_URL) {
    await step(`admin API on ${process.env.ADMIN_URL}`, async () => {
      const r = await call({ method: 'GET', path: '/v1/info', service: 'coffer-admin', base: process.env.ADMIN_URL });
      check('GET /v1/info (service coffer-admin)', r.status === 200, await text(r));
    });
  }
  console.log(`(bucket ${bucket} on ${host} left in place)`);
}

if (failures.length) {
  console.log(`sigv4_check: ${failures.length} FAILED: ${failures.join('; ')}`);
  process.exit(1);
}
console.log('sigv4_check: OK');

// AWS Signature Version 4 in plain JavaScript: SHA-256, HMAC-SHA256, header signing and
// query presigning. No crypto.subtle (it is missing on plain-http origins other than
// localhost), no dependencies; works in browsers and in node (tests/interop/browser/sigv4_check.mjs).

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const encoder = new TextEncoder();

/** Bytes of a string (UTF-8), an ArrayBuffer, a typed array or a DataView. */
export function toBytes(data) {
  if (data === undefined || data === null) return new Uint8Array(0);
  if (typeof data === 'string') return encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('sha256: unsupported input');
}

/** SHA-256 digest (Uint8Array of 32 bytes) of a string, ArrayBuffer or typed array. */
export function sha256(data) {
  const msg = toBytes(data);
  const len = msg.length;
  const total = ((len + 9 + 63) >> 6) << 6;
  const buf = new Uint8Array(total);
  buf.set(msg);
  buf[len] = 0x80;
  const view = new DataView(buf.buffer);
  const bits = len * 8;
  view.setUint32(total - 8, Math.floor(bits / 0x100000000));
  view.setUint32(total - 4, bits >>> 0);
  let h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a;
  let h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
  const w = new Uint32Array(64);
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4);
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15], b = w[i - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + S1 + ch + K[i] + w[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0;
      d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  [h0, h1, h2, h3, h4, h5, h6, h7].forEach((v, i) => ov.setUint32(i * 4, v >>> 0));
  return out;
}

export function toHex(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += bytes[i].toString(16).padStart(2, '0');
  return s;
}

export function sha256Hex(data) {
  return toHex(sha256(data));
}

/** HMAC-SHA256(key, data) as bytes. */
export function hmac(key, data) {
  let k = toBytes(key);
  if (k.length > 64) k = sha256(k);
  const block = new Uint8Array(64);
  block.set(k);
  const msg = toBytes(data);
  const inner = new Uint8Array(64 + msg.length);
  const outer = new Uint8Array(64 + 32);
  for (let i = 0; i < 64; i++) {
    inner[i] = block[i] ^ 0x36;
    outer[i] = block[i] ^ 0x5c;
  }
  inner.set(msg, 64);
  outer.set(sha256(inner), 64);
  return sha256(outer);
}

export function hmacHex(key, data) {
  return toHex(hmac(key, data));
}

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** RFC 3986 encoding (encodeURIComponent plus !'()*), as SigV4 wants for query parts. */
export function uriEncode(s) {
  return encodeURIComponent(String(s)).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** An object key as a path: each segment RFC 3986-encoded, '/' kept. */
export function encodeKeyPath(key) {
  return String(key).split('/').map(uriEncode).join('/');
}

/** [[name, value], ...] from an object, an array of pairs or URLSearchParams; undefined/null values dropped. */
export function queryPairs(query) {
  if (!query) return [];
  let pairs;
  if (Array.isArray(query)) pairs = query.map(([k, v]) => [String(k), v]);
  else if (typeof URLSearchParams !== 'undefined' && query instanceof URLSearchParams) pairs = [...query.entries()];
  else pairs = Object.entries(query);
  return pairs.filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => [k, String(v)]);
}

/** The canonical query string: RFC 3986-encoded names and values, sorted by name then value. */
export function canonicalQuery(query) {
  return queryPairs(query)
    .map(([k, v]) => [uriEncode(k), uriEncode(v)])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** 20150830T123600Z */
export function amzDate(date) {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function signingKey(secret, day, region, service) {
  const kDate = hmac('AWS4' + secret, day);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  return hmac(kService, 'aws4_request');
}

function normalizeHeaders(headers) {
  const map = new Map();
  for (const [name, value] of Object.entries(headers || {})) {
    if (value === undefined || value === null) continue;
    const n = name.toLowerCase();
    const v = String(value).trim().replace(/\s+/g, ' ');
    map.set(n, map.has(n) ? map.get(n) + ',' + v : v);
  }
  return map;
}

/**
 * The canonical request, string to sign and signature of a request (exported for tests).
 * req: {method, path (canonical, already encoded), query, headers (must include host), bodyHash}
 */
export function signatureParts(req, creds, region, service, date) {
  const stamp = amzDate(date);
  const day = stamp.slice(0, 8);
  const headers = normalizeHeaders(req.headers);
  const names = [...headers.keys()].sort();
  const signedHeaders = names.join(';');
  const canonicalHeaders = names.map((n) => `${n}:${headers.get(n)}\n`).join('');
  const canonicalRequest = [
    req.method.toUpperCase(),
    req.path || '/',
    canonicalQuery(req.query),
    canonicalHeaders,
    signedHeaders,
    req.bodyHash,
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', stamp, scope, sha256Hex(canonicalRequest)].join('\n');
  const signature = hmacHex(signingKey(creds.secretAccessKey, day, region, service), stringToSign);
  return { canonicalRequest, stringToSign, signature, signedHeaders, scope, stamp };
}

/**
 * Sign a request with SigV4 headers. Returns the headers to ADD to the request:
 * authorization, x-amz-date, x-amz-content-sha256 (for s3, or when asked) and
 * x-amz-security-token (when creds.sessionToken is set). req.headers must hold `host`.
 * creds: {accessKeyId, secretAccessKey, sessionToken?}
 * opts: {region, service, date?: Date, contentSha256Header?: bool}
 */
export function signRequest(req, creds, opts) {
  const date = opts.date || new Date();
  const bodyHash = req.bodyHash || EMPTY_SHA256;
  const added = { 'x-amz-date': amzDate(date) };
  if (opts.contentSha256Header !== false && (opts.service === 's3' || opts.contentSha256Header)) {
    added['x-amz-content-sha256'] = bodyHash;
  }
  if (creds.sessionToken) added['x-amz-security-token'] = creds.sessionToken;
  const headers = { ...req.headers, ...added };
  const parts = signatureParts({ ...req, headers, bodyHash }, creds, opts.region, opts.service, date);
  added.authorization =
    `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${parts.scope}, ` +
    `SignedHeaders=${parts.signedHeaders}, Signature=${parts.signature}`;
  return added;
}

/**
 * A presigned URL (query-string authentication, UNSIGNED-PAYLOAD, SignedHeaders=host).
 * p: {baseUrl ('http://host:port'), path (canonical, encoded), method?, query?, expires (seconds),
 *     creds, region, service?, date?}
 */
export function presignUrl(p) {
  const date = p.date || new Date();
  const stamp = amzDate(date);
  const service = p.service || 's3';
  const scope = `${stamp.slice(0, 8)}/${p.region}/${service}/aws4_request`;
  const url = new URL(p.baseUrl);
  const query = queryPairs(p.query);
  query.push(['X-Amz-Algorithm', 'AWS4-HMAC-SHA256']);
  query.push(['X-Amz-Credential', `${p.creds.accessKeyId}/${scope}`]);
  query.push(['X-Amz-Date', stamp]);
  query.push(['X-Amz-Expires', String(p.expires)]);
  if (p.creds.sessionToken) query.push(['X-Amz-Security-Token', p.creds.sessionToken]);
  query.push(['X-Amz-SignedHeaders', 'host']);
  const parts = signatureParts(
    { method: p.method || 'GET', path: p.path, query, headers: { host: url.host }, bodyHash: UNSIGNED_PAYLOAD },
    p.creds, p.region, service, date,
  );
  query.push(['X-Amz-Signature', parts.signature]);
  const qs = query.map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`).join('&');
  return `${url.protocol}//${url.host}${p.path}?${qs}`;
}

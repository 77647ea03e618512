// Signed calls to coffer through the admin listener's /api forwarder (S3, IAM, STS, KMS),
// the admin API (/v1/*), the console session, XML helpers and error mapping.
// Secrets live only in this module's memory (the session object), never in storage or URLs.

import {
  signRequest, presignUrl, sha256, sha256Hex, encodeKeyPath, uriEncode, queryPairs, UNSIGNED_PAYLOAD, EMPTY_SHA256,
} from './sigv4.js';

/** The SessionInfo of the signed-in user, or null. */
export let session = null;

const FRIENDLY = {
  AccessDenied: "You don't have permission to do this.",
  AccessDeniedException: "You don't have permission to do this.",
  NoSuchBucket: 'That bucket does not exist (any more).',
  BucketNotEmpty: 'The bucket is not empty: delete its objects (and their versions) first.',
  NoSuchKey: 'That object does not exist (any more).',
  NotFound: 'Not found.',
  NoSuchVersion: 'That version does not exist (any more).',
  NoSuchUpload: 'That upload no longer exists on the server (it was completed or cancelled).',
  InvalidBucketName: 'That is not a valid bucket name.',
  BucketAlreadyOwnedByYou: 'You already have a bucket with that name.',
  BucketAlreadyExists: 'A bucket with that name already exists.',
  MalformedPolicy: 'The policy document is not valid.',
  MalformedPolicyDocument: 'The policy document is not valid.',
  MalformedXML: 'The server could not read the request (malformed XML).',
  ExpiredToken: 'Your session has expired; sign in again.',
  ExpiredTokenException: 'Your session has expired; sign in again.',
  InvalidToken: 'Your session is no longer valid; sign in again.',
  InvalidAccessKeyId: 'Your session is no longer valid; sign in again.',
  NotSignedIn: 'You are not signed in.',
  SignatureDoesNotMatch: 'The request signature was refused by the server.',
  NetworkError: 'The server could not be reached. Check your connection and try again.',
  NoSuchEntity: 'That does not exist (any more).',
  EntityAlreadyExists: 'That name is already taken.',
  DeleteConflict: 'It is still in use: detach or remove what depends on it first.',
  LimitExceeded: 'A limit was reached.',
  ValidationError: 'A value is not valid.',
  InvalidInput: 'A value is not valid.',
  NotFoundException: 'That key does not exist.',
  DisabledException: 'That key is disabled.',
  KMSInvalidStateException: 'That key is in a state that does not allow this.',
  ObjectLockConfigurationNotFoundError: 'Object lock is not enabled on this bucket.',
  InvalidRequest: 'The server refused the request as invalid.',
  EntityTooLarge: 'That is too large.',
  EntityTooSmall: 'A part of the upload is too small.',
  InvalidPart: 'A part of the upload is missing or changed.',
  QuotaExceeded: 'The bucket quota would be exceeded.',
  SignInFailed: 'The access key, user name or password is wrong.',
  TooManyAttempts: 'Too many failed attempts; wait a moment and try again.',
  PasswordResetRequired: 'You must choose a new password.',
  PasswordPolicyViolation: 'The new password does not meet the password policy.',
  MissingConsoleHeader: 'The request was refused (missing console header).',
  InvalidObjectState: 'The object is archived or locked in a way that does not allow this.',
  PreconditionFailed: 'The object changed in the meantime; reload and try again.',
  NoSuchTagSet: 'The object has no tags.',
  Aborted: 'Cancelled.',
};

export class ApiError extends Error {
  constructor(code, status, message, extra = {}) {
    super(message || code || `HTTP ${status}`);
    this.name = 'ApiError';
    this.code = code || `HTTP${status}`;
    this.status = status;
    this.friendly = FRIENDLY[this.code] || message || (status ? `The server answered ${status}.` : 'Something went wrong.');
    Object.assign(this, extra);
  }
}

const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'InvalidToken', 'InvalidAccessKeyId', 'NotSignedIn', 'InvalidClientTokenId']);

function onExpired(err) {
  if (session && EXPIRED.has(err.code)) {
    session = null;
    window.dispatchEvent(new CustomEvent('coffer:expired', { detail: err }));
  }
}

// ---------- XML helpers ----------

const parser = () => new DOMParser();

export function parseXml(text) {
  const doc = parser().parseFromString(text, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length) throw new ApiError('MalformedResponse', 0, 'The server sent a response the console cannot read.');
  return doc;
}

/** Text of the first descendant element named `tag` (local name), or '' / fallback. */
export function xmlText(node, tag, fallback = '') {
  if (!node) return fallback;
  const el = node.getElementsByTagNameNS ? node.getElementsByTagNameNS('*', tag)[0] : null;
  return el ? el.textContent : fallback;
}

/** All descendant elements named `tag`. */
export function xmlAll(node, tag) {
  if (!node) return [];
  return Array.from(node.getElementsByTagNameNS('*', tag));
}

/** Direct children named `tag`. */
export function xmlChildren(node, tag) {
  if (!node) return [];
  return Array.from(node.children).filter((c) => c.localName === tag);
}

/** Text of a direct child named `tag`. */
export function xmlChild(node, tag, fallback = '') {
  const c = xmlChildren(node, tag)[0];
  return c ? c.textContent : fallback;
}

export function xmlEscape(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }[c]))
    // characters XML 1.0 cannot carry at all
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A tiny XML builder: xml('Tagging', {xmlns: '...'}, xml('TagSet', null, ...)) or
 * xml('Key', null, 'text') → string. Text children are escaped; nested xml() results are kept.
 */
export function xml(tag, attrs, ...children) {
  const a = attrs ? Object.entries(attrs).map(([k, v]) => ` ${k}="${xmlEscape(v)}"`).join('') : '';
  const inner = children.flat(Infinity).filter((c) => c !== undefined && c !== null && c !== false)
    .map((c) => (c instanceof XmlRaw ? c.s : xmlEscape(c))).join('');
  return new XmlRaw(`<${tag}${a}>${inner}</${tag}>`);
}
class XmlRaw {
  constructor(s) { this.s = s; }
  toString() { return this.s; }
}
export const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
/** The full document text of an xml() tree, with the XML declaration. */
export function xmlDoc(root) {
  return '<?xml version="1.0" encoding="UTF-8"?>' + root.s;
}

// ---------- error parsing ----------

const STATUS_CODES = { 400: 'BadRequest', 401: 'NotSignedIn', 403: 'AccessDenied', 404: 'NotFound', 405: 'MethodNotAllowed', 409: 'Conflict', 412: 'PreconditionFailed', 416: 'InvalidRange', 429: 'TooManyAttempts', 500: 'InternalError', 501: 'NotImplemented', 503: 'ServiceUnavailable' };

async function errorFrom(resp, text) {
  if (text === undefined) {
    try { text = await resp.text(); } catch { text = ''; }
  }
  let code = '', message = '', extra = {};
  const ct = resp.headers.get('content-type') || '';
  if (text && (ct.includes('json') || text.trim().startsWith('{'))) {
    try {
      const j = JSON.parse(text);
      code = j.code || j.Code || j.__type || '';
      if (code.includes('#')) code = code.split('#').pop();
      message = j.message || j.Message || '';
      if (j.retryAfterSeconds !== undefined) extra.retryAfterSeconds = j.retryAfterSeconds;
    } catch { /* not JSON */ }
  } else if (text && text.includes('<')) {
    try {
      const doc = new DOMParser().parseFromString(text, 'application/xml');
      code = xmlText(doc, 'Code');
      message = xmlText(doc, 'Message');
    } catch { /* not XML */ }
  }
  if (!code) code = resp.headers.get('x-amz-error-code') || STATUS_CODES[resp.status] || `HTTP${resp.status}`;
  if (resp.status === 404 && code === 'NotFound' && resp.url && /\/api\/[^/?]+\/[^?]/.test(resp.url)) code = 'NoSuchKey';
  const err = new ApiError(code, resp.status, message, extra);
  onExpired(err);
  return err;
}

/** The ApiError of a finished XMLHttpRequest that failed (status 0: a network error). */
export async function xhrError(xhr) {
  if (!xhr.status) return new ApiError('NetworkError', 0, 'The upload could not reach the server.');
  let text = '';
  try { text = xhr.responseType === '' || xhr.responseType === 'text' ? xhr.responseText : ''; } catch { text = ''; }
  return errorFrom({ status: xhr.status, url: '', headers: { get: (n) => xhr.getResponseHeader(n) } }, text);
}

function networkError(e) {
  if (e && e.name === 'AbortError') return new ApiError('Aborted', 0, 'Cancelled.');
  return new ApiError('NetworkError', 0, String((e && e.message) || e));
}

// ---------- session ----------

const CONSOLE_HEADERS = { 'X-Coffer-Console': '1' };

/**
 * How far the server's clock is ahead of this browser's (ms), from the Date header of
 * the session answers: signatures are dated by the server's clock, so a browser whose
 * clock is off by more than the 15 minutes S3 allows can still sign.
 */
let clockOffsetMs = 0;

function noteServerTime(resp) {
  const server = Date.parse(resp.headers.get('date') || '');
  if (!Number.isNaN(server)) {
    const offset = server - Date.now();
    // The header has whole seconds: small differences are its rounding, not skew.
    clockOffsetMs = Math.abs(offset) > 5000 ? offset : 0;
  }
}

/** Now, by the server's clock. */
export function serverNow() {
  return new Date(Date.now() + clockOffsetMs);
}

/** Takes the SessionInfo of a 200 session answer (and the server's clock from its Date). */
async function adoptSession(resp) {
  noteServerTime(resp);
  session = await resp.json();
  window.dispatchEvent(new CustomEvent('coffer:session'));
  return session;
}

/** GET /console/session → SessionInfo or null. */
export async function loadSession() {
  let resp;
  try {
    resp = await fetch('/console/session', { headers: CONSOLE_HEADERS, credentials: 'same-origin', cache: 'no-store' });
  } catch (e) { throw networkError(e); }
  if (resp.status === 200) return adoptSession(resp);
  if (resp.status === 401) { session = null; return null; }
  throw await errorFrom(resp);
}

/** POST /console/session with {accessKeyId, secretAccessKey} or {account, userName, password, newPassword}. */
export async function signIn(body) {
  let resp;
  try {
    resp = await fetch('/console/session', {
      method: 'POST', credentials: 'same-origin', cache: 'no-store',
      headers: { ...CONSOLE_HEADERS, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (e) { throw networkError(e); }
  if (resp.status === 200) return adoptSession(resp);
  const text = await resp.text();
  let err;
  try {
    const j = JSON.parse(text);
    err = new ApiError(j.code || `HTTP${resp.status}`, resp.status, j.message || '', j.retryAfterSeconds !== undefined ? { retryAfterSeconds: j.retryAfterSeconds } : {});
    // The server's own words describe sign-in problems best (e.g. the password rule).
    if (j.message && (err.code === 'PasswordPolicyViolation' || err.code === 'TooManyAttempts')) err.friendly = j.message;
  } catch {
    err = new ApiError(STATUS_CODES[resp.status] || `HTTP${resp.status}`, resp.status, text.slice(0, 200));
  }
  throw err;
}

/** DELETE /console/session; forgets the credentials whatever the server answers. */
export async function signOut() {
  const csrf = session && session.csrfToken;
  session = null;
  try {
    await fetch('/console/session', {
      method: 'DELETE', credentials: 'same-origin', cache: 'no-store',
      headers: { ...CONSOLE_HEADERS, 'X-CSRF-Token': csrf || '' },
    });
  } catch { /* signed out locally anyway */ }
}

/** Seconds the session's credentials remain valid (Infinity if unknown). */
export function credentialsSecondsLeft() {
  if (!session || !session.credentials || !session.credentials.expiration) return Infinity;
  return Math.floor((Date.parse(session.credentials.expiration) - serverNow().getTime()) / 1000);
}

function requireSession() {
  if (!session) {
    const err = new ApiError('NotSignedIn', 401, 'Not signed in');
    window.dispatchEvent(new CustomEvent('coffer:expired', { detail: err }));
    throw err;
  }
  return session;
}

// ---------- signing ----------

/**
 * Sign a request for the same origin. Returns {url, headers} ready for fetch/XHR.
 * r: {method, path (canonical, encoded, WITHOUT /api), query, headers, bodyHash, service, prefix ('/api' or '')}
 */
export function signForApi(r) {
  const s = requireSession();
  const headers = { ...(r.headers || {}) };
  const lower = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
  lower.host = location.host;
  const added = signRequest(
    { method: r.method, path: r.path, query: r.query, headers: lower, bodyHash: r.bodyHash || EMPTY_SHA256 },
    s.credentials,
    { region: s.region, service: r.service, date: serverNow(), contentSha256Header: r.service === 's3' || r.service === 'coffer-admin' ? true : undefined },
  );
  delete lower.host;
  const qs = queryPairs(r.query).map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`).join('&');
  const prefix = r.prefix === undefined ? '/api' : r.prefix;
  const url = prefix + r.path + (qs ? '?' + qs : '');
  // /api/ answers the page's own requests only (a navigation or a tag cannot send this).
  return { url, headers: { ...lower, ...added, 'x-coffer-console': '1' } };
}

function bodyHashOf(body, unsigned) {
  if (unsigned) return UNSIGNED_PAYLOAD;
  if (body === undefined || body === null || body === '') return EMPTY_SHA256;
  if (typeof body === 'string' || body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return sha256Hex(body);
  // Blobs/Files cannot be hashed synchronously: send them unsigned.
  return UNSIGNED_PAYLOAD;
}

async function send(r, body, signal) {
  const bodyHash = bodyHashOf(body, r.unsignedPayload);
  const { url, headers } = signForApi({ ...r, bodyHash });
  try {
    return await fetch(url, { method: r.method, headers, body: body === undefined || body === null ? undefined : body, credentials: 'same-origin', cache: 'no-store', signal });
  } catch (e) { throw networkError(e); }
}

export function base64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s);
}

/** The canonical path of a bucket / key ('/', '/bucket', '/bucket/k%20ey'). */
export function s3Path(bucket, key) {
  if (!bucket) return '/';
  let p = '/' + uriEncode(bucket);
  if (key !== undefined && key !== null && key !== '') p += '/' + encodeKeyPath(key);
  return p;
}

/**
 * An S3 call. opts: {query, headers, body, unsignedPayload, responseType: 'xml'|'text'|'blob'|'json'|'none'|'arraybuffer', signal}
 * → {status, headers, body} (+ xml: Document when responseType is 'xml'). Throws ApiError on a non-2xx answer.
 */
export async function s3(method, bucket, key, opts = {}) {
  const responseType = opts.responseType || (method === 'HEAD' || method === 'DELETE' ? 'none' : 'xml');
  const headers = { ...(opts.headers || {}) };
  // Configuration documents (DeleteObjects, PutBucketVersioning, tagging…) need a digest:
  // x-amz-checksum-sha256 of the body (S3 takes it in place of Content-MD5).
  const b = opts.body;
  const qnames = queryPairs(opts.query).map(([k]) => k);
  const isDocument = qnames.length > 0 && !qnames.some((k) => k === 'uploadId' || k === 'uploads' || k === 'partNumber');
  if (isDocument && b !== undefined && b !== null && (typeof b === 'string' || b instanceof ArrayBuffer || ArrayBuffer.isView(b))
      && !Object.keys(headers).some((k) => /^(content-md5|x-amz-checksum-)/i.test(k))) {
    headers['x-amz-checksum-sha256'] = base64(sha256(b));
  }
  const resp = await send({ method, path: s3Path(bucket, key), query: opts.query, headers, service: 's3', unsignedPayload: opts.unsignedPayload }, opts.body, opts.signal);
  if (!resp.ok) throw await errorFrom(resp, method === 'HEAD' ? '' : undefined);
  const out = { status: resp.status, headers: resp.headers };
  if (responseType === 'xml') {
    const text = await resp.text();
    out.body = text;
    out.xml = text.trim() ? parseXml(text) : null;
    // CopyObject and CompleteMultipartUpload can fail inside a 200 answer.
    if (out.xml && out.xml.documentElement && out.xml.documentElement.localName === 'Error') {
      const err = new ApiError(xmlText(out.xml, 'Code'), resp.status, xmlText(out.xml, 'Message'));
      onExpired(err);
      throw err;
    }
  } else if (responseType === 'text') out.body = await resp.text();
  else if (responseType === 'blob') out.body = await resp.blob();
  else if (responseType === 'json') out.body = await resp.json();
  else if (responseType === 'arraybuffer') out.body = await resp.arrayBuffer();
  return out;
}

function formBody(action, version, params) {
  const pairs = [['Action', action], ['Version', version]];
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null) continue;
    pairs.push([k, String(v)]);
  }
  return pairs.map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`).join('&');
}

async function query(service, version, action, params) {
  const body = formBody(action, version, params);
  const resp = await send({ method: 'POST', path: '/', service, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } }, body);
  const text = await resp.text();
  if (!resp.ok) throw await errorFrom(resp, text);
  return parseXml(text);
}

/** An IAM Query API call (Action=…&Version=2010-05-08) → XML Document. params: {Name: value} */
export function iam(action, params) {
  return query('iam', '2010-05-08', action, params);
}

/** An STS Query API call → XML Document. */
export function sts(action, params) {
  return query('sts', '2011-06-15', action, params);
}

/** A KMS JSON call: kms('ListKeys', {Limit: 100}) → parsed JSON. */
export async function kms(op, jsonBody) {
  const body = JSON.stringify(jsonBody || {});
  const resp = await send({
    method: 'POST', path: '/', service: 'kms',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${op}` },
  }, body);
  const text = await resp.text();
  if (!resp.ok) throw await errorFrom(resp, text);
  return text.trim() ? JSON.parse(text) : {};
}

/**
 * The admin API (server administrator only): admin('GET', '/v1/usage') → JSON (or text when
 * the answer is not JSON). opts: {query, body (object → JSON, or string)}.
 */
export async function admin(method, path, opts = {}) {
  let body = opts.body;
  const headers = {};
  if (body !== undefined && body !== null && typeof body !== 'string') {
    body = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  const canonicalPath = path.split('/').map((seg) => uriEncode(decodeURIComponent(seg))).join('/');
  const resp = await send({ method, path: canonicalPath, query: opts.query, headers, service: 'coffer-admin', prefix: '' }, body);
  const text = await resp.text();
  if (!resp.ok) throw await errorFrom(resp, text);
  const ct = resp.headers.get('content-type') || '';
  if (ct.includes('json') || (text.trim().startsWith('{') || text.trim().startsWith('['))) {
    try { return JSON.parse(text); } catch { return text; }
  }
  return text;
}

/**
 * A presigned GET URL on session.s3Url (path style) for bucket/key, valid expiresSeconds.
 * extraQuery: e.g. {'response-content-disposition': 'attachment; …', versionId}.
 */
export function presign(bucket, key, expiresSeconds, extraQuery) {
  const s = requireSession();
  const base = new URL(s.s3Url);
  const basePath = base.pathname.replace(/\/+$/, '');
  return presignUrl({
    baseUrl: s.s3Url,
    path: basePath + s3Path(bucket, key),
    expires: Math.max(1, Math.floor(expiresSeconds)),
    query: extraQuery,
    creds: s.credentials,
    region: s.region,
    date: serverNow(),
  });
}

/** Is the signed-in identity the server administrator? */
export function isAdmin() {
  return !!(session && session.identity && session.identity.admin);
}

export { uriEncode, encodeKeyPath, sha256Hex, UNSIGNED_PAYLOAD };

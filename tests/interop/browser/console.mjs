// The browser half of tests/interop/console.sh: the built-in web console in Debian's
// headless Chromium (never a downloaded browser) driven by playwright-core, against a real
// coffer. console.sh prepares the state and passes it in the environment:
//   ADMIN_URL      the admin listener (serves the console), http://127.0.0.1:PORT
//   S3_URL         the S3 listener (presigned links point there)
//   ARTIFACTS      where the screenshots go
//   BIG_FILE       a 64 MiB file to upload (multipart: 8 MiB parts)
//   UPLOAD_DIR     a directory to upload as a folder
//   MANY_BUCKET    a bucket holding MANY_COUNT keys many/00000 … (zero-padded to 5 digits)
//   MANY_COUNT     5000
//   ALICE_USER / ALICE_PASSWORD   an IAM user with a login profile (optional: skipped if unset)
//   BOB_USER / BOB_PASSWORD       an IAM user whose login profile requires a new password (optional)
//   AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_DEFAULT_REGION  the root key
// Prints one line per check; exits 1 if any failed.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { check, failures } from './checks.mjs';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const sig = await import(pathToFileURL(path.resolve(here, '../../../src/console/assets/js/sigv4.js')).href);

const env = (name, dflt) => {
  const v = process.env[name] ?? dflt;
  if (v === undefined) { console.error(`console.mjs: ${name} is not set`); process.exit(2); }
  return v;
};
const ADMIN_URL = env('ADMIN_URL');
const S3_URL = env('S3_URL');
const ARTIFACTS = env('ARTIFACTS');
const BIG_FILE = env('BIG_FILE');
const UPLOAD_DIR = env('UPLOAD_DIR');
const MANY_BUCKET = env('MANY_BUCKET');
const MANY_COUNT = Number(env('MANY_COUNT', '5000'));
const ALICE_USER = process.env.ALICE_USER || '';
const ALICE_PASSWORD = process.env.ALICE_PASSWORD || '';
const BOB_USER = process.env.BOB_USER || '';
const BOB_PASSWORD = process.env.BOB_PASSWORD || '';
const ROOT = { accessKeyId: env('AWS_ACCESS_KEY_ID', 'coffer'), secretAccessKey: env('AWS_SECRET_ACCESS_KEY', 'coffer-secret-key') };
const REGION = env('AWS_DEFAULT_REGION', 'us-east-1');
const BUCKET = 'console-test-' + crypto.randomBytes(3).toString('hex');
const XSS_KEY = '<img src=x onerror=alert(1)>';

let page = null;
async function step(name, fn) {
  console.log(`- ${name}`);
  const t0 = Date.now();
  try {
    // A dialog left open by a failed step must not block the next one.
    if (page) await page.evaluate(() => document.querySelectorAll('dialog[open]').forEach((d) => d.close())).catch(() => {});
    await fn();
  } catch (e) {
    check(`${name} (threw)`, false, String((e && e.stack) || e).replace(/\x1b\[[0-9;]*m/g, '').split('\n').slice(0, 6).join(' | '));
    await shot(`fail-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}`).catch(() => {});
  }
  console.log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

// S3 calls from node, signed by the console's own sigv4.js, straight to the S3 listener.
async function s3(method, bucket, key, { query, headers = {}, body, creds = ROOT } = {}) {
  const p = '/' + (bucket ? sig.uriEncode(bucket) : '') + (key !== undefined && key !== '' ? '/' + sig.encodeKeyPath(key) : '');
  const h = { ...headers, host: new URL(S3_URL).host };
  const added = sig.signRequest({ method, path: p, query, headers: h, bodyHash: body === undefined ? sig.EMPTY_SHA256 : sig.sha256Hex(body) }, creds, { region: REGION, service: 's3' });
  delete h.host;
  const qs = sig.queryPairs(query).map(([k, v]) => `${sig.uriEncode(k)}=${sig.uriEncode(v)}`).join('&');
  return fetch(S3_URL + p + (qs ? '?' + qs : ''), { method, headers: { ...h, ...added }, body });
}

const watchdog = setTimeout(() => { console.error('console.mjs: timed out after 420 s'); process.exit(3); }, 420_000);
fs.mkdirSync(ARTIFACTS, { recursive: true });

// ---------------------------------------------------------------- response headers of /
await step('security headers of GET /', async () => {
  const r = await fetch(ADMIN_URL + '/');
  const csp = r.headers.get('content-security-policy') || '';
  check('GET / is 200 text/html', r.status === 200 && (r.headers.get('content-type') || '').startsWith('text/html'), `${r.status} ${r.headers.get('content-type')}`);
  check("CSP default-src 'none', script-src 'self', frame-ancestors 'none'", csp.includes("default-src 'none'") && csp.includes("script-src 'self'") && csp.includes("frame-ancestors 'none'") && !csp.includes('unsafe-inline'), csp);
  check('X-Frame-Options DENY', (r.headers.get('x-frame-options') || '').toUpperCase() === 'DENY', r.headers.get('x-frame-options'));
  check('X-Content-Type-Options nosniff', r.headers.get('x-content-type-options') === 'nosniff', r.headers.get('x-content-type-options'));
  const s = await fetch(ADMIN_URL + '/console/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accessKeyId: ROOT.accessKeyId, secretAccessKey: ROOT.secretAccessKey }) });
  check('POST /console/session without X-Coffer-Console is refused (403)', s.status === 403, `${s.status} ${(await s.text()).slice(0, 200)}`);
});

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
console.log(`chromium ${browser.version()}`);
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
context.setDefaultTimeout(20_000);
page = await context.newPage();
const expectedNetworkErrors = [];
const pageProblems = [];
page.on('pageerror', (e) => pageProblems.push(`pageerror: ${e}`));
page.on('console', (m) => {
  if (m.type() !== 'error') return;
  const t = m.text();
  // A failed fetch logs "Failed to load resource: … status of 4xx": the app shows these as
  // messages (missing tag set, object-lock configuration, a refused sign-in) — logged, no failure.
  if (/Failed to load resource: the server responded with a status of (4\d\d)/.test(t)) { expectedNetworkErrors.push(`${t} ${m.location().url || ''}`); return; }
  pageProblems.push(`console.error: ${t}`);
});
let dialogs = 0;
let beforeUnloadAsked = 0;
page.on('dialog', async (d) => {
  // Leaving during an upload asks first (the resume check reloads on purpose).
  if (d.type() === 'beforeunload') { beforeUnloadAsked++; await d.accept().catch(() => {}); return; }
  dialogs++; pageProblems.push(`a ${d.type()} dialog opened: ${d.message()}`); await d.dismiss().catch(() => {}); });

// Every form control has a label and every button a name, on the page as it is now.
async function a11y(where) {
  const bad = await page.evaluate(() => {
    const out = [];
    for (const i of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
      if (!(i.labels && i.labels.length) && !i.getAttribute('aria-label') && !i.getAttribute('aria-labelledby')) out.push(`${i.tagName.toLowerCase()}#${i.id || '?'}[${i.type || ''}]`);
    }
    for (const b of document.querySelectorAll('button')) {
      if (!(b.textContent.trim() || b.getAttribute('aria-label'))) out.push(`button ${b.outerHTML.slice(0, 60)}`);
    }
    if (document.querySelectorAll('main h1, dialog[open] h2').length === 0) out.push('no h1');
    return out;
  });
  check(`${where}: every control is labelled, every button named, an h1`, bad.length === 0, bad);
}

async function shot(name) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: false });
}
async function goto(hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
}
async function waitRows() {
  await page.waitForFunction(() => document.querySelector('#object-table tbody') && !document.querySelector('#object-table tbody .skeleton-row'));
}
async function rowKeys() {
  return page.$$eval('#object-table tbody tr[data-key]', (trs) => trs.map((t) => t.getAttribute('data-key')));
}

// ---------------------------------------------------------------- sign in with the root key
await step('sign in with the root key', async () => {
  await page.goto(ADMIN_URL + '/');
  await page.waitForSelector('#signin-key');
  await shot('signin');
  await a11y('sign-in page');
  await page.fill('#signin-key input[name=accessKeyId]', ROOT.accessKeyId);
  await page.fill('#signin-key input[name=secretAccessKey]', 'wrong-secret');
  await page.click('#signin-key button[type=submit]');
  await page.waitForSelector('.signin-status .error-box');
  check('a wrong secret shows an error message', /wrong/i.test(await page.textContent('.signin-status')), await page.textContent('.signin-status'));
  await page.fill('#signin-key input[name=secretAccessKey]', ROOT.secretAccessKey);
  await page.click('#signin-key button[type=submit]');
  await page.waitForSelector('#identity-name');
  check('the shell shows the identity', (await page.textContent('#identity-name')).length > 0, await page.textContent('#identity-name'));
  const cookies = await context.cookies(ADMIN_URL);
  const c = cookies.find((x) => x.name === 'coffer_console');
  check('session cookie coffer_console is HttpOnly, SameSite=Strict', c && c.httpOnly && c.sameSite === 'Strict', cookies);
  check('no secret in localStorage/sessionStorage', await page.evaluate((s) => !JSON.stringify({ ...localStorage }).includes(s) && !JSON.stringify({ ...sessionStorage }).includes(s), ROOT.secretAccessKey));
});

// ---------------------------------------------------------------- create a bucket
await step(`create bucket ${BUCKET} with versioning`, async () => {
  await goto('#/buckets');
  await page.waitForSelector('#create-bucket');
  await page.click('#create-bucket');
  const input = page.getByLabel('Bucket name');
  await input.fill('Bad_Name');
  check('an invalid bucket name is explained', /lowercase/i.test(await page.textContent('#create-bucket-form .field-error')), await page.textContent('#create-bucket-form .field-error'));
  await input.fill(BUCKET);
  await page.check('#cb-versioning');
  await page.click('#create-bucket-form button[type=submit]');
  await page.waitForSelector(`tr[data-bucket="${BUCKET}"]`);
  check('the bucket is listed', true);
  const v = await (await s3('GET', BUCKET, '', { query: { versioning: '' } })).text();
  check('versioning is Enabled (GetBucketVersioning)', v.includes('<Status>Enabled</Status>'), v);
  await page.waitForFunction(() => !document.querySelector('.skeleton-row'));
  await shot('buckets');
  await a11y('bucket list');
});

// ---------------------------------------------------------------- 64 MiB multipart upload
await step('upload a 64 MiB file (multipart) with progress', async () => {
  await goto(`#/buckets/${encodeURIComponent(BUCKET)}`);
  await waitRows();
  await page.evaluate(() => {
    window.__progress = [];
    window.__overall = [];
    new MutationObserver((ms) => {
      for (const m of ms) {
        const t = m.target;
        if (t.tagName !== 'PROGRESS') continue;
        const v = Number(t.getAttribute('value')) / Number(t.getAttribute('max') || 1);
        if (t.id === 'overall-progress') window.__overall.push(v); else window.__progress.push(v);
      }
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['value'] });
  });
  const size = fs.statSync(BIG_FILE).size;
  const name = path.basename(BIG_FILE);
  await page.setInputFiles('#upload-files', BIG_FILE);
  await page.waitForSelector('#upload-panel:not([hidden])');
  // A screenshot while it runs.
  try {
    await page.waitForFunction(() => window.__progress.some((v) => v > 0.05 && v < 0.9), null, { timeout: 30_000, polling: 50 });
    await shot('upload-progress');
  } catch { /* very fast: checked below */ }
  await page.waitForFunction((n) => [...document.querySelectorAll('.upload-row')].some((r) => r.getAttribute('data-key') === n && /Done|Error|denied|wrong/i.test(r.textContent)), name, { timeout: 120_000 });
  const status = await page.$eval(`.upload-row[data-key="${name}"] .upload-status`, (e) => e.textContent);
  check('the upload finished', status === 'Done', status);
  const seen = await page.evaluate(() => window.__progress);
  const mids = [...new Set(seen.filter((v) => v > 0 && v < 1).map((v) => v.toFixed(3)))];
  check('the progress bar went through intermediate values', mids.length >= 3, `distinct values in (0,1): ${mids.length}: ${mids.slice(0, 12).join(' ')}`);
  console.log(`  (progress values seen: ${seen.length}, e.g. ${mids.slice(0, 8).join(', ')})`);
  const overall = await page.evaluate(() => window.__overall);
  check('the overall progress bar moved too', overall.some((v) => v > 0 && v < 1), overall.slice(0, 10));
  const head = await s3('HEAD', BUCKET, name);
  check('HeadObject: size is 64 MiB', head.status === 200 && Number(head.headers.get('content-length')) === size, `${head.status} ${head.headers.get('content-length')}`);
  check('HeadObject: ETag has the multipart suffix -8', /-8"?$/.test(head.headers.get('etag') || ''), head.headers.get('etag'));
  const got = Buffer.from(await (await s3('GET', BUCKET, name)).arrayBuffer());
  const want = fs.readFileSync(BIG_FILE);
  check('GetObject returns the same bytes', got.length === want.length && crypto.createHash('sha256').update(got).digest('hex') === crypto.createHash('sha256').update(want).digest('hex'));
  await waitRows();
  check('the listing shows the new object', (await rowKeys()).includes(name), await rowKeys());
  const leftovers = await page.evaluate(() => localStorage.getItem('coffer.console.multipart'));
  check('no resumable-upload record is left after completion', !leftovers || leftovers === '[]', leftovers);
});

// ---------------------------------------------------------------- resume after a reload
// Parts 5-8 are held back (never answered) by page.route, the page is reloaded mid-upload,
// the same file is picked again: ListParts, and only the 4 missing parts are sent.
await step('a multipart upload resumes after a page reload', async () => {
  const name = path.basename(BIG_FILE);
  const key = 'resume/' + name;
  await goto(`#/buckets/${encodeURIComponent(BUCKET)}?prefix=resume%2F`);
  await waitRows();
  const held = [];
  let finishedLow = 0;
  const onFinished = (r) => { if (/partNumber=[1-4](&|$)/.test(r.url()) && r.method() === 'PUT') finishedLow++; };
  page.on('requestfinished', onFinished);
  await page.route(/\/api\/.*partNumber=/, (route) => {
    const n = Number(new URL(route.request().url()).searchParams.get('partNumber'));
    if (n <= 4) return route.continue();
    held.push(route);
  });
  await page.setInputFiles('#upload-files', BIG_FILE);
  const t0 = Date.now();
  while ((finishedLow < 4 || held.length < 4) && Date.now() - t0 < 60_000) await page.waitForTimeout(100);
  check('parts 1-4 were sent and 5-8 held back', finishedLow >= 4 && held.length >= 4, { finishedLow, held: held.length });
  const record = JSON.parse(await page.evaluate(() => localStorage.getItem('coffer.console.multipart')) || '[]');
  check('the upload is recorded in localStorage (no secret in it)', record.some((r) => r.key === key && r.uploadId && r.size === fs.statSync(BIG_FILE).size) && !JSON.stringify(record).includes(ROOT.secretAccessKey), record);
  page.off('requestfinished', onFinished);
  // Reload first: the held parts die with the page (aborting them before would let the
  // page retry them).
  await page.reload();
  check('leaving the page during an upload asked first (beforeunload)', beforeUnloadAsked === 1, beforeUnloadAsked);
  await page.unroute(/\/api\/.*partNumber=/);
  for (const r of held) r.abort().catch(() => {});
  await page.waitForSelector('#identity-name');
  check('the session survives the reload (cookie)', true);
  const parts = [];
  const onRequest = (r) => { if (r.method() === 'PUT' && /partNumber=/.test(r.url())) parts.push(Number(new URL(r.url()).searchParams.get('partNumber'))); };
  let listParts = 0;
  const onList = (r) => { if (r.method() === 'GET' && /uploadId=/.test(r.url())) listParts++; };
  page.on('request', onRequest);
  page.on('request', onList);
  await waitRows();
  await page.waitForSelector('#resumable');
  check('the folder page lists the unfinished upload', (await page.textContent('#resumable')).includes(key), await page.textContent('#resumable'));
  await page.setInputFiles('#upload-files', BIG_FILE);
  await page.waitForFunction((k) => [...document.querySelectorAll('.upload-row')].some((r) => r.getAttribute('data-key') === k && /Done|rror|refused|denied/.test(r.textContent)), key, { timeout: 120_000 });
  await page.waitForFunction(() => !document.querySelector('#resumable'));
  page.off('request', onRequest);
  page.off('request', onList);
  const status = await page.$eval(`.upload-row[data-key="${key}"] .upload-status`, (e) => e.textContent);
  check('the resumed upload finished', status === 'Done', status);
  check('ListParts was asked', listParts >= 1, listParts);
  check('only the missing parts 5-8 were sent again', JSON.stringify([...parts].sort()) === '[5,6,7,8]', parts);
  const head = await s3('HEAD', BUCKET, key);
  check('HeadObject: 64 MiB, ETag -8', Number(head.headers.get('content-length')) === fs.statSync(BIG_FILE).size && /-8"?$/.test(head.headers.get('etag') || ''), [head.status, head.headers.get('content-length'), head.headers.get('etag')]);
  const got = Buffer.from(await (await s3('GET', BUCKET, key)).arrayBuffer());
  check('the resumed object has the same bytes', crypto.createHash('sha256').update(got).digest('hex') === crypto.createHash('sha256').update(fs.readFileSync(BIG_FILE)).digest('hex'));
  const left = await page.evaluate(() => localStorage.getItem('coffer.console.multipart'));
  check('the resume record is gone after completion', !left || left === '[]', left);
});

// ---------------------------------------------------------------- cancel
await step('cancelling a multipart upload aborts it on the server', async () => {
  const name = path.basename(BIG_FILE);
  const key = 'cancel/' + name;
  await goto(`#/buckets/${encodeURIComponent(BUCKET)}?prefix=cancel%2F`);
  await waitRows();
  const held = [];
  await page.route(/\/api\/.*partNumber=/, (route) => { held.push(route); });
  await page.setInputFiles('#upload-files', BIG_FILE);
  const t0 = Date.now();
  while (held.length < 4 && Date.now() - t0 < 30_000) await page.waitForTimeout(100);
  let uploads = await (await s3('GET', BUCKET, '', { query: { uploads: '', prefix: 'cancel/' } })).text();
  check('(before) the multipart upload exists', uploads.includes(`<Key>${key}</Key>`), uploads.slice(0, 300));
  await page.click(`.upload-row[data-key="${key}"] button:has-text("Cancel")`);
  await page.waitForFunction((k) => /Cancelled/.test(document.querySelector(`.upload-row[data-key="${k}"]`).textContent), key);
  await page.unroute(/\/api\/.*partNumber=/);
  for (const r of held) r.abort().catch(() => {});
  let gone = false;
  for (let i = 0; i < 30 && !gone; i++) {
    uploads = await (await s3('GET', BUCKET, '', { query: { uploads: '', prefix: 'cancel/' } })).text();
    gone = !uploads.includes(`<Key>${key}</Key>`);
    if (!gone) await page.waitForTimeout(100);
  }
  check('AbortMultipartUpload: no upload left (ListMultipartUploads)', gone, uploads.slice(0, 300));
  const left = await page.evaluate(() => localStorage.getItem('coffer.console.multipart'));
  check('the resume record is gone after cancelling', !left || left === '[]', left);
  const head = await s3('HEAD', BUCKET, key);
  check('no object was created', head.status === 404, head.status);
  await page.click('#upload-panel-close');
});

// ---------------------------------------------------------------- folder upload
await step('upload a folder', async () => {
  const dirName = path.basename(UPLOAD_DIR);
  const files = fs.readdirSync(UPLOAD_DIR, { recursive: true }).filter((f) => fs.statSync(path.join(UPLOAD_DIR, f)).isFile()).map((f) => f.split(path.sep).join('/'));
  await goto(`#/buckets/${encodeURIComponent(BUCKET)}`);
  await waitRows();
  await page.setInputFiles('#upload-folder', UPLOAD_DIR);
  await page.waitForFunction((n) => [...document.querySelectorAll('.upload-row')].filter((r) => r.getAttribute('data-key').startsWith(n + '/') && /Done/.test(r.textContent)).length >= 1, dirName);
  await page.waitForFunction((n) => [...document.querySelectorAll('.upload-row')].filter((r) => r.getAttribute('data-key').startsWith(n + '/')).every((r) => !/Uploading|Waiting/.test(r.querySelector('.upload-status').textContent)), dirName, { timeout: 60_000 });
  const listed = await (await s3('GET', BUCKET, '', { query: { 'list-type': '2', prefix: dirName + '/' } })).text();
  const keys = [...listed.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]);
  const want = files.map((f) => `${dirName}/${f}`).sort();
  check('every file of the folder is stored under its relative path', JSON.stringify(keys.sort()) === JSON.stringify(want), { keys, want });
  await goto(`#/buckets/${encodeURIComponent(BUCKET)}?prefix=${encodeURIComponent(dirName + '/')}`);
  await waitRows();
  const shown = await rowKeys();
  check('the folder is browsable in the console', want.filter((k) => k.split('/').length === 2).every((k) => shown.includes(k)), shown);
  await page.click('#upload-panel-close');
  check('the uploads panel closes once everything finished', await page.isHidden('#upload-panel'));
});

// ---------------------------------------------------------------- pagination over 5,000 keys
await step(`browse ${MANY_COUNT} keys in pages of 100`, async () => {
  const key = (i) => `many/${String(i).padStart(5, '0')}`;
  const expectPage = async (n, label) => {
    await page.waitForFunction((p) => document.querySelector('#object-table')?.getAttribute('data-page') === String(p) && !document.querySelector('#object-table tbody .skeleton-row'), n);
    const keys = await rowKeys();
    const ms = Number(await page.getAttribute('#object-table', 'data-load-ms'));
    check(`${label}: 100 keys ${key((n - 1) * 100)} … ${key(n * 100 - 1)} (${ms} ms)`, keys.length === 100 && keys[0] === key((n - 1) * 100) && keys[99] === key(n * 100 - 1), { count: keys.length, first: keys[0], last: keys[keys.length - 1] });
    check(`${label} listed in under 3 s`, ms < 3000, ms);
  };
  const t0 = Date.now();
  await goto(`#/buckets/${encodeURIComponent(MANY_BUCKET)}?prefix=many%2F`);
  await expectPage(1, 'page 1');
  check('page 1 shown in under 5 s', Date.now() - t0 < 5000, Date.now() - t0);
  check('Previous is disabled on page 1', await page.isDisabled('#page-prev'));
  await shot('objects-desktop');
  await a11y('object browser');
  await page.click('#page-next');
  await expectPage(2, 'next: page 2');
  await page.click('#page-next');
  await expectPage(3, 'next: page 3');
  await page.click('#page-prev');
  await expectPage(2, 'previous: page 2');
  // The filter narrows the listing on the server side.
  await page.fill('#prefix-filter', '0499');
  await page.waitForFunction(() => document.querySelectorAll('#object-table tbody tr[data-key]').length === 10 && !document.querySelector('#object-table tbody .skeleton-row'));
  const filtered = await rowKeys();
  check('the prefix filter lists many/0499x (10 keys)', filtered.length === 10 && filtered[0] === 'many/04990', filtered);
  // phone size
  await page.setViewportSize({ width: 360, height: 740 });
  await page.fill('#prefix-filter', '');
  await page.waitForFunction(() => document.querySelectorAll('#object-table tbody tr[data-key]').length === 100);
  await shot('objects-phone');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check('no horizontal page overflow at 360 px (the table scrolls in its wrapper)', overflow <= 1, overflow);
  check('the menu button is shown at 360 px', await page.isVisible('.menu-button'));
  await page.setViewportSize({ width: 1280, height: 800 });
});

// ---------------------------------------------------------------- share link
const SHARE_KEY = 'notes/hello share.txt';
const SHARE_BODY = 'shared with a presigned link ✓\n';
await step('share a link and fetch it without cookies', async () => {
  const put = await s3('PUT', BUCKET, SHARE_KEY, { body: SHARE_BODY, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  check('(setup) PutObject notes/hello share.txt', put.status === 200, put.status);
  await goto(`#/buckets/${encodeURIComponent(BUCKET)}?prefix=notes%2F`);
  await waitRows();
  await page.click(`tr[data-key="${SHARE_KEY}"] button:has-text("Share")`);
  await page.waitForSelector('#share-expiry');
  const disabled = await page.$$eval('#share-expiry option', (os) => os.filter((o) => o.disabled).map((o) => o.textContent));
  console.log(`  (expiry options disabled by the session lifetime: ${disabled.join(', ') || 'none'})`);
  check('7 days is disabled (longer than the session credentials)', disabled.some((t) => t.startsWith('7 days')), disabled);
  // The longest expiry the session allows.
  const longest = await page.$$eval('#share-expiry option', (os) => os.filter((o) => !o.disabled).map((o) => o.value).pop());
  await page.selectOption('#share-expiry', longest);
  await page.click('#share-generate');
  const url = await page.inputValue('#share-url');
  await shot('share');
  await a11y('share dialog');
  check('the link points at the S3 listener', url.startsWith(S3_URL + '/'), url);
  check(`the link expires in ${longest} s`, url.includes(`X-Amz-Expires=${longest}`), url);
  const r = await fetch(url); // node's fetch: no cookies at all
  const body = await r.text();
  check('the link downloads the object without cookies', r.status === 200 && body === SHARE_BODY, `${r.status} ${body.slice(0, 200)}`);
  await page.keyboard.press('Escape');
});

// ---------------------------------------------------------------- object details
await step('object details: metadata, tags, text preview', async () => {
  await goto(`#/object/${encodeURIComponent(BUCKET)}?key=${encodeURIComponent(SHARE_KEY)}`);
  await page.waitForSelector('#object-summary dl');
  await page.waitForSelector('#object-preview pre');
  check('the text preview shows the content', (await page.textContent('#object-preview pre')) === SHARE_BODY, await page.textContent('#object-preview pre'));
  await page.waitForSelector('#tags-form');
  await a11y('object details');
  await page.click('#object-tags button:has-text("Add")');
  await page.fill('#object-tags .kv-key', 'project');
  await page.fill('#object-tags .kv-value', 'console <test> & "quotes"');
  await page.click('#tags-form button[type=submit]');
  await page.waitForSelector('#tags-form .ok');
  const tags = await (await s3('GET', BUCKET, SHARE_KEY, { query: { tagging: '' } })).text();
  check('tags saved (GetObjectTagging)', tags.includes('<Key>project</Key>') && tags.includes('console &lt;test&gt; &amp; "quotes"') || tags.includes('console &lt;test&gt; &amp; &quot;quotes&quot;'), tags);
  await page.click('#object-metadata button:has-text("Add")');
  await page.fill('#object-metadata .kv-key', 'note');
  await page.fill('#object-metadata .kv-value', 'from-console');
  await page.click('#object-metadata button[type=submit]');
  await page.waitForFunction(() => document.querySelector('.toast') && /Metadata saved/.test(document.querySelector('#toasts').textContent));
  const head = await s3('HEAD', BUCKET, SHARE_KEY);
  check('metadata saved (x-amz-meta-note, content type kept)', head.headers.get('x-amz-meta-note') === 'from-console' && (head.headers.get('content-type') || '').startsWith('text/plain'), [head.headers.get('x-amz-meta-note'), head.headers.get('content-type')]);
});

// ---------------------------------------------------------------- delete + undelete in a versioned bucket
await step('delete a versioned object, then undelete it', async () => {
  await goto(`#/buckets/${encodeURIComponent(BUCKET)}?prefix=notes%2F`);
  await waitRows();
  await page.check(`tr[data-key="${SHARE_KEY}"] input[type=checkbox]`);
  await page.click('#delete-selected');
  await page.click('dialog form button[type=submit]');
  await page.waitForFunction((k) => !document.querySelector(`tr[data-key="${k}"]`) && !document.querySelector('#object-table tbody .skeleton-row'), SHARE_KEY);
  const gone = await s3('GET', BUCKET, SHARE_KEY);
  check('after delete: GetObject is 404', gone.status === 404, gone.status);
  await page.click('#show-versions');
  await page.waitForSelector(`tr.delete-marker[data-key="${SHARE_KEY}"]`);
  await shot('versions');
  await a11y('versions page');
  await page.click(`tr.delete-marker[data-key="${SHARE_KEY}"] button[data-action=undelete]`);
  await page.waitForFunction((k) => !document.querySelector(`tr.delete-marker[data-key="${k}"]`) && document.querySelector(`tr[data-key="${k}"]`), SHARE_KEY);
  const back = await s3('GET', BUCKET, SHARE_KEY);
  const text = await back.text();
  check('after undelete: the object is back with the same content', back.status === 200 && text === SHARE_BODY, `${back.status} ${text.slice(0, 100)}`);
});

// ---------------------------------------------------------------- a hostile key is text
await step('an object named <img src=x onerror=alert(1)> is shown as text', async () => {
  const put = await s3('PUT', BUCKET, XSS_KEY, { body: 'x' });
  check('(setup) PutObject with the hostile key', put.status === 200, put.status);
  await goto(`#/buckets/${encodeURIComponent(BUCKET)}`);
  await waitRows();
  await page.waitForSelector('#object-table tbody tr[data-key]');
  const texts = await page.$$eval('#object-table tbody td.name', (tds) => tds.map((t) => t.textContent));
  check('the key is shown as text', texts.includes(XSS_KEY), texts);
  check('no <img src=x> element exists', (await page.$$('img[src="x"]')).length === 0);
  await goto(`#/object/${encodeURIComponent(BUCKET)}?key=${encodeURIComponent(XSS_KEY)}`);
  await page.waitForSelector('#object-summary dl');
  check('the details page shows it as text (h1)', (await page.textContent('h1')) === XSS_KEY, await page.textContent('h1'));
  check('still no <img src=x> element', (await page.$$('img[src="x"]')).length === 0);
  await page.waitForTimeout(300);
  check('no dialog/alert fired', dialogs === 0, dialogs);
});

// ---------------------------------------------------------------- create folder, drop files, restore a version
await step('create a folder, drop a file into it, restore an older version', async () => {
  await goto(`#/buckets/${encodeURIComponent(BUCKET)}`);
  await waitRows();
  await page.click('#create-folder');
  await page.getByLabel('Folder name').fill('dropped here');
  await page.click('dialog form button[type=submit]');
  await page.waitForSelector('tr[data-key="dropped here/"]');
  let r = await s3('HEAD', BUCKET, 'dropped here/');
  check('the folder marker object exists (empty key ending in /)', r.status === 200 && r.headers.get('content-length') === '0', r.status);
  await page.click('tr[data-key="dropped here/"] a');
  await waitRows();
  // A drop carrying one file (a DataTransfer made in the page, as a drag from the desktop).
  const dropOnce = (text) => page.evaluate((t) => {
    const dt = new DataTransfer();
    dt.items.add(new File([t], 'dropped.txt', { type: 'text/plain' }));
    const zone = document.getElementById('dropzone');
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, text);
  const done = (n) => page.waitForFunction((count) => [...document.querySelectorAll('.upload-row[data-key="dropped here/dropped.txt"]')].filter((r) => /Done/.test(r.textContent)).length >= count, n);
  await dropOnce('first version\n');
  await done(1);
  await dropOnce('second version\n');
  await done(2);
  r = await s3('GET', BUCKET, 'dropped here/dropped.txt');
  check('the dropped file is stored in the folder (second version current)', r.status === 200 && (await r.text()) === 'second version\n', r.status);
  await page.click('#upload-panel-close');
  await goto(`#/buckets/${encodeURIComponent(BUCKET)}/versions?prefix=${encodeURIComponent('dropped here/dropped.txt')}`);
  await page.waitForSelector('tr[data-key="dropped here/dropped.txt"] button[data-action=restore]');
  await page.click('tr[data-key="dropped here/dropped.txt"] button[data-action=restore]');
  await page.waitForFunction(() => document.querySelectorAll('tr[data-key="dropped here/dropped.txt"]').length === 3 && !document.querySelector('.skeleton-row'));
  r = await s3('GET', BUCKET, 'dropped here/dropped.txt');
  check('Restore made the first version current again (a third version)', (await r.text()) === 'first version\n');
});

// ---------------------------------------------------------------- download, move/rename, image preview
await step('download, move/rename and an image preview', async () => {
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAFklEQVR4nGP8z8DwnwEJMDEgAWQOABWcAgKSo0pTAAAAAElFTkSuQmCC', 'base64');
  let r = await s3('PUT', BUCKET, 'pics/dot ✓.png', { body: png, headers: { 'content-type': 'image/png' } });
  check('(setup) PutObject pics/dot ✓.png', r.status === 200, r.status);
  await goto(`#/buckets/${encodeURIComponent(BUCKET)}?prefix=pics%2F`);
  await waitRows();
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('tr[data-key="pics/dot ✓.png"] button:has-text("Download")')]);
  const file = await download.path();
  check('the download has the object\'s name (Content-Disposition filename*)', download.suggestedFilename() === 'dot ✓.png', download.suggestedFilename());
  check('the download has the object\'s bytes', file && fs.readFileSync(file).equals(png));
  await goto(`#/object/${encodeURIComponent(BUCKET)}?key=${encodeURIComponent('pics/dot ✓.png')}`);
  await page.waitForSelector('#object-preview img');
  const src = await page.getAttribute('#object-preview img', 'src');
  check('the image preview is a blob: URL', src.startsWith('blob:'), src);
  await page.waitForFunction(() => document.querySelector('#object-preview img').naturalWidth === 2);
  check('the image loaded (2 px wide)', true);
  await page.click('button:has-text("Move / rename")');
  const dest = page.getByLabel('Destination key (full name)');
  await dest.fill('pics/renamed (1).png');
  await page.click('dialog form button[type=submit]');
  await page.waitForFunction(() => /#\/buckets\//.test(location.hash));
  r = await s3('HEAD', BUCKET, 'pics/renamed (1).png');
  check('renamed: the new key exists', r.status === 200 && Number(r.headers.get('content-length')) === png.length, r.status);
  r = await s3('HEAD', BUCKET, 'pics/dot ✓.png');
  check('renamed: the old key is gone', r.status === 404, r.status);
  await waitRows();
  check('the listing shows the new name', (await rowKeys()).includes('pics/renamed (1).png'), await rowKeys());
});

// ---------------------------------------------------------------- object lock + default encryption
const LOCK_BUCKET = BUCKET + '-lock';
await step('a bucket with object lock and SSE-S3; a retained version cannot be deleted', async () => {
  await goto('#/buckets');
  await page.click('#create-bucket');
  await page.getByLabel('Bucket name').fill(LOCK_BUCKET);
  await page.check('#cb-lock');
  check('object lock turns versioning on (and locks the checkbox)', await page.isChecked('#cb-versioning') && await page.isDisabled('#cb-versioning'));
  await page.selectOption('#cb-encryption', 'AES256');
  await page.click('#create-bucket-form button[type=submit]');
  await page.waitForSelector(`tr[data-bucket="${LOCK_BUCKET}"]`);
  const lock = await (await s3('GET', LOCK_BUCKET, '', { query: { 'object-lock': '' } })).text();
  check('GetObjectLockConfiguration: Enabled', lock.includes('<ObjectLockEnabled>Enabled</ObjectLockEnabled>'), lock);
  const enc = await (await s3('GET', LOCK_BUCKET, '', { query: { encryption: '' } })).text();
  check('GetBucketEncryption: AES256', enc.includes('<SSEAlgorithm>AES256</SSEAlgorithm>'), enc);
  const until = new Date(Date.now() + 86400_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const put = await s3('PUT', LOCK_BUCKET, 'kept.txt', { body: 'kept', headers: { 'x-amz-object-lock-mode': 'GOVERNANCE', 'x-amz-object-lock-retain-until-date': until, 'x-amz-checksum-sha256': crypto.createHash('sha256').update('kept').digest('base64') } });
  check('(setup) PutObject with GOVERNANCE retention', put.status === 200, `${put.status} ${(await put.text()).slice(0, 200)}`);
  await goto(`#/buckets/${encodeURIComponent(LOCK_BUCKET)}/versions`);
  await page.waitForSelector('tr[data-key="kept.txt"]');
  await page.click('tr[data-key="kept.txt"] button:has-text("Lock state")');
  await page.waitForFunction(() => /Retention: GOVERNANCE/.test(document.querySelector('tr[data-key="kept.txt"] .lock-info').textContent));
  check('the lock state shows the GOVERNANCE retention and legal hold', /Legal hold: OFF/.test(await page.textContent('tr[data-key="kept.txt"] .lock-info')), await page.textContent('tr[data-key="kept.txt"] .lock-info'));
  await page.click('tr[data-key="kept.txt"] button[data-action=delete-version]');
  await page.click('dialog form button[type=submit]');
  await page.waitForSelector('.toast-error');
  const msg = await page.textContent('#toasts');
  check('deleting the retained version is refused with a clear message', /protected by object lock/.test(msg) && /AccessDenied/.test(msg), msg);
  const still = await s3('HEAD', LOCK_BUCKET, 'kept.txt');
  check('the version is still there', still.status === 200, still.status);
});

// ---------------------------------------------------------------- delete a bucket, emptying it first
await step('delete a bucket with versions in it ("empty it first", typed confirmation)', async () => {
  const b = BUCKET + '-gone';
  await s3('PUT', b, '');
  const vbody = '<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>';
  await s3('PUT', b, '', { query: { versioning: '' }, body: vbody, headers: { 'x-amz-checksum-sha256': crypto.createHash('sha256').update(vbody).digest('base64') } });
  for (let i = 0; i < 3; i++) { await s3('PUT', b, 'a.txt', { body: 'v' + i }); await s3('PUT', b, `k${i}`, { body: 'x' }); }
  await s3('DELETE', b, 'k0');
  await goto('#/buckets');
  await page.waitForSelector(`tr[data-bucket="${b}"]`);
  await page.click(`tr[data-bucket="${b}"] button:has-text("Delete")`);
  const ok = page.locator('dialog form button[type=submit]');
  check('the delete button waits for the typed name', await ok.isDisabled());
  await page.locator('dialog input[type=text]').fill(b.slice(0, -1));
  check('… a wrong name keeps it disabled', await ok.isDisabled());
  await page.locator('dialog input[type=text]').fill(b);
  await page.check('#db-empty');
  await ok.click();
  await page.waitForFunction((n) => !document.querySelector(`tr[data-bucket="${n}"]`) && !document.querySelector('.skeleton-row') && document.querySelector('tr[data-bucket]'), b, { timeout: 30_000 });
  const head = await s3('HEAD', b, '');
  check('the bucket is gone (HeadBucket 404)', head.status === 404, head.status);
});

// ---------------------------------------------------------------- a session ended elsewhere
await step('a session signed out elsewhere sends the page to sign-in', async () => {
  const cookie = (await context.cookies(ADMIN_URL)).find((c) => c.name === 'coffer_console');
  const info = await (await fetch(ADMIN_URL + '/console/session', { headers: { 'X-Coffer-Console': '1', cookie: `coffer_console=${cookie.value}` } })).json();
  const del = await fetch(ADMIN_URL + '/console/session', { method: 'DELETE', headers: { 'X-Coffer-Console': '1', 'X-CSRF-Token': info.csrfToken, cookie: `coffer_console=${cookie.value}` } });
  check('(setup) DELETE /console/session from elsewhere', del.status === 200, del.status);
  await goto(`#/buckets/${encodeURIComponent(BUCKET)}`);
  await page.waitForSelector('#signin-key');
  const msg = await page.textContent('.signin-status');
  check('the sign-in page says the session ended', /session|signed in/i.test(msg), msg);
  await page.fill('#signin-key input[name=accessKeyId]', ROOT.accessKeyId);
  await page.fill('#signin-key input[name=secretAccessKey]', ROOT.secretAccessKey);
  await page.click('#signin-key button[type=submit]');
  await page.waitForSelector('#object-table');
  check('signing in again lands on the page that was asked for', (await page.evaluate(() => location.hash)).startsWith(`#/buckets/${BUCKET}`), await page.evaluate(() => location.hash));
});

// ---------------------------------------------------------------- sign out
await step('sign out: cookie gone, old session and credentials refused', async () => {
  const cookie = (await context.cookies(ADMIN_URL)).find((c) => c.name === 'coffer_console');
  const info = await (await fetch(ADMIN_URL + '/console/session', { headers: { 'X-Coffer-Console': '1', cookie: `coffer_console=${cookie.value}` } })).json();
  const creds = info.credentials;
  const before = await s3('GET', '', '', { creds });
  check('(before) the session credentials work on S3', before.status === 200, before.status);
  await page.click('#sign-out');
  await page.waitForSelector('#signin-key');
  const after = (await context.cookies(ADMIN_URL)).find((c) => c.name === 'coffer_console');
  check('the session cookie is gone', !after || !after.value, after);
  const r = await fetch(ADMIN_URL + '/console/session', { headers: { 'X-Coffer-Console': '1', cookie: `coffer_console=${cookie.value}` } });
  check('the old cookie: GET /console/session → 401', r.status === 401, r.status);
  const s = await s3('GET', '', '', { creds });
  check('the old session credentials are refused on S3', s.status === 403 || s.status === 400, `${s.status} ${(await s.text()).slice(0, 200)}`);
  const status = await page.evaluate(async () => (await fetch('/console/session', { headers: { 'X-Coffer-Console': '1' } })).status);
  check('the page itself is signed out (401)', status === 401, status);
});

// ---------------------------------------------------------------- IAM user with a password
await step('sign in as an IAM user with a password', async () => {
  if (!ALICE_USER) { console.log('  (ALICE_USER not set: skipped)'); return; }
  await page.goto(ADMIN_URL + '/#/buckets');
  await page.waitForSelector('#tab-user');
  await page.click('#tab-user');
  await page.fill('#signin-user input[name=userName]', ALICE_USER);
  await page.fill('#signin-user input[name=password]', ALICE_PASSWORD);
  await page.click('#signin-user button[type=submit]');
  await Promise.race([page.waitForSelector('#identity-name'), page.waitForSelector('.signin-status .error-box')]);
  if (await page.isVisible('.new-password')) {
    const np = ALICE_PASSWORD + '-new';
    await page.fill('#signin-user input[name=newPassword]', np);
    await page.fill('#signin-user input[name=newPassword2]', np);
    await page.click('#signin-user button[type=submit]');
    await page.waitForSelector('#identity-name');
  }
  const who = await page.textContent('#identity-name').catch(() => '');
  check(`the identity ${ALICE_USER} is shown`, who.includes(ALICE_USER), who || await page.textContent('.signin-status'));
  check('no Monitoring/Audit links for a non-admin', (await page.$$('nav a[href="#/monitoring"], nav a[href="#/audit"]')).length === 0);
  await page.waitForFunction(() => !document.querySelector('.skeleton-row'));
  await shot('alice-buckets');
  await page.click('#sign-out');
  await page.waitForSelector('#signin-key');
});

// ---------------------------------------------------------------- a password that must be changed
await step('sign in as an IAM user who must choose a new password', async () => {
  if (!BOB_USER) { console.log('  (BOB_USER not set: skipped)'); return; }
  await page.goto(ADMIN_URL + '/#/buckets');
  await page.waitForSelector('#tab-user');
  await page.click('#tab-user');
  await page.fill('#signin-user input[name=userName]', BOB_USER);
  await page.fill('#signin-user input[name=password]', BOB_PASSWORD);
  await page.click('#signin-user button[type=submit]');
  await page.waitForSelector('.new-password:not([hidden])');
  check('the page asks for a new password (PasswordResetRequired)', await page.isVisible('#signin-user input[name=newPassword]'));
  await page.fill('#signin-user input[name=newPassword]', 'short');
  await page.fill('#signin-user input[name=newPassword2]', 'short');
  await page.$eval('#signin-user', (f) => { for (const i of f.querySelectorAll('input')) i.removeAttribute('minlength'); });
  await page.click('#signin-user button[type=submit]');
  await page.waitForSelector('.signin-status .error-box');
  const msg = await page.textContent('.signin-status');
  check('a too-short new password is refused with the rule', /8/.test(msg) && /PasswordPolicyViolation/.test(msg), msg);
  await shot('signin-new-password');
  const np = 'Bob-new-password-1';
  await page.fill('#signin-user input[name=newPassword]', np);
  await page.fill('#signin-user input[name=newPassword2]', np);
  await page.click('#signin-user button[type=submit]');
  await page.waitForSelector('#identity-name');
  check(`signed in as ${BOB_USER} with the new password`, (await page.textContent('#identity-name')).includes(BOB_USER), await page.textContent('#identity-name'));
  await page.click('#sign-out');
  await page.waitForSelector('#signin-key');
  const r = await fetch(ADMIN_URL + '/console/session', { method: 'POST', headers: { 'X-Coffer-Console': '1', 'content-type': 'application/json' }, body: JSON.stringify({ userName: BOB_USER, password: np }) });
  check('the new password works (POST /console/session 200)', r.status === 200, r.status);
});

// ---------------------------------------------------------------- repeated failures
// Last: it slows down this client; the root sign-in at the end clears that again.
await step('repeated failed sign-ins are slowed down (TooManyAttempts)', async () => {
  await page.goto(ADMIN_URL + '/#/buckets');
  await page.waitForSelector('#tab-user');
  await page.click('#tab-user');
  let text = '';
  for (let i = 0; i < 10 && !/Too many/.test(text); i++) {
    await page.fill('#signin-user input[name=userName]', 'nobody-here');
    await page.fill('#signin-user input[name=password]', 'wrong-' + i);
    await page.waitForFunction(() => !document.querySelector('#signin-user button[type=submit]').disabled);
    await page.click('#signin-user button[type=submit]');
    await page.waitForSelector('.signin-status .error-box');
    text = await page.textContent('.signin-status');
  }
  check('the page says to wait N seconds', /Too many failed attempts\. Try again in \d+ seconds?/.test(text), text);
  check('the sign-in button waits', await page.isDisabled('#signin-user button[type=submit]'));
  const wait = Number((text.match(/in (\d+) second/) || [])[1] || 2);
  await page.waitForTimeout((wait + 1) * 1000);
  check('the button is enabled again after the wait', !(await page.isDisabled('#signin-user button[type=submit]')));
  await page.click('#tab-key');
  await page.fill('#signin-key input[name=accessKeyId]', ROOT.accessKeyId);
  await page.fill('#signin-key input[name=secretAccessKey]', ROOT.secretAccessKey);
  await page.click('#signin-key button[type=submit]');
  await page.waitForSelector('#identity-name');
  check('then the root key signs in (and clears the slow-down)', true);
  await page.click('#sign-out');
  await page.waitForSelector('#signin-key');
});

await context.close();
await browser.close();
clearTimeout(watchdog);

for (const e of expectedNetworkErrors) console.log(`  (expected network error: ${e})`);
check('no page errors or console errors', pageProblems.length === 0, pageProblems);
console.log(`screenshots: ${fs.readdirSync(ARTIFACTS).filter((f) => f.endsWith('.png')).join(' ')}`);
if (failures.length) {
  console.log(`console.mjs: ${failures.length} FAILED: ${failures.join('; ')}`);
  process.exit(1);
}
console.log('console.mjs: OK');

// The browser half of tests/interop/browser.sh: Debian's headless Chromium
// (/usr/bin/chromium, never a downloaded browser) driven by playwright-core against
// coffer. browser.sh prepares the buckets, the CORS and website configurations and the
// presigned requests, and passes them in the environment:
//   ORIGIN        the allowed origin (static server at http://127.0.0.1:PORT)
//   ALT_ORIGIN    the same server as http://localhost:PORT, an origin CORS does not allow
//   WEBSITE_BASE  http://site.website.localhost:PORT (coffer's S3 listener)
//   PRESIGNED     JSON from presign.py: post {url, fields}, formPost, getUrl
//   UPLOAD_FILE   the file to upload (named hello.txt)
//   ARTIFACTS     where the screenshots go
//   PROFILE_PARENT where the fresh --user-data-dir is made
// Prints one line per check; exits 1 if any failed.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
  const v = process.env[name];
  if (!v) { console.error(`web.mjs: ${name} is not set`); process.exit(2); }
  return v;
};
const ORIGIN = env('ORIGIN');
const ALT_ORIGIN = env('ALT_ORIGIN');
const WEBSITE_BASE = env('WEBSITE_BASE');
const presigned = JSON.parse(fs.readFileSync(env('PRESIGNED'), 'utf8'));
const UPLOAD_FILE = env('UPLOAD_FILE');
const CONTENT = fs.readFileSync(UPLOAD_FILE, 'utf8');
const ARTIFACTS = env('ARTIFACTS');
const PROFILE_PARENT = env('PROFILE_PARENT');
const FILE_NAME = path.basename(UPLOAD_FILE);

const failures = [];
function check(label, ok, detail) {
  if (ok) {
    console.log(`  ok: ${label}`);
  } else {
    console.log(`  FAIL: ${label}${detail === undefined ? '' : `: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`}`);
    failures.push(label);
  }
  return ok;
}
// step NAME FN: a numbered group of checks; an exception is one failure, and the
// remaining steps still run.
async function step(name, fn) {
  console.log(`- ${name}`);
  try {
    await fn();
  } catch (e) {
    check(`${name} (threw)`, false, String((e && e.stack) || e).replace(/\x1b\[[0-9;]*m/g, '').split('\n').slice(0, 4).join(' | '));
  }
}

// A hard limit for the whole run: a hung browser must not hang CI.
const watchdog = setTimeout(() => { console.error('web.mjs: timed out after 150 s'); process.exit(3); }, 150_000);

fs.mkdirSync(ARTIFACTS, { recursive: true });
const profile = fs.mkdtempSync(path.join(PROFILE_PARENT, 'chromium-profile-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
context.setDefaultTimeout(15_000);
context.setDefaultNavigationTimeout(15_000);
console.log(`chromium ${context.browser()?.version() ?? '(version unknown)'} (profile ${profile})`);

// Errors the pages log or throw are printed at the end when a check failed, to explain it
// (they are no failure themselves: the website's 404 page, for one, logs its status).
const pageErrors = [];
function watch(page, tag) {
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`${tag} console: ${m.text()}`); });
  page.on('pageerror', (e) => pageErrors.push(`${tag} pageerror: ${e}`));
}

try {
  const page = context.pages()[0] ?? (await context.newPage());
  watch(page, 'origin');

  await step(`POST Object with fetch from ${ORIGIN} (FormData, file last)`, async () => {
    const r = await page.goto(`${ORIGIN}/index.html`);
    check('the origin page loads', r && r.status() === 200, r && r.status());
    await page.setInputFiles('input[name=file]', UPLOAD_FILE);
    const res = await page.evaluate(([url, fields]) => window.uploadWithFetch(url, fields), [presigned.post.url, presigned.post.fields]);
    if (!check('fetch POST resolved (CORS allowed the response)', !res.error, res.error)) return;
    check('status 201 (success_action_status)', res.status === 201, { status: res.status, body: res.body });
    check('PostResponse has <Key>incoming/hello.txt</Key>', res.body.includes(`<Key>incoming/${FILE_NAME}</Key>`), res.body);
    check('PostResponse has <Bucket>uploads</Bucket>', res.body.includes('<Bucket>uploads</Bucket>'), res.body);
    const etag = /<ETag>([^<]+)<\/ETag>/.exec(res.body);
    check('PostResponse has a non-empty <ETag>', etag && etag[1].replace(/&quot;|"/g, '').length > 0, res.body);
    check('PostResponse has a <Location>', /<Location>[^<]+<\/Location>/.test(res.body), res.body);
    console.log(`    (ETag response header as exposed to the page: ${res.etag})`);
  });

  await step('POST Object with a plain HTML form (success_action_redirect)', async () => {
    const r = await page.goto(`${ORIGIN}/form.html`);
    check('the form page loads', r && r.status() === 200, r && r.status());
    await page.setInputFiles('#upload input[name=file]', UPLOAD_FILE);
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/done.html', { waitUntil: 'load' }),
      page.click('#send'),
    ]);
    const landed = new URL(page.url());
    check(`redirected to ${ORIGIN}/done.html`, landed.origin === ORIGIN && landed.pathname === '/done.html', page.url());
    const q = landed.searchParams;
    check('bucket=uploads in the redirect', q.get('bucket') === 'uploads', page.url());
    check(`key=incoming/form-${FILE_NAME} in the redirect`, q.get('key') === `incoming/form-${FILE_NAME}`, page.url());
    check('a non-empty etag in the redirect', (q.get('etag') ?? '').replace(/"/g, '').length > 0, page.url());
    await page.screenshot({ path: path.join(ARTIFACTS, 'form-done.png') });
  });

  await step(`presigned GET with fetch from ${ORIGIN}`, async () => {
    await page.goto(`${ORIGIN}/index.html`);
    const res = await page.evaluate((url) => window.getWithFetch(url), presigned.getUrl);
    if (!check('fetch GET resolved (CORS allowed the response)', !res.error, res.error)) return;
    check('status 200', res.status === 200, { status: res.status, body: res.body });
    check('body is the uploaded file', res.body === CONTENT, res.body);
    check('ETag header exposed (ExposeHeaders)', res.etag !== null, res);
    check('x-amz-meta-note exposed and is from-browser', res.note === 'from-browser', res);
  });

  await step(`preflighted GET (custom header X-Custom-Thing) from ${ORIGIN}`, async () => {
    const res = await page.evaluate((url) => window.getWithFetch(url, { 'X-Custom-Thing': '1' }), presigned.getUrl);
    if (!check('fetch with a custom header resolved (preflight allowed it)', !res.error, res.error)) return;
    check('status 200', res.status === 200, { status: res.status, body: res.body });
    check('body is the uploaded file', res.body === CONTENT, res.body);
  });

  await step(`presigned GET with fetch from ${ALT_ORIGIN} (an origin the rules do not allow)`, async () => {
    // Not watched: the blocked read logs a CORS error to its console, as it should.
    const alt = await context.newPage();
    try {
      const r = await alt.goto(`${ALT_ORIGIN}/index.html`);
      check('the page loads from the other origin', r && r.status() === 200, r && r.status());
      const res = await alt.evaluate((url) => window.getWithFetch(url), presigned.getUrl);
      check('fetch rejects with a TypeError (no Access-Control-Allow-Origin)', typeof res.error === 'string' && res.error.startsWith('TypeError'), res);
    } finally {
      await alt.close();
    }
  });

  await step(`static website at ${WEBSITE_BASE}`, async () => {
    const site = await context.newPage();
    watch(site, 'website');
    try {
      const visit = async (pathName, shot) => {
        const r = await site.goto(`${WEBSITE_BASE}${pathName}`);
        const text = await site.textContent('body');
        await site.screenshot({ path: path.join(ARTIFACTS, `website-${shot}.png`), fullPage: true });
        return { r, text: text ?? '' };
      };
      let v = await visit('/', 'index');
      check('/ is 200 with the index document ("Home")', v.r.status() === 200 && v.text.includes('Home'), { status: v.r.status(), text: v.text });
      v = await visit('/dir/', 'dir');
      check('/dir/ is 200 with dir/index.html ("Nested")', v.r.status() === 200 && v.text.includes('Nested'), { status: v.r.status(), text: v.text });
      v = await visit('/missing.html', '404');
      check('/missing.html is 404 with the error document ("Custom not found")', v.r.status() === 404 && v.text.includes('Custom not found'), { status: v.r.status(), text: v.text });
      v = await visit('/old/page.html', 'redirect');
      check('/old/page.html ends at /new/page.html', site.url() === `${WEBSITE_BASE}/new/page.html`, site.url());
      check('/new/page.html is 200 showing "New page"', v.r.status() === 200 && v.text.includes('New page'), { status: v.r.status(), text: v.text });
      const first = v.r.request().redirectedFrom();
      const firstResponse = first && (await first.response());
      check('the redirect was a 301 from the routing rule', firstResponse && firstResponse.status() === 301, firstResponse ? firstResponse.status() : 'no redirect');
    } finally {
      await site.close();
    }
  });
} finally {
  await context.close().catch(() => {});
  fs.rmSync(profile, { recursive: true, force: true });
  clearTimeout(watchdog);
}

if (failures.length) {
  if (pageErrors.length) console.log(`page errors:\n  ${pageErrors.join('\n  ')}`);
  console.log(`browser checks: ${failures.length} failed: ${failures.join('; ')}`);
  process.exitCode = 1;
} else {
  console.log('browser checks: all passed');
}

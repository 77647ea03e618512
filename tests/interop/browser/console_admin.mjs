// The console's settings, identity, KMS, monitoring and audit pages in a real browser:
// Debian's headless Chromium (/usr/bin/chromium, never a downloaded browser) driven by
// playwright-core against a running coffer. Run by tests/interop/console.sh (or by hand,
// with a server started yourself). Environment:
//   ADMIN_URL       the console (admin listener), e.g. http://127.0.0.1:9001
//   S3_URL          the S3 listener, e.g. http://127.0.0.1:9000 (signed checks from node)
//   ARTIFACTS       where the screenshots go
//   PROFILE_PARENT  optional: where the fresh --user-data-dir is made (default: the OS temp dir)
// Signs in through the UI with the root key coffer / coffer-secret-key. Prints one line per
// check; exits 1 if any failed (an uncaught page error is a failure).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { check, failures } from './checks.mjs';
import { chromium } from 'playwright-core';

const env = (name, dflt) => {
  const v = process.env[name] || dflt;
  if (!v) { console.error(`console_admin.mjs: ${name} is not set`); process.exit(2); }
  return v;
};
const ADMIN_URL = env('ADMIN_URL').replace(/\/+$/, '');
const S3_URL = env('S3_URL').replace(/\/+$/, '');
const ARTIFACTS = env('ARTIFACTS');
const PROFILE_PARENT = process.env.PROFILE_PARENT || os.tmpdir();
const ROOT_KEY = process.env.ROOT_ACCESS_KEY || 'coffer';
const ROOT_SECRET = process.env.ROOT_SECRET_KEY || 'coffer-secret-key';
const REGION = 'us-east-1';
const BUCKET = `adm-${Date.now().toString(36)}`;
const READER = 'reader';
const READER_PASSWORD = 'reader-Pass-2026';
const KEY_DESC = `console test key ${BUCKET}`;

let stepNo = 0;
async function step(name, fn) {
  stepNo += 1;
  console.log(`- ${name}`);
  try { await fn(); } catch (e) {
    check(`${name} (threw)`, false, String((e && e.stack) || e).replace(/\x1b\[[0-9;]*m/g, '').split('\n').slice(0, 4).join(' | '));
    // What the page showed when it went wrong (page is defined by the time steps run).
    try { await page.screenshot({ path: path.join(ARTIFACTS, `failed-step-${stepNo}.png`), fullPage: true }); } catch { /* no page */ }
  }
}

// ---------------------------------------------------------------- SigV4 from node (root key)
const sha256hex = (d) => crypto.createHash('sha256').update(d).digest('hex');
const hmac = (k, d) => crypto.createHmac('sha256', k).update(d).digest();
const rfc3986 = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
async function signed(method, pathAndQuery, { body = '', headers = {}, service = 's3', base = S3_URL } = {}) {
  const url = new URL(base + pathAndQuery);
  const now = new Date();
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const hashed = sha256hex(body);
  const h = { ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)])), host: url.host, 'x-amz-date': amzDate, 'x-amz-content-sha256': hashed };
  const names = Object.keys(h).sort();
  const query = [...url.searchParams.entries()].map(([k, v]) => [rfc3986(k), rfc3986(v)]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join('&');
  const canonical = [method, url.pathname, query, names.map((n) => `${n}:${h[n].trim()}\n`).join(''), names.join(';'), hashed].join('\n');
  const scope = `${day}/${REGION}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256hex(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${ROOT_SECRET}`, day), REGION), service), 'aws4_request');
  const sig = crypto.createHmac('sha256', key).update(toSign).digest('hex');
  h.authorization = `AWS4-HMAC-SHA256 Credential=${ROOT_KEY}/${scope}, SignedHeaders=${names.join(';')}, Signature=${sig}`;
  delete h.host;
  const r = await fetch(url, { method, headers: h, body: body === '' ? undefined : body });
  return { status: r.status, text: await r.text() };
}

// ---------------------------------------------------------------- browser
const watchdog = setTimeout(() => { console.error('console_admin.mjs: timed out after 280 s'); process.exit(3); }, 280_000);
fs.mkdirSync(ARTIFACTS, { recursive: true });
const profile = fs.mkdtempSync(path.join(PROFILE_PARENT, 'chromium-console-admin-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
context.setDefaultTimeout(15_000);
context.setDefaultNavigationTimeout(15_000);
console.log(`chromium ${context.browser()?.version() ?? ''}; console ${ADMIN_URL}, S3 ${S3_URL}, bucket ${BUCKET}`);

const pageErrors = [];
const consoleErrors = [];
const page = context.pages()[0] ?? (await context.newPage());
page.on('pageerror', (e) => pageErrors.push(String(e && e.stack || e)));
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
const requests = [];
page.on('request', (r) => requests.push({ method: r.method(), url: r.url(), at: Date.now() }));

// Screenshots without the transient toasts of earlier steps covering the page.
const shot = async (name) => {
  await page.evaluate(() => document.querySelectorAll('.toast').forEach((t) => t.remove()));
  await page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });
};
const go = async (hash) => {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForFunction((h) => location.hash === h, hash);
};
const main = () => page.locator('main');

async function signInWithKey() {
  await page.goto(`${ADMIN_URL}/#/buckets`);
  await page.locator('#signin-key input[name=accessKeyId], #sign-out').first().waitFor();
  if (await page.locator('#sign-out').isVisible()) await signOut(); // a session left from before
  await page.locator('#signin-key input[name=accessKeyId]').waitFor();
  await page.fill('#signin-key input[name=accessKeyId]', ROOT_KEY);
  await page.fill('#signin-key input[name=secretAccessKey]', ROOT_SECRET);
  await page.click('#signin-key button[type=submit]');
  await page.locator('#sign-out').waitFor();
}
async function signOut() {
  await page.click('#sign-out');
  await page.locator('#signin-key, #signin-user').first().waitFor({ state: 'attached' });
}

try {
  await step('sign in with the root key', async () => {
    await signInWithKey();
    check('signed in (sign-out button shown)', await page.locator('#sign-out').isVisible());
    const r = await signed('PUT', `/${BUCKET}`);
    check(`bucket ${BUCKET} created (signed PUT from node)`, r.status === 200, r);
  });

  await step('lifecycle rule: edit, save, reload, see it', async () => {
    await go(`#/buckets/${BUCKET}/settings/lifecycle`);
    await main().getByRole('button', { name: 'Add rule' }).waitFor();
    check('not configured shown before any rule', await main().locator('[data-state=none]').count() > 0);
    await main().getByRole('button', { name: 'Add rule' }).click();
    const rule = main().locator('fieldset.adm-rule').first();
    await rule.locator('[data-field=id]').fill('expire-logs');
    await rule.locator('[data-field=prefix]').fill('logs/');
    await rule.getByLabel('Expire current versions').selectOption('days');
    await rule.locator('[data-field=expiration-days]').fill('30');
    await main().locator('details.adm-preview-box summary').first().click();
    const pv = await main().locator('pre.adm-preview').first().textContent();
    check('"What S3 receives" shows the rule live', pv.includes('<ID>expire-logs</ID>') && pv.includes('<Days>30</Days>') && pv.includes('<Prefix>logs/</Prefix>'), pv);
    await main().getByRole('button', { name: 'Save rules' }).click();
    await main().locator('.adm-status.adm-ok').waitFor();
    check('saved', (await main().locator('.adm-status.adm-ok').first().textContent()).includes('Saved'));
    await page.reload();
    await page.locator('#sign-out').waitFor();
    const id = main().locator('fieldset.adm-rule [data-field=id]').first();
    await id.waitFor();
    check('after a reload the rule is loaded back', await id.inputValue() === 'expire-logs', await id.inputValue());
    check('expiration days loaded back', await main().locator('[data-field=expiration-days]').first().inputValue() === '30');
    await shot('settings-lifecycle.png');
    const g = await signed('GET', `/${BUCKET}?lifecycle=`);
    check('GetBucketLifecycleConfiguration has the rule', g.status === 200 && g.text.includes('<ID>expire-logs</ID>') && g.text.includes('<Days>30</Days>') && g.text.includes('logs/'), g);
  });

  await step('bucket policy: JSON error inline (nothing sent), MalformedPolicy inline, valid one saved', async () => {
    await go(`#/buckets/${BUCKET}/settings/policy`);
    const ed = main().locator('textarea[data-field=policy]');
    await ed.waitFor();
    check('not configured shown', await main().locator('[data-state=none]').count() > 0);
    const before = requests.filter((r) => r.method === 'PUT' && r.url.includes('policy')).length;
    await ed.fill('{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow",, }\n  ]\n}');
    await main().getByRole('button', { name: 'Save policy' }).click();
    const err = main().locator('.adm-inline-error');
    await err.waitFor();
    const text = await err.textContent();
    check('the JSON parse error is shown inline with line and column', /Invalid JSON/.test(text) && /Line 4, column \d+/.test(text), text);
    await page.waitForTimeout(300);
    check('nothing was sent for invalid JSON', requests.filter((r) => r.method === 'PUT' && r.url.includes('policy')).length === before);
    await shot('settings-policy-error.png');
    await ed.fill(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: 'arn:aws:s3:::some-other-bucket/*' }] }, null, 2));
    await main().getByRole('button', { name: 'Save policy' }).click();
    await main().locator('.adm-inline-error .adm-code', { hasText: 'MalformedPolicy' }).waitFor();
    const t2 = await err.textContent();
    check('the server\'s MalformedPolicy is shown inline next to the editor', t2.includes('MalformedPolicy'), t2);
    await shot('settings-policy-malformed.png');
    await ed.fill(JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'NoUploadsToLocked', Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `arn:aws:s3:::${BUCKET}/locked/*` }] }, null, 2));
    await main().getByRole('button', { name: 'Save policy' }).click();
    await main().locator('.adm-status.adm-ok').waitFor();
    check('a valid policy saves', true);
    const g = await signed('GET', `/${BUCKET}?policy=`);
    check('GetBucketPolicy returns it', g.status === 200 && g.text.includes('NoUploadsToLocked'), g);
    await main().locator('[data-state=ok]').waitFor();
    check('after saving, the page shows the policy is set', true);
  });

  await step('other settings sections load without errors', async () => {
    for (const s of ['versioning', 'notifications', 'cors', 'ownership', 'public-access', 'object-lock', 'encryption', 'logging', 'website', 'tags', 'quota']) {
      await go(`#/buckets/${BUCKET}/settings/${s}`);
      await main().locator('.adm-section-content').waitFor();
      const broken = await main().locator('.adm-section-content > .adm-error').count();
      check(`section ${s} renders${broken ? ' (with an error box)' : ''}`, broken === 0, broken ? await main().locator('.adm-section-content .adm-error').first().textContent() : undefined);
    }
    // versioning on, through the form (a checksum-required PUT)
    await go(`#/buckets/${BUCKET}/settings/versioning`);
    await main().getByRole('button', { name: 'Save' }).click();
    await main().locator('.adm-status.adm-ok').waitFor();
    const v = await signed('GET', `/${BUCKET}?versioning=`);
    check('PutBucketVersioning from the form', v.text.includes('<Status>Enabled</Status>'), v);
  });

  await step(`create user ${READER} with an inline read-only policy, a console password and an access key`, async () => {
    await go('#/identity/users');
    await main().locator('[data-field=new-user]').waitFor();
    if (await main().getByRole('link', { name: READER, exact: true }).count()) {
      // Left from an earlier run against this server: delete it through the console
      // (keys, password, policies and groups are removed first).
      await main().getByRole('button', { name: `Delete user ${READER}` }).click();
      const dlg = page.locator('dialog[open]');
      await dlg.locator('input[type=text]').fill(READER);
      await dlg.getByRole('button', { name: 'Delete user' }).click();
      await main().getByRole('link', { name: READER, exact: true }).waitFor({ state: 'detached' });
      check(`an earlier ${READER} deleted with its dependents`, true);
    }
    await main().locator('[data-field=new-user]').fill(READER);
    await main().getByRole('button', { name: 'Create user' }).click();
    await page.waitForFunction((u) => location.hash === `#/identity/users/${u}`, READER);
    await main().getByRole('button', { name: 'Add inline policy' }).click();
    await main().locator('[data-field=inline-policy-name]').fill('read-only');
    await main().locator('[data-field=inline-policy-document]').fill(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket', 's3:ListAllMyBuckets'], Resource: '*' }] }, null, 2));
    await main().getByRole('button', { name: 'Save inline policy' }).click();
    await main().locator('.adm-list li', { hasText: 'read-only' }).waitFor();
    check('inline policy read-only listed', true);
    await main().locator('[data-field=password]').fill(READER_PASSWORD);
    await main().getByRole('button', { name: 'Create password' }).click();
    await main().getByText('The user can sign in to the console').waitFor();
    check('login profile created', true);
    await main().getByRole('button', { name: 'Create access key' }).click();
    const dlg = page.locator('dialog[open]');
    await dlg.waitFor();
    const secret = await dlg.locator('[data-field=secret-access-key]').textContent();
    const href = await dlg.getByRole('link', { name: 'Download .csv' }).getAttribute('href');
    check('the secret is shown once, with a blob: .csv download', secret.length >= 20 && href.startsWith('blob:'), { secretLength: secret.length, href });
    await dlg.getByRole('button', { name: 'I have saved the secret' }).click();
    await main().locator('table', { hasText: 'Active' }).waitFor();
    await shot('identity-user-detail.png');
    await go('#/identity/users');
    await main().getByRole('link', { name: READER, exact: true }).waitFor();
    await shot('identity-users.png');
  });

  await step('KMS keys page', async () => {
    await go('#/kms');
    await main().getByRole('button', { name: 'Create key' }).waitFor();
    await main().getByLabel('Description').fill(KEY_DESC);
    await main().getByRole('button', { name: 'Create key' }).click();
    await main().locator('article.adm-key', { hasText: KEY_DESC }).waitFor();
    const card = main().locator('article.adm-key', { hasText: KEY_DESC });
    await card.locator('.adm-rotation', { hasText: 'Off' }).waitFor();
    check('a new key is listed, enabled, rotation off', (await card.textContent()).includes('Enabled'));
    await shot('kms.png');
  });

  await step(`sign in as ${READER} with the password`, async () => {
    await signOut();
    await page.locator('#tab-user').click();
    await page.fill('#signin-user input[name=userName]', READER);
    await page.fill('#signin-user input[name=password]', READER_PASSWORD);
    await page.click('#signin-user button[type=submit]');
    await page.locator('#sign-out').waitFor();
    check('signed in as reader', (await page.locator('#identity-name').textContent()).includes(READER));
    await go('#/buckets');
    await main().getByText(BUCKET).first().waitFor();
    check('the bucket list shows the bucket', true);
  });

  await step('reader: upload is refused with a clear message, the page keeps working', async () => {
    await go(`#/buckets/${encodeURIComponent(BUCKET)}`);
    await page.locator('#upload-files').waitFor({ state: 'attached' });
    await page.setInputFiles('#upload-files', { name: 'denied.txt', mimeType: 'text/plain', buffer: Buffer.from('no\n') });
    const panel = page.locator('#upload-panel');
    await panel.getByText(/permission|access denied/i).first().waitFor();
    check('the upload shows "You don\'t have permission"/access denied', true);
    await shot('reader-denied.png');
    // F1's upload panel stays open across pages: close it so later screenshots show the pages.
    if (await page.locator('#upload-panel-close').isVisible()) await page.click('#upload-panel-close');
    await go('#/buckets');
    await main().getByText(BUCKET).first().waitFor();
    check('the console still works after the refusal', true);
  });

  await step('reader: Identity and settings pages show access denied, not a broken page', async () => {
    await go('#/identity/users');
    const err = main().locator('.adm-error');
    await err.first().waitFor();
    const t = await err.first().textContent();
    check('Identity → Users: a clear access-denied message', /You don't have permission/.test(t) && t.includes('AccessDenied'), t);
    await go('#/kms');
    await main().locator('.adm-error').first().waitFor();
    check('KMS page: a clear access-denied message', /permission/i.test(await main().locator('.adm-error').first().textContent()));
    await go(`#/buckets/${BUCKET}/settings/lifecycle`);
    await main().locator('.adm-section-content').waitFor();
    const t3 = await main().locator('.adm-section-content').textContent();
    check('bucket settings: a clear access-denied message', /permission/i.test(t3), t3);
    await shot('reader-identity-denied.png');
  });

  await step('root again: monitoring charts and server info', async () => {
    await signInWithKey();
    await go('#/monitoring');
    await main().locator('figure.chart svg').first().waitFor();
    // A sample every 10 s: wait (the page refreshes itself) until one has data points.
    await page.waitForFunction(() => [...document.querySelectorAll('figure.chart svg[data-points]')].some((s) => Number(s.getAttribute('data-points')) > 0), null, { timeout: 35_000 });
    const n = await page.evaluate(() => Math.max(...[...document.querySelectorAll('figure.chart svg[data-points]')].map((s) => Number(s.getAttribute('data-points')))));
    check('a chart SVG with data points renders', n > 0, n);
    const label = await main().locator('figure.chart svg').first().getAttribute('aria-label');
    check('charts have an aria-label summary', !!label && label.length > 10, label);
    check('charts have a table alternative', await main().locator('figure.chart details table').count() > 0);
    const version = (await main().locator('[data-field=version]').textContent()).trim();
    check('server info shows the version', /\d+\.\d+/.test(version), version);
    await shot('monitoring.png');
  });

  await step('audit trail lists CreateUser and CreateLoginProfile', async () => {
    await go('#/audit');
    await main().locator('table').first().waitFor();
    const leftAt = Date.now();
    const events = await main().locator('[data-event]').evaluateAll((els) => els.map((e) => e.getAttribute('data-event')));
    check('CreateUser listed', events.includes('CreateUser'), events.slice(0, 30));
    check('CreateLoginProfile listed', events.includes('CreateLoginProfile'), events.slice(0, 30));
    await main().locator('[data-field=event]').fill('CreateUser');
    await main().getByRole('button', { name: 'Filter' }).click();
    await page.waitForFunction(() => { const e = [...document.querySelectorAll('main [data-event]')]; return e.length > 0 && e.every((x) => x.getAttribute('data-event') === 'CreateUser'); });
    check('the event-name filter works', true);
    await main().locator('[data-field=event]').fill('');
    await main().getByRole('button', { name: 'Filter' }).click();
    await main().locator('[data-event=CreateLoginProfile]').first().waitFor();
    await shot('audit.png');
    await page.waitForTimeout(Math.max(0, 11_000 - (Date.now() - leftAt)));
    const late = requests.filter((r) => r.url.includes('/v1/metrics/history') && r.at > leftAt + 500).length;
    check('the monitoring refresh stopped after leaving the page', late === 0, late);
  });

  await step('a browser whose clock is two hours fast still signs requests the server accepts', async () => {
    // The console dates its signatures by the server's clock (the session answer's Date
    // header); without that, every request would be refused as RequestTimeTooSkewed.
    await page.clock.setSystemTime(new Date(Date.now() + 2 * 3600e3));
    await page.reload();
    await go('#/buckets');
    const row = main().getByRole('link', { name: BUCKET, exact: true });
    await row.first().waitFor();
    check('the bucket list loads with the clock two hours fast', await row.first().isVisible());
    check('no error is shown', (await main().locator('.error-box, [role=alert]').count()) === 0, await main().textContent());
  });
} finally {
  check('no uncaught page errors', pageErrors.length === 0, pageErrors);
  if (failures.length && consoleErrors.length) console.log(`  (console errors: ${consoleErrors.slice(0, 10).join(' | ')})`);
  clearTimeout(watchdog);
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}

console.log(failures.length ? `console_admin: ${failures.length} check(s) FAILED: ${failures.join('; ')}` : 'console_admin: OK');
process.exit(failures.length ? 1 : 0);

// Bucket settings: #/buckets/NAME/settings[/SECTION]. One section list and one form
// per section; each form loads the current value with the GET operation, shows what it
// will send ("What S3 receives", live) and saves with the PUT (or DELETE) operation.
// Also exports the small helpers identity.js and monitoring.js share (error notes, JSON
// parse errors with line and column, form fields), since the console has a fixed file list.
import { s3, admin, session, xmlEscape, isAdmin as apiIsAdmin } from './api.js';
import { h, clear, toast, confirmDialog, formatBytes } from './dom.js';
import { sha256 } from './sigv4.js';

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

// ---------------------------------------------------------------- shared helpers

let uid = 0;
/** A unique element id. */
export function nextId(prefix = 'f') { uid += 1; return `${prefix}-${uid}`; }

/** The signed-in identity ({admin, type, userName, ...}) or {} (tolerates both shapes of `session`). */
export function identity() {
  const s = (typeof session === 'function' ? session() : session) || {};
  return s.identity || (s.info && s.info.identity) || {};
}
export function isAdmin() { return apiIsAdmin(); }

/** Makes sure admin.css (the styles of these pages) is loaded, even if index.html does not link it. */
export function ensureStyles() {
  if (document.querySelector('link[data-admin-css], link[href$="/admin.css"]')) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = '/console/assets/admin.css';
  link.setAttribute('data-admin-css', '');
  document.head.appendChild(link);
}

const FRIENDLY = {
  AccessDenied: "You don't have permission to do this.",
  AccessDeniedException: "You don't have permission to do this.",
  NoSuchBucket: 'This bucket does not exist (any more).',
  NoSuchEntity: 'It does not exist (any more).',
  MalformedPolicy: 'The policy was refused.',
  MalformedPolicyDocument: 'The policy document was refused.',
  MalformedXML: 'The configuration was refused as malformed.',
  InvalidArgument: 'A value was refused.',
  InvalidRequest: 'The request was refused.',
  DeleteConflict: 'It must be emptied first: remove what is attached to it.',
  EntityAlreadyExists: 'Something with this name exists already.',
  LimitExceeded: 'A limit was reached.',
  InvalidStorageClass: 'That storage class has no storage tier on this server.',
  InvalidBucketState: 'The bucket is not in a state that allows this.',
  NotFoundException: 'It does not exist.',
  ValidationException: 'A value was refused.',
  UnsupportedOperationException: 'coffer does not support this.',
  SignInFailed: 'Sign-in failed.',
  NetworkError: 'The server could not be reached.',
};

/** {code, text}: a user-facing sentence for an error (ApiError or anything thrown). */
export function describe(err, what) {
  const code = (err && (err.code || err.name)) || 'Error';
  const status = err && err.status;
  let text;
  if (code === 'AccessDenied' || code === 'AccessDeniedException' || status === 403) {
    text = `You don't have permission to ${what || 'do this'}.`;
  } else {
    text = (err && err.friendly) || FRIENDLY[code] || 'Something went wrong.';
  }
  const message = err && err.message && err.message !== text ? err.message : '';
  return { code, text, message };
}

/** An inline error block (role=alert): the sentence, the server's message, the code in small print. */
export function errorNote(err, what) {
  const d = describe(err, what);
  return h('div', { class: 'adm-error error-box', role: 'alert', 'data-code': d.code },
    h('strong', {}, d.text),
    d.message ? h('span', { class: 'adm-error-msg' }, ' ', d.message) : null,
    ' ', h('small', { class: 'adm-code code' }, d.code));
}

/** Whether `err` is a 403 / access denied answer. */
export function isDenied(err) {
  return !!err && (err.status === 403 || err.code === 'AccessDenied' || err.code === 'AccessDeniedException');
}

/**
 * JSON.parse with the error position as line and column:
 * {ok:true, value} or {ok:false, message, line, column}.
 */
export function parseJson(text) {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    const msg = String(e && e.message || e);
    let pos = null;
    const m = /position (\d+)/.exec(msg);
    if (m) pos = Number(m[1]);
    let line = null;
    let column = null;
    const lc = /line (\d+) column (\d+)/.exec(msg);
    if (lc) { line = Number(lc[1]); column = Number(lc[2]); }
    if (pos === null && line === null && /end of (JSON )?input/i.test(msg)) pos = text.length;
    if (line === null && pos !== null) {
      const before = text.slice(0, pos).split('\n');
      line = before.length;
      column = before[before.length - 1].length + 1;
    }
    const clean = msg.replace(/^JSON\.parse: /, '').replace(/\s*\(line \d+ column \d+\)/, '').replace(/ at position \d+/, '');
    return { ok: false, message: clean, line, column, position: pos };
  }
}

/** A labelled field: {wrap, input}. kind: text|number|date|select|checkbox|textarea|password. */
export function field(label, kind = 'text', opts = {}) {
  const id = nextId(opts.idPrefix || 'f');
  let input;
  if (kind === 'select') {
    input = h('select', { id, name: opts.name || id },
      ...(opts.options || []).map((o) => {
        const [value, text] = Array.isArray(o) ? o : [o, o];
        return h('option', { value }, text);
      }));
    if (opts.value !== undefined && opts.value !== null) input.value = opts.value;
  } else if (kind === 'textarea') {
    input = h('textarea', { id, name: opts.name || id, rows: String(opts.rows || 8), spellcheck: 'false', class: opts.mono ? 'adm-mono' : null });
    input.value = opts.value || '';
  } else if (kind === 'checkbox') {
    input = h('input', { id, type: 'checkbox', name: opts.name || id });
    input.checked = !!opts.value;
  } else {
    const attrs = { id, type: kind, name: opts.name || id };
    if (kind === 'number') { attrs.min = opts.min === undefined ? '0' : String(opts.min); attrs.step = '1'; attrs.inputmode = 'numeric'; }
    if (opts.placeholder) attrs.placeholder = opts.placeholder;
    if (opts.autocomplete) attrs.autocomplete = opts.autocomplete;
    if (opts.required) attrs.required = true;
    input = h('input', attrs);
    if (opts.value !== undefined && opts.value !== null) input.value = String(opts.value);
  }
  if (opts.on) for (const [ev, fn] of Object.entries(opts.on)) input.addEventListener(ev, fn);
  const helpId = opts.help ? `${id}-help` : null;
  if (helpId) input.setAttribute('aria-describedby', helpId);
  const lab = h('label', { for: id }, label);
  const help = helpId ? h('small', { id: helpId, class: 'adm-help' }, opts.help) : null;
  const wrap = kind === 'checkbox'
    ? h('div', { class: 'adm-field adm-check' }, input, lab, help)
    : h('div', { class: 'adm-field' }, lab, input, help);
  return { wrap, input };
}

/** A JSON editor: textarea + inline error line. {wrap, input, error, check()} */
export function jsonEditor(label, value, opts = {}) {
  const f = field(label, 'textarea', { value, rows: opts.rows || 14, mono: true, help: opts.help });
  const error = h('div', { class: 'adm-error adm-inline-error', role: 'alert', hidden: true });
  f.input.classList.add('adm-json');
  f.wrap.append(error);
  const show = (msg, detail) => {
    clear(error);
    if (!msg) { error.hidden = true; f.input.removeAttribute('aria-invalid'); return; }
    error.hidden = false;
    f.input.setAttribute('aria-invalid', 'true');
    error.append(h('strong', {}, msg));
    if (detail) error.append(' ', detail);
  };
  /** Parses; shows and returns null on a syntax error. */
  const check = () => {
    const text = f.input.value;
    if (!text.trim()) { show('The document is empty.'); return null; }
    const r = parseJson(text);
    if (r.ok) { show(null); return r.value; }
    const where = r.line ? `Line ${r.line}, column ${r.column}: ` : '';
    show(`Invalid JSON. ${where}${r.message}`);
    f.input.dataset.errorLine = r.line || '';
    if (r.position !== null && r.position !== undefined) {
      f.input.focus();
      f.input.setSelectionRange(r.position, Math.min(text.length, r.position + 1));
    }
    return null;
  };
  /** Shows an error from the server next to the editor. */
  const serverError = (err) => {
    const d = describe(err, opts.what);
    clear(error);
    error.hidden = false;
    f.input.setAttribute('aria-invalid', 'true');
    error.append(h('strong', {}, d.text), d.message ? h('span', { class: 'adm-error-msg' }, ' ', d.message) : '', ' ', h('small', { class: 'adm-code' }, d.code));
  };
  f.input.addEventListener('input', () => show(null));
  return { wrap: f.wrap, input: f.input, error, check, serverError, clearError: () => show(null) };
}

/** A pretty-printed JSON string, or the text itself. */
export function pretty(text) {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}

/** A "What S3 receives" disclosure; update(desc) sets its text. */
export function preview(summary = 'What S3 receives') {
  const pre = h('pre', { class: 'adm-preview', tabindex: '0' });
  const el = h('details', { class: 'adm-preview-box' }, h('summary', {}, summary), pre);
  return { el, update: (text) => { pre.textContent = text; } };
}

function buttonClass(c) {
  const cls = c || 'adm-btn secondary';
  if (cls.includes('adm-btn-primary')) return `${cls} primary`;
  if (cls.includes('adm-btn-danger')) return `${cls} danger`;
  return cls.includes('secondary') ? cls : `${cls} secondary`;
}

/** A button; async handlers disable it while running. */
export function button(text, onClick, opts = {}) {
  const b = h('button', { type: 'button', class: buttonClass(opts.class) }, text);
  if (opts.label) b.setAttribute('aria-label', opts.label);
  b.addEventListener('click', async (ev) => {
    if (b.disabled) return;
    b.disabled = true;
    try { await onClick(ev); } catch (e) { toast(describe(e, opts.what).text, { error: true, code: e && e.code }); } finally { b.disabled = false; }
  });
  return b;
}

/** A status line (aria-live) for save results. */
export function statusLine() {
  const el = h('div', { class: 'adm-status', role: 'status', 'aria-live': 'polite' });
  return {
    el,
    ok(text) { clear(el); el.className = 'adm-status adm-ok'; el.append(text); },
    err(e, what) { clear(el); el.className = 'adm-status'; el.append(errorNote(e, what)); },
    clear() { clear(el); el.className = 'adm-status'; },
  };
}

/** A table inside a horizontally scrolling wrapper. */
export function table(headers, rows, opts = {}) {
  const t = h('table', { class: 'adm-table' },
    opts.caption ? h('caption', { class: opts.showCaption ? null : 'sr-only adm-sr-only' }, opts.caption) : null,
    h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c === null || c === undefined ? '' : c))))));
  return h('div', { class: 'adm-table-wrap' }, t);
}

/** Base64 of bytes. */
function base64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 1) s += String.fromCharCode(bytes[i]);
  return btoa(s);
}

/** Headers that give an XML document its checksum (S3 requires one on some PUTs). */
function checksumHeaders(body) {
  return { 'x-amz-checksum-sha256': base64(sha256(new TextEncoder().encode(body))) };
}

// ---------------------------------------------------------------- XML helpers

/** Direct children of `node` named `tag`. */
function kids(node, tag) {
  if (!node) return [];
  return Array.from(node.children || []).filter((c) => c.localName === tag);
}
/** The first direct child named `tag`. */
function kid(node, tag) { return kids(node, tag)[0] || null; }
/** Text of the first direct child named `tag` ('' when absent). */
function kidText(node, tag) { const k = kid(node, tag); return k ? k.textContent : ''; }
/** The document element of an S3 answer. */
function rootOf(res) {
  if (res && res.xml) return res.xml.documentElement;
  if (res && typeof res.body === 'string' && res.body.trim().startsWith('<')) {
    return new DOMParser().parseFromString(res.body, 'application/xml').documentElement;
  }
  return null;
}
/** `<Tag>text</Tag>` (escaped), or '' when value is empty/undefined. */
function el(tag, value) {
  if (value === undefined || value === null || value === '') return '';
  return `<${tag}>${xmlEscape(String(value))}</${tag}>`;
}
/** A small pretty-printer for the XML we generate (one element per line). */
export function prettyXml(xml) {
  const out = [];
  let depth = 0;
  const tokens = xml.replace(/>\s*</g, '><').split(/(?=<)|(?<=>)/);
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i];
    if (!t) { i += 1; continue; }
    if (t.startsWith('</')) {
      depth = Math.max(0, depth - 1);
      out.push('  '.repeat(depth) + t);
      i += 1;
    } else if (t.startsWith('<?') || t.endsWith('/>')) {
      out.push('  '.repeat(depth) + t);
      i += 1;
    } else if (t.startsWith('<')) {
      // <a>text</a> on one line
      if (tokens[i + 1] !== undefined && !tokens[i + 1].startsWith('<') && tokens[i + 2] && tokens[i + 2].startsWith('</')) {
        out.push('  '.repeat(depth) + t + tokens[i + 1] + tokens[i + 2]);
        i += 3;
      } else if (tokens[i + 1] && tokens[i + 1].startsWith('</')) {
        out.push('  '.repeat(depth) + t + tokens[i + 1]);
        i += 2;
      } else {
        out.push('  '.repeat(depth) + t);
        depth += 1;
        i += 1;
      }
    } else {
      out.push('  '.repeat(depth) + t);
      i += 1;
    }
  }
  return out.join('\n');
}

// ---------------------------------------------------------------- S3 calls

function bucketPath(bucket, sub) { return `/${bucket}?${sub}`; }

async function get(bucket, sub, responseType) {
  return s3('GET', bucket, '', { query: { [sub]: '' }, responseType });
}
async function put(bucket, sub, body, opts = {}) {
  const headers = { 'content-type': opts.contentType || 'application/xml', ...(opts.checksum === false ? {} : checksumHeaders(body)), ...(opts.headers || {}) };
  return s3('PUT', bucket, '', { query: { [sub]: '' }, headers, body });
}
async function del(bucket, sub) {
  return s3('DELETE', bucket, '', { query: { [sub]: '' } });
}

const NOT_CONFIGURED = new Set([
  'NoSuchLifecycleConfiguration', 'NoSuchBucketPolicy', 'ServerSideEncryptionConfigurationNotFoundError',
  'NoSuchCORSConfiguration', 'NoSuchWebsiteConfiguration', 'ObjectLockConfigurationNotFoundError', 'NoSuchTagSet',
  'OwnershipControlsNotFoundError', 'NoSuchPublicAccessBlockConfiguration', 'NoSuchConfiguration',
]);

/**
 * Loads a configuration: {state:'ok', res} | {state:'none', code} | {state:'error', err}.
 */
async function load(fn) {
  try {
    return { state: 'ok', res: await fn() };
  } catch (err) {
    if (err && NOT_CONFIGURED.has(err.code)) return { state: 'none', code: err.code };
    return { state: 'error', err };
  }
}

/** The "current value" banner for a section. */
function currentBanner(r, what) {
  if (r.state === 'none') {
    return h('p', { class: 'adm-note adm-not-configured', 'data-state': 'none' }, 'Not configured. ', h('small', { class: 'adm-code' }, r.code));
  }
  if (r.state === 'error') return errorNote(r.err, `view ${what}`);
  return null;
}

// ---------------------------------------------------------------- sections

const SECTIONS = [
  ['versioning', 'Versioning', renderVersioning],
  ['lifecycle', 'Lifecycle rules', renderLifecycle],
  ['notifications', 'Event notifications', renderNotifications],
  ['cors', 'CORS', renderCors],
  ['policy', 'Bucket policy', renderPolicy],
  ['ownership', 'Ownership and ACL', renderOwnership],
  ['public-access', 'Block Public Access', renderPublicAccess],
  ['object-lock', 'Object Lock', renderObjectLock],
  ['encryption', 'Default encryption', renderEncryption],
  ['logging', 'Access logging', renderLogging],
  ['website', 'Website hosting', renderWebsite],
  ['tags', 'Tags', renderTags],
  ['quota', 'Quota', renderQuota, { admin: true }],
];

/** Renders #/buckets/NAME/settings[/SECTION] into `root`. */
export async function renderSettings(root, params = {}) {
  ensureStyles();
  const bucket = params.bucket || params.name;
  const section = params.section;
  clear(root);
  const sections = SECTIONS.filter((s) => !(s[3] && s[3].admin) || isAdmin());
  const current = sections.find((s) => s[0] === section) || sections[0];
  const base = `#/buckets/${encodeURIComponent(bucket)}`;
  const nav = h('nav', { class: 'adm-sections', 'aria-label': 'Settings sections' },
    h('ul', {}, ...sections.map(([id, title]) => {
      const a = h('a', { href: `${base}/settings/${id}` }, title);
      if (id === current[0]) a.setAttribute('aria-current', 'page');
      return h('li', {}, a);
    })));
  const body = h('section', { class: 'adm-section-body', 'aria-labelledby': 'adm-section-title' },
    h('h2', { id: 'adm-section-title' }, current[1]),
    h('div', { class: 'adm-loading', 'aria-busy': 'true' }, 'Loading…'));
  root.append(
    h('div', { class: 'adm-page' },
      h('p', { class: 'adm-crumbs' }, h('a', { href: '#/buckets' }, 'Buckets'), ' / ', h('a', { href: base }, bucket), ' / Settings'),
      h('h1', {}, `Settings of ${bucket}`),
      h('div', { class: 'adm-settings' }, nav, body)));
  const area = h('div', { class: 'adm-section-content' });
  try {
    await current[2](area, bucket);
  } catch (e) {
    clear(area);
    area.append(errorNote(e, `view ${current[1].toLowerCase()}`));
  }
  const loading = body.querySelector('.adm-loading');
  if (loading) loading.remove();
  body.append(area);
}

// A message the next frame() shows in its status line (a save reloads the section).
let flash = null;

/** Builds the common frame: banner, form, preview, buttons, status. */
function frame(area, { banner, intro, form, pv, buttons, status }) {
  clear(area);
  if (flash && status) status.ok(flash);
  flash = null;
  if (intro) area.append(h('p', { class: 'adm-intro' }, intro));
  if (banner) area.append(banner);
  if (form) area.append(form);
  if (pv) area.append(pv.el);
  if (buttons) area.append(h('div', { class: 'adm-buttons' }, ...buttons.filter(Boolean)));
  if (status) area.append(status.el);
}

/** Saves with `fn`, reports on `st`, reloads the section with `reload` on success. */
async function save(st, what, fn, reload) {
  st.clear();
  try {
    await fn();
    st.ok(`Saved ${what}.`);
    toast(`Saved ${what}.`);
    if (reload) { flash = `Saved ${what}.`; await reload(); }
  } catch (e) {
    st.err(e, `change ${what}`);
  }
}

// ---- versioning

async function renderVersioning(area, bucket) {
  const r = await load(() => get(bucket, 'versioning'));
  const root = r.state === 'ok' ? rootOf(r.res) : null;
  const status = root ? kidText(root, 'Status') : '';
  const banner = r.state === 'error' ? errorNote(r.err, 'view versioning')
    : h('p', { class: 'adm-note' }, 'Current: ', h('strong', {}, status || 'Never enabled'));
  const sel = field('Versioning', 'select', { options: [['Enabled', 'Enabled — keep every version'], ['Suspended', 'Suspended — stop making new versions']], value: status || 'Enabled' });
  const pv = preview();
  const doc = () => `<VersioningConfiguration xmlns="${NS}">${el('Status', sel.input.value)}</VersioningConfiguration>`;
  const upd = () => pv.update(`PUT ${bucketPath(bucket, 'versioning')}\n\n${prettyXml(doc())}`);
  sel.input.addEventListener('change', upd); upd();
  const st = statusLine();
  frame(area, {
    intro: 'With versioning, every overwrite and delete keeps the previous version, so it can be recovered.',
    banner, form: h('form', { class: 'adm-form' }, sel.wrap), pv, status: st,
    buttons: [button('Save', () => save(st, 'versioning', () => put(bucket, 'versioning', doc()), () => renderVersioning(area, bucket)))],
  });
}

// ---- lifecycle

const STORAGE_CLASSES = ['STANDARD_IA', 'INTELLIGENT_TIERING', 'ONEZONE_IA', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'];

function emptyRule(n) {
  return {
    id: `rule-${n}`, status: 'Enabled', prefix: '', tags: [], sizeGt: '', sizeLt: '',
    expKind: 'none', expDays: '', expDate: '', ncDays: '', ncNewer: '', transitions: [], abortDays: '',
  };
}

function parseLifecycle(root) {
  return kids(root, 'Rule').map((r, i) => {
    const rule = emptyRule(i + 1);
    rule.id = kidText(r, 'ID');
    rule.status = kidText(r, 'Status') || 'Enabled';
    const f = kid(r, 'Filter');
    const and = f && kid(f, 'And');
    const src = and || f;
    if (src) {
      rule.prefix = kidText(src, 'Prefix');
      rule.tags = kids(src, 'Tag').map((t) => ({ key: kidText(t, 'Key'), value: kidText(t, 'Value') }));
      rule.sizeGt = kidText(src, 'ObjectSizeGreaterThan');
      rule.sizeLt = kidText(src, 'ObjectSizeLessThan');
    } else {
      rule.prefix = kidText(r, 'Prefix');
    }
    const e = kid(r, 'Expiration');
    if (e) {
      if (kid(e, 'Days')) { rule.expKind = 'days'; rule.expDays = kidText(e, 'Days'); }
      else if (kid(e, 'Date')) { rule.expKind = 'date'; rule.expDate = kidText(e, 'Date').slice(0, 10); }
      else if (kidText(e, 'ExpiredObjectDeleteMarker') === 'true') rule.expKind = 'marker';
    }
    const nc = kid(r, 'NoncurrentVersionExpiration');
    if (nc) { rule.ncDays = kidText(nc, 'NoncurrentDays'); rule.ncNewer = kidText(nc, 'NewerNoncurrentVersions'); }
    rule.transitions = kids(r, 'Transition').map((t) => ({ days: kidText(t, 'Days'), storageClass: kidText(t, 'StorageClass') }));
    rule.ncTransitions = kids(r, 'NoncurrentVersionTransition').map((t) => ({ days: kidText(t, 'NoncurrentDays'), storageClass: kidText(t, 'StorageClass') }));
    const a = kid(r, 'AbortIncompleteMultipartUpload');
    if (a) rule.abortDays = kidText(a, 'DaysAfterInitiation');
    return rule;
  });
}

const isWhole = (v) => /^\d+$/.test(String(v).trim());

/** Validation errors of the rules (list of strings). */
function lifecycleErrors(rules) {
  const errs = [];
  const ids = new Set();
  rules.forEach((r, i) => {
    const n = `Rule ${i + 1}${r.id ? ` (${r.id})` : ''}`;
    if (r.id.length > 255) errs.push(`${n}: the ID is longer than 255 characters.`);
    if (r.id && ids.has(r.id)) errs.push(`${n}: another rule has the same ID.`);
    ids.add(r.id);
    for (const [v, what] of [[r.sizeGt, 'Size greater than'], [r.sizeLt, 'Size less than'], [r.ncNewer, 'Newer noncurrent versions']]) {
      if (v !== '' && !isWhole(v)) errs.push(`${n}: ${what} must be a whole number.`);
    }
    for (const [v, what] of [[r.ncDays, 'Noncurrent days'], [r.abortDays, 'Abort incomplete uploads after']]) {
      if (v !== '' && !(isWhole(v) && Number(v) > 0)) errs.push(`${n}: ${what} must be a whole number of at least 1.`);
    }
    if (r.ncNewer !== '' && r.ncDays === '') errs.push(`${n}: newer noncurrent versions needs noncurrent days.`);
    if (r.expKind === 'days' && !(isWhole(r.expDays) && Number(r.expDays) > 0)) errs.push(`${n}: expiration days must be a whole number of at least 1.`);
    if (r.expKind === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(r.expDate)) errs.push(`${n}: choose an expiration date.`);
    if (r.sizeGt !== '' && r.sizeLt !== '' && Number(r.sizeGt) >= Number(r.sizeLt)) errs.push(`${n}: size greater than must be below size less than.`);
    r.transitions.forEach((t, j) => {
      if (!isWhole(t.days)) errs.push(`${n}, transition ${j + 1}: days must be a whole number.`);
      if (!t.storageClass) errs.push(`${n}, transition ${j + 1}: choose a storage class.`);
    });
    if (r.tags.some((t) => !t.key)) errs.push(`${n}: every tag needs a key.`);
    if (r.abortDays !== '' && (r.tags.length || r.sizeGt !== '' || r.sizeLt !== '')) errs.push(`${n}: aborting incomplete uploads cannot be combined with tag or size filters (uploads have neither); use a prefix filter or a separate rule.`);
    if (r.expKind === 'marker' && (r.tags.length || r.sizeGt !== '' || r.sizeLt !== '')) errs.push(`${n}: removing expired delete markers cannot be combined with tag or size filters.`);
    if (r.expKind === 'none' && r.ncDays === '' && !r.transitions.length && !(r.ncTransitions || []).length && r.abortDays === '') {
      errs.push(`${n}: give the rule at least one action (expiration, transition, noncurrent expiration or abort).`);
    }
  });
  return errs;
}

function lifecycleXml(rules) {
  const rulesXml = rules.map((r) => {
    const tags = r.tags.map((t) => `<Tag>${el('Key', t.key)}<Value>${xmlEscape(t.value || '')}</Value></Tag>`);
    const conds = (r.prefix ? 1 : 0) + tags.length + (r.sizeGt !== '' ? 1 : 0) + (r.sizeLt !== '' ? 1 : 0);
    let filter;
    const inner = `${el('Prefix', r.prefix)}${tags.join('')}${el('ObjectSizeGreaterThan', r.sizeGt)}${el('ObjectSizeLessThan', r.sizeLt)}`;
    if (conds === 0) filter = '<Filter></Filter>';
    else if (conds === 1) filter = `<Filter>${inner}</Filter>`;
    else filter = `<Filter><And>${inner}</And></Filter>`;
    let exp = '';
    if (r.expKind === 'days') exp = `<Expiration>${el('Days', r.expDays)}</Expiration>`;
    else if (r.expKind === 'date') exp = `<Expiration>${el('Date', `${r.expDate}T00:00:00Z`)}</Expiration>`;
    else if (r.expKind === 'marker') exp = '<Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>';
    const trans = r.transitions.map((t) => `<Transition>${el('Days', t.days)}${el('StorageClass', t.storageClass)}</Transition>`).join('');
    const ncTrans = (r.ncTransitions || []).map((t) => `<NoncurrentVersionTransition>${el('NoncurrentDays', t.days)}${el('StorageClass', t.storageClass)}</NoncurrentVersionTransition>`).join('');
    const nc = r.ncDays !== '' ? `<NoncurrentVersionExpiration>${el('NoncurrentDays', r.ncDays)}${el('NewerNoncurrentVersions', r.ncNewer)}</NoncurrentVersionExpiration>` : '';
    const abort = r.abortDays !== '' ? `<AbortIncompleteMultipartUpload>${el('DaysAfterInitiation', r.abortDays)}</AbortIncompleteMultipartUpload>` : '';
    return `<Rule>${el('ID', r.id)}${filter}<Status>${r.status}</Status>${trans}${ncTrans}${exp}${nc}${abort}</Rule>`;
  }).join('');
  return `<LifecycleConfiguration xmlns="${NS}">${rulesXml}</LifecycleConfiguration>`;
}

/** Storage classes with a tier on this server (admin only: /v1/info), or null if unknown. */
async function tierClasses() {
  if (!isAdmin()) return null;
  try {
    const info = await admin('GET', '/v1/info');
    return new Set((info.tiers || []).map((t) => t.class));
  } catch { return null; }
}

async function renderLifecycle(area, bucket) {
  const [r, tiers] = await Promise.all([load(() => get(bucket, 'lifecycle')), tierClasses()]);
  const classLabel = (c) => (tiers && !tiers.has(c) ? `${c} (no tier on this server)` : c);
  if (r.state === 'error') { frame(area, { banner: errorNote(r.err, 'view the lifecycle rules') }); return; }
  const rules = r.state === 'ok' ? parseLifecycle(rootOf(r.res)) : [];
  const list = h('div', { class: 'adm-rules' });
  const pv = preview();
  const errBox = h('div', { class: 'adm-error', role: 'alert', hidden: true });
  const st = statusLine();
  const upd = () => {
    pv.update(rules.length ? `PUT ${bucketPath(bucket, 'lifecycle')}\n\n${prettyXml(lifecycleXml(rules))}` : `DELETE ${bucketPath(bucket, 'lifecycle')}   (no rules left)`);
  };
  const draw = () => {
    clear(list);
    if (!rules.length) list.append(h('p', { class: 'adm-note' }, 'No rules. Add one below.'));
    rules.forEach((rule, i) => list.append(ruleCard(rule, i)));
    upd();
  };
  const bind = (input, obj, key, ev = 'input') => {
    input.addEventListener(ev, () => { obj[key] = input.type === 'checkbox' ? input.checked : input.value.trim(); upd(); });
  };
  function ruleCard(rule, i) {
    const idF = field('Rule ID', 'text', { value: rule.id, help: 'A name for the rule (at most 255 characters).' });
    bind(idF.input, rule, 'id');
    idF.input.dataset.field = 'id';
    const stF = field('Status', 'select', { options: ['Enabled', 'Disabled'], value: rule.status });
    bind(stF.input, rule, 'status', 'change');
    const pfF = field('Prefix filter', 'text', { value: rule.prefix, placeholder: 'logs/', help: 'Only keys starting with this (empty: the whole bucket).' });
    bind(pfF.input, rule, 'prefix'); pfF.input.dataset.field = 'prefix';
    const gtF = field('Size greater than (bytes)', 'number', { value: rule.sizeGt });
    bind(gtF.input, rule, 'sizeGt');
    const ltF = field('Size less than (bytes)', 'number', { value: rule.sizeLt });
    bind(ltF.input, rule, 'sizeLt');
    const tagBox = h('div', { class: 'adm-subgroup' });
    const drawTags = () => {
      clear(tagBox);
      tagBox.append(h('div', { class: 'adm-sublabel' }, 'Tag filters'));
      rule.tags.forEach((t, j) => {
        const k = field('Tag key', 'text', { value: t.key });
        const v = field('Tag value', 'text', { value: t.value });
        bind(k.input, t, 'key'); bind(v.input, t, 'value');
        tagBox.append(h('div', { class: 'adm-row' }, k.wrap, v.wrap,
          button('Remove', () => { rule.tags.splice(j, 1); drawTags(); upd(); }, { class: 'adm-btn adm-btn-small', label: `Remove tag filter ${j + 1}` })));
      });
      tagBox.append(button('Add tag filter', () => { rule.tags.push({ key: '', value: '' }); drawTags(); upd(); }, { class: 'adm-btn adm-btn-small' }));
    };
    drawTags();
    const expKind = field('Expire current versions', 'select', { options: [['none', 'Never'], ['days', 'After a number of days'], ['date', 'On a date'], ['marker', 'Remove expired delete markers']], value: rule.expKind });
    const expDays = field('Expiration days', 'number', { value: rule.expDays, min: 1 });
    const expDate = field('Expiration date (UTC midnight)', 'date', { value: rule.expDate });
    expDays.input.dataset.field = 'expiration-days';
    bind(expDays.input, rule, 'expDays'); bind(expDate.input, rule, 'expDate');
    const showExp = () => { expDays.wrap.hidden = rule.expKind !== 'days'; expDate.wrap.hidden = rule.expKind !== 'date'; };
    expKind.input.addEventListener('change', () => { rule.expKind = expKind.input.value; showExp(); upd(); });
    showExp();
    const ncF = field('Delete noncurrent versions after (days)', 'number', { value: rule.ncDays, min: 1 });
    bind(ncF.input, rule, 'ncDays');
    const ncN = field('…but keep this many newer noncurrent versions', 'number', { value: rule.ncNewer });
    bind(ncN.input, rule, 'ncNewer');
    const abF = field('Abort incomplete multipart uploads after (days)', 'number', { value: rule.abortDays, min: 1 });
    bind(abF.input, rule, 'abortDays');
    const trBox = h('div', { class: 'adm-subgroup' });
    const drawTrans = () => {
      clear(trBox);
      trBox.append(h('div', { class: 'adm-sublabel' }, 'Transitions (move current versions to a colder storage class)'));
      rule.transitions.forEach((t, j) => {
        const d = field('After days', 'number', { value: t.days });
        const c = field('Storage class', 'select', { options: [['', 'Choose…'], ...STORAGE_CLASSES.map((x) => [x, classLabel(x)])], value: t.storageClass });
        bind(d.input, t, 'days'); bind(c.input, t, 'storageClass', 'change');
        trBox.append(h('div', { class: 'adm-row' }, d.wrap, c.wrap,
          button('Remove', () => { rule.transitions.splice(j, 1); drawTrans(); upd(); }, { class: 'adm-btn adm-btn-small', label: `Remove transition ${j + 1}` })));
      });
      trBox.append(button('Add transition', () => { rule.transitions.push({ days: '30', storageClass: '' }); drawTrans(); upd(); }, { class: 'adm-btn adm-btn-small' }),
        h('small', { class: 'adm-help' }, 'A storage class works only if the server has a tier for it (storage.tiers); others are refused with InvalidStorageClass.'));
    };
    drawTrans();
    return h('fieldset', { class: 'adm-rule', 'data-rule': String(i) },
      h('legend', {}, `Rule ${i + 1}`),
      h('div', { class: 'adm-row' }, idF.wrap, stF.wrap),
      h('div', { class: 'adm-row' }, pfF.wrap, gtF.wrap, ltF.wrap),
      tagBox,
      h('div', { class: 'adm-row' }, expKind.wrap, expDays.wrap, expDate.wrap),
      trBox,
      h('div', { class: 'adm-row' }, ncF.wrap, ncN.wrap),
      h('div', { class: 'adm-row' }, abF.wrap),
      h('div', { class: 'adm-buttons' }, button('Remove rule', () => { rules.splice(i, 1); draw(); }, { class: 'adm-btn adm-btn-danger', label: `Remove rule ${i + 1}` })));
  }
  draw();
  const doSave = async () => {
    errBox.hidden = true; clear(errBox);
    const errs = lifecycleErrors(rules);
    if (errs.length) {
      errBox.hidden = false;
      errBox.append(h('strong', {}, 'Please fix these first:'), h('ul', {}, ...errs.map((e) => h('li', {}, e))));
      return;
    }
    await save(st, 'the lifecycle rules', () => (rules.length ? put(bucket, 'lifecycle', lifecycleXml(rules)) : del(bucket, 'lifecycle')), () => renderLifecycle(area, bucket));
  };
  frame(area, {
    intro: 'Rules expire objects, move them to colder storage classes and clean up old versions and abandoned uploads.',
    banner: r.state === 'none' ? currentBanner(r) : h('p', { class: 'adm-note', 'data-state': 'ok' }, `${rules.length} rule(s) configured.`),
    form: h('div', { class: 'adm-form' }, list, errBox), pv, status: st,
    buttons: [
      button('Add rule', () => { rules.push(emptyRule(rules.length + 1)); draw(); }),
      button('Save rules', doSave, { class: 'adm-btn adm-btn-primary' }),
      r.state === 'ok' ? button('Delete all rules', async () => {
        if (!await confirmDialog({ title: 'Delete the lifecycle configuration?', text: `Every lifecycle rule of ${bucket} is removed.` })) return;
        await save(st, 'the lifecycle rules', () => del(bucket, 'lifecycle'), () => renderLifecycle(area, bucket));
      }, { class: 'adm-btn adm-btn-danger' }) : null,
    ],
  });
}

// ---- notifications

const EVENTS = ['s3:ObjectCreated:*', 's3:ObjectCreated:Put', 's3:ObjectCreated:Post', 's3:ObjectCreated:Copy', 's3:ObjectCreated:CompleteMultipartUpload',
  's3:ObjectRemoved:*', 's3:ObjectRemoved:Delete', 's3:ObjectRemoved:DeleteMarkerCreated', 's3:ObjectTagging:*', 's3:LifecycleExpiration:*', 's3:LifecycleTransition', 's3:ObjectRestore:*'];
const DEST = { Queue: 'QueueConfiguration', Topic: 'TopicConfiguration', CloudFunction: 'CloudFunctionConfiguration' };

function parseNotifications(root) {
  const out = [];
  for (const [kind, tag] of Object.entries(DEST)) {
    for (const c of kids(root, tag)) {
      const rules = [];
      const f = kid(c, 'Filter');
      const key = f && (kid(f, 'S3Key') || kid(f, 'Key'));
      for (const fr of kids(key, 'FilterRule')) rules.push([kidText(fr, 'Name').toLowerCase(), kidText(fr, 'Value')]);
      out.push({
        kind, id: kidText(c, 'Id'), arn: kidText(c, kind), events: kids(c, 'Event').map((e) => e.textContent),
        prefix: (rules.find((x) => x[0] === 'prefix') || [])[1] || '', suffix: (rules.find((x) => x[0] === 'suffix') || [])[1] || '',
      });
    }
  }
  return out;
}

function notificationXml(confs) {
  const parts = [];
  for (const kind of Object.keys(DEST)) {
    for (const c of confs.filter((x) => x.kind === kind)) {
      const rules = [['prefix', c.prefix], ['suffix', c.suffix]].filter((x) => x[1]).map(([n, v]) => `<FilterRule><Name>${n}</Name>${el('Value', v)}</FilterRule>`).join('');
      parts.push(`<${DEST[kind]}>${el('Id', c.id)}${el(kind, c.arn)}${c.events.map((e) => el('Event', e)).join('')}${rules ? `<Filter><S3Key>${rules}</S3Key></Filter>` : ''}</${DEST[kind]}>`);
    }
  }
  return `<NotificationConfiguration xmlns="${NS}">${parts.join('')}</NotificationConfiguration>`;
}

async function renderNotifications(area, bucket) {
  const r = await load(() => get(bucket, 'notification'));
  if (r.state === 'error') { frame(area, { banner: errorNote(r.err, 'view the event notifications') }); return; }
  const confs = r.state === 'ok' ? parseNotifications(rootOf(r.res)) : [];
  const list = h('div', { class: 'adm-rules' });
  const pv = preview();
  const st = statusLine();
  const errBox = h('div', { class: 'adm-error', role: 'alert', hidden: true });
  let raw = null;
  const upd = () => pv.update(`PUT ${bucketPath(bucket, 'notification')}\n\n${raw ? raw.input.value : prettyXml(notificationXml(confs))}`);
  const draw = () => {
    clear(list);
    if (!confs.length) list.append(h('p', { class: 'adm-note' }, 'No notifications. Events go nowhere.'));
    confs.forEach((c, i) => {
      const kind = field('Destination type', 'select', { options: [['Queue', 'Queue (QueueArn)'], ['Topic', 'Topic (TopicArn)'], ['CloudFunction', 'Function (CloudFunction)']], value: c.kind });
      kind.input.addEventListener('change', () => { c.kind = kind.input.value; upd(); });
      const id = field('Id', 'text', { value: c.id });
      id.input.addEventListener('input', () => { c.id = id.input.value.trim(); upd(); });
      const arn = field('Destination ARN', 'text', { value: c.arn, placeholder: 'arn:coffer:sqs::1:name', help: 'A destination declared in the server configuration ([notify]).' });
      arn.input.addEventListener('input', () => { c.arn = arn.input.value.trim(); upd(); });
      const evBox = h('fieldset', { class: 'adm-events' }, h('legend', {}, 'Events'));
      for (const ev of EVENTS) {
        const cb = field(ev, 'checkbox', { value: c.events.includes(ev) });
        cb.input.addEventListener('change', () => { c.events = c.events.filter((x) => x !== ev); if (cb.input.checked) c.events.push(ev); upd(); });
        evBox.append(cb.wrap);
      }
      const pre = field('Key prefix', 'text', { value: c.prefix });
      pre.input.addEventListener('input', () => { c.prefix = pre.input.value; upd(); });
      const suf = field('Key suffix', 'text', { value: c.suffix, placeholder: '.jpg' });
      suf.input.addEventListener('input', () => { c.suffix = suf.input.value; upd(); });
      list.append(h('fieldset', { class: 'adm-rule' }, h('legend', {}, `Notification ${i + 1}`),
        h('div', { class: 'adm-row' }, kind.wrap, id.wrap), arn.wrap, evBox, h('div', { class: 'adm-row' }, pre.wrap, suf.wrap),
        h('div', { class: 'adm-buttons' }, button('Remove', () => { confs.splice(i, 1); draw(); }, { class: 'adm-btn adm-btn-danger', label: `Remove notification ${i + 1}` }))));
    });
    upd();
  };
  draw();
  const rawToggle = button('Edit the XML instead', () => {
    if (raw) return;
    raw = field('NotificationConfiguration XML', 'textarea', { value: prettyXml(notificationXml(confs)), rows: 14, mono: true, help: 'For settings the form does not offer. Sent as is.' });
    raw.input.addEventListener('input', upd);
    list.replaceWith(raw.wrap);
    rawToggle.hidden = true;
    upd();
  });
  const doSave = async () => {
    errBox.hidden = true; clear(errBox);
    if (!raw) {
      const errs = [];
      confs.forEach((c, i) => {
        if (!c.arn) errs.push(`Notification ${i + 1}: give a destination ARN.`);
        if (!c.events.length) errs.push(`Notification ${i + 1}: choose at least one event.`);
      });
      if (errs.length) { errBox.hidden = false; errBox.append(h('ul', {}, ...errs.map((e) => h('li', {}, e)))); return; }
    }
    await save(st, 'the notifications', () => put(bucket, 'notification', raw ? raw.input.value : notificationXml(confs)), () => renderNotifications(area, bucket));
  };
  frame(area, {
    intro: 'Send a message to a destination when objects are created or removed. coffer delivers to destinations declared in its configuration file; every destination first gets an s3:TestEvent.',
    banner: h('p', { class: 'adm-note', 'data-state': confs.length ? 'ok' : 'none' }, confs.length ? `${confs.length} notification(s) configured.` : 'Not configured.'),
    form: h('div', { class: 'adm-form' }, list, errBox), pv, status: st,
    buttons: [button('Add notification', () => { if (raw) return; confs.push({ kind: 'Queue', id: '', arn: '', events: ['s3:ObjectCreated:*'], prefix: '', suffix: '' }); draw(); }),
      rawToggle, button('Save notifications', doSave, { class: 'adm-btn adm-btn-primary' })],
  });
}

// ---- CORS

const CORS_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'];
const lines = (s) => s.split('\n').map((x) => x.trim()).filter(Boolean);

function parseCors(root) {
  return kids(root, 'CORSRule').map((r) => ({
    id: kidText(r, 'ID'), origins: kids(r, 'AllowedOrigin').map((x) => x.textContent), methods: kids(r, 'AllowedMethod').map((x) => x.textContent),
    headers: kids(r, 'AllowedHeader').map((x) => x.textContent), expose: kids(r, 'ExposeHeader').map((x) => x.textContent), maxAge: kidText(r, 'MaxAgeSeconds'),
  }));
}
function corsXml(rules) {
  const body = rules.map((r) => `<CORSRule>${el('ID', r.id)}${r.headers.map((x) => el('AllowedHeader', x)).join('')}${r.methods.map((x) => el('AllowedMethod', x)).join('')}${r.origins.map((x) => el('AllowedOrigin', x)).join('')}${r.expose.map((x) => el('ExposeHeader', x)).join('')}${el('MaxAgeSeconds', r.maxAge)}</CORSRule>`).join('');
  return `<CORSConfiguration xmlns="${NS}">${body}</CORSConfiguration>`;
}

async function renderCors(area, bucket) {
  const r = await load(() => get(bucket, 'cors'));
  if (r.state === 'error') { frame(area, { banner: errorNote(r.err, 'view the CORS rules') }); return; }
  const rules = r.state === 'ok' ? parseCors(rootOf(r.res)) : [];
  const list = h('div', { class: 'adm-rules' });
  const pv = preview();
  const st = statusLine();
  const errBox = h('div', { class: 'adm-error', role: 'alert', hidden: true });
  const upd = () => pv.update(rules.length ? `PUT ${bucketPath(bucket, 'cors')}\n\n${prettyXml(corsXml(rules))}` : `DELETE ${bucketPath(bucket, 'cors')}   (no rules left)`);
  const draw = () => {
    clear(list);
    if (!rules.length) list.append(h('p', { class: 'adm-note' }, 'No CORS rules: browsers on other origins cannot call this bucket.'));
    rules.forEach((rule, i) => {
      const id = field('Rule ID', 'text', { value: rule.id });
      id.input.addEventListener('input', () => { rule.id = id.input.value.trim(); upd(); });
      const or = field('Allowed origins (one per line)', 'textarea', { value: rule.origins.join('\n'), rows: 3, help: 'e.g. https://app.example.com, or * for any.' });
      or.input.addEventListener('input', () => { rule.origins = lines(or.input.value); upd(); });
      const mBox = h('fieldset', { class: 'adm-events' }, h('legend', {}, 'Allowed methods'));
      for (const m of CORS_METHODS) {
        const cb = field(m, 'checkbox', { value: rule.methods.includes(m) });
        cb.input.addEventListener('change', () => { rule.methods = CORS_METHODS.filter((x) => (x === m ? cb.input.checked : rule.methods.includes(x))); upd(); });
        mBox.append(cb.wrap);
      }
      const hd = field('Allowed headers (one per line)', 'textarea', { value: rule.headers.join('\n'), rows: 2 });
      hd.input.addEventListener('input', () => { rule.headers = lines(hd.input.value); upd(); });
      const ex = field('Exposed headers (one per line)', 'textarea', { value: rule.expose.join('\n'), rows: 2, help: 'e.g. ETag' });
      ex.input.addEventListener('input', () => { rule.expose = lines(ex.input.value); upd(); });
      const ma = field('Max age (seconds)', 'number', { value: rule.maxAge });
      ma.input.addEventListener('input', () => { rule.maxAge = ma.input.value.trim(); upd(); });
      list.append(h('fieldset', { class: 'adm-rule' }, h('legend', {}, `CORS rule ${i + 1}`), id.wrap, or.wrap, mBox, h('div', { class: 'adm-row' }, hd.wrap, ex.wrap), ma.wrap,
        h('div', { class: 'adm-buttons' }, button('Remove rule', () => { rules.splice(i, 1); draw(); }, { class: 'adm-btn adm-btn-danger', label: `Remove CORS rule ${i + 1}` }))));
    });
    upd();
  };
  draw();
  const doSave = async () => {
    errBox.hidden = true; clear(errBox);
    const errs = [];
    rules.forEach((x, i) => {
      if (!x.origins.length) errs.push(`Rule ${i + 1}: give at least one origin.`);
      if (!x.methods.length) errs.push(`Rule ${i + 1}: choose at least one method.`);
      if (x.origins.filter((o) => o.includes('*')).length > 1) errs.push(`Rule ${i + 1}: at most one origin may contain *.`);
      if (x.expose.some((e) => e.includes('*'))) errs.push(`Rule ${i + 1}: exposed headers cannot contain *.`);
      if (x.maxAge !== '' && !isWhole(x.maxAge)) errs.push(`Rule ${i + 1}: max age must be a whole number.`);
    });
    if (rules.length > 100) errs.push('At most 100 rules.');
    if (errs.length) { errBox.hidden = false; errBox.append(h('ul', {}, ...errs.map((e) => h('li', {}, e)))); return; }
    await save(st, 'the CORS rules', () => (rules.length ? put(bucket, 'cors', corsXml(rules)) : del(bucket, 'cors')), () => renderCors(area, bucket));
  };
  frame(area, {
    intro: 'Cross-origin resource sharing lets web pages on other origins read from or upload to this bucket.',
    banner: r.state === 'none' ? currentBanner(r) : h('p', { class: 'adm-note', 'data-state': 'ok' }, `${rules.length} rule(s) configured.`),
    form: h('div', { class: 'adm-form' }, list, errBox), pv, status: st,
    buttons: [button('Add rule', () => { rules.push({ id: '', origins: [], methods: ['GET'], headers: [], expose: [], maxAge: '' }); draw(); }),
      button('Save CORS rules', doSave, { class: 'adm-btn adm-btn-primary' })],
  });
}

// ---- bucket policy

const POLICY_TEMPLATE = (bucket) => JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'ReadOnly', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${bucket}/*`] }],
}, null, 2);

async function renderPolicy(area, bucket) {
  const r = await load(() => get(bucket, 'policy', 'text'));
  if (r.state === 'error') { frame(area, { banner: errorNote(r.err, 'view the bucket policy') }); return; }
  const text = r.state === 'ok' ? pretty(typeof r.res.body === 'string' ? r.res.body : (r.res.text || '')) : '';
  const ed = jsonEditor('Policy document (JSON)', text || POLICY_TEMPLATE(bucket), { rows: 18, what: 'change the bucket policy', help: 'AWS policy language. Checked here for JSON syntax, then by the server.' });
  ed.input.dataset.field = 'policy';
  const pv = preview();
  const upd = () => pv.update(`PUT ${bucketPath(bucket, 'policy')}\nContent-Type: application/json\n\n${ed.input.value}`);
  ed.input.addEventListener('input', upd); upd();
  const st = statusLine();
  const doSave = async () => {
    st.clear();
    const value = ed.check();
    if (value === null) return;
    try {
      await put(bucket, 'policy', JSON.stringify(value), { contentType: 'application/json' });
      st.ok('Saved the bucket policy.');
      toast('Saved the bucket policy.');
      flash = 'Saved the bucket policy.';
      await renderPolicy(area, bucket);
    } catch (e) {
      ed.serverError(e);
    }
  };
  frame(area, {
    intro: 'A bucket policy opens the bucket to other accounts or to anyone, or closes it further. New buckets block public policies (see Block Public Access).',
    banner: r.state === 'none' ? currentBanner(r) : h('p', { class: 'adm-note', 'data-state': 'ok' }, 'A policy is set.'),
    form: h('div', { class: 'adm-form' }, ed.wrap), pv, status: st,
    buttons: [button('Check JSON', () => { if (ed.check() !== null) st.ok('The JSON is well-formed.'); }),
      button('Save policy', doSave, { class: 'adm-btn adm-btn-primary' }),
      r.state === 'ok' ? button('Delete policy', async () => {
        if (!await confirmDialog({ title: 'Delete the bucket policy?', text: `${bucket} will no longer have a bucket policy.` })) return;
        await save(st, 'the bucket policy', () => del(bucket, 'policy'), () => renderPolicy(area, bucket));
      }, { class: 'adm-btn adm-btn-danger' }) : null],
  });
}

// ---- ownership and ACL

const CANNED = ['private', 'public-read', 'public-read-write', 'authenticated-read', 'bucket-owner-full-control', 'log-delivery-write'];

async function renderOwnership(area, bucket) {
  const [o, a] = await Promise.all([load(() => get(bucket, 'ownershipControls')), load(() => get(bucket, 'acl'))]);
  const current = o.state === 'ok' ? (rootOf(o.res).getElementsByTagNameNS('*', 'ObjectOwnership')[0] || {}).textContent : '';
  const sel = field('Object Ownership', 'select', {
    options: [['BucketOwnerEnforced', 'Bucket owner enforced (ACLs disabled, recommended)'], ['BucketOwnerPreferred', 'Bucket owner preferred'], ['ObjectWriter', 'Object writer']],
    value: current || 'BucketOwnerEnforced',
  });
  const pv = preview();
  const doc = () => `<OwnershipControls xmlns="${NS}"><Rule><ObjectOwnership>${xmlEscape(sel.input.value)}</ObjectOwnership></Rule></OwnershipControls>`;
  const canned = field('Canned ACL', 'select', { options: CANNED, value: 'private', help: 'With ACLs disabled only private and bucket-owner-full-control are accepted.' });
  const upd = () => pv.update(`PUT ${bucketPath(bucket, 'ownershipControls')}\n\n${prettyXml(doc())}\n\nPUT ${bucketPath(bucket, 'acl')}\nx-amz-acl: ${canned.input.value}`);
  sel.input.addEventListener('change', upd); canned.input.addEventListener('change', upd); upd();
  const st = statusLine();
  let aclView;
  if (a.state === 'ok') {
    const root = rootOf(a.res);
    const owner = kid(root, 'Owner');
    const grants = Array.from(root.getElementsByTagNameNS('*', 'Grant')).map((g) => {
      const ge = kid(g, 'Grantee');
      const who = ge ? (kidText(ge, 'DisplayName') || kidText(ge, 'ID') || kidText(ge, 'URI') || kidText(ge, 'EmailAddress')) : '';
      return [who, ge ? (ge.getAttribute('xsi:type') || ge.getAttributeNS('http://www.w3.org/2001/XMLSchema-instance', 'type') || '') : '', kidText(g, 'Permission')];
    });
    aclView = h('div', {}, h('h3', {}, 'Current ACL (read-only)'),
      h('p', {}, 'Owner: ', owner ? (kidText(owner, 'DisplayName') || kidText(owner, 'ID')) : '?'),
      table(['Grantee', 'Type', 'Permission'], grants, { caption: 'Grants' }));
  } else {
    aclView = a.state === 'error' ? errorNote(a.err, 'view the bucket ACL') : h('p', {}, 'No ACL.');
  }
  frame(area, {
    intro: 'Object Ownership decides whether ACLs apply. New buckets have ACLs disabled (bucket owner enforced), as on S3.',
    banner: o.state === 'error' ? errorNote(o.err, 'view the ownership controls') : h('p', { class: 'adm-note' }, 'Current: ', h('strong', {}, current || 'not configured')),
    form: h('div', { class: 'adm-form' }, sel.wrap,
      h('div', { class: 'adm-buttons' }, button('Save ownership', () => save(st, 'the ownership controls', () => put(bucket, 'ownershipControls', doc()), () => renderOwnership(area, bucket)), { class: 'adm-btn adm-btn-primary' })),
      aclView, canned.wrap,
      h('div', { class: 'adm-buttons' }, button('Apply canned ACL', () => save(st, 'the bucket ACL', () => s3('PUT', bucket, '', { query: { acl: '' }, headers: { 'x-amz-acl': canned.input.value } }), () => renderOwnership(area, bucket))))),
    pv, status: st,
  });
}

// ---- block public access

const PAB = [['BlockPublicAcls', 'Block public ACLs', 'Refuse new public ACLs.'], ['IgnorePublicAcls', 'Ignore public ACLs', 'Public ACLs already set grant nothing.'],
  ['BlockPublicPolicy', 'Block public bucket policies', 'Refuse bucket policies that grant public access.'], ['RestrictPublicBuckets', 'Restrict public buckets', 'Only this account and AWS services may use a bucket with a public policy.']];

async function renderPublicAccess(area, bucket) {
  const r = await load(() => get(bucket, 'publicAccessBlock'));
  if (r.state === 'error') { frame(area, { banner: errorNote(r.err, 'view the Block Public Access settings') }); return; }
  const root = r.state === 'ok' ? rootOf(r.res) : null;
  const boxes = PAB.map(([name, label, help]) => {
    const f = field(label, 'checkbox', { value: root ? kidText(root, name) === 'true' : false, help });
    f.input.dataset.field = name;
    return [name, f];
  });
  const pv = preview();
  const doc = () => `<PublicAccessBlockConfiguration xmlns="${NS}">${boxes.map(([n, f]) => `<${n}>${f.input.checked}</${n}>`).join('')}</PublicAccessBlockConfiguration>`;
  const upd = () => pv.update(`PUT ${bucketPath(bucket, 'publicAccessBlock')}\n\n${prettyXml(doc())}`);
  boxes.forEach(([, f]) => f.input.addEventListener('change', upd)); upd();
  const st = statusLine();
  frame(area, {
    intro: 'New buckets block all public access. Lift these only for a bucket that is meant to be public (a website, say).',
    banner: r.state === 'none' ? currentBanner(r) : null,
    form: h('fieldset', { class: 'adm-form' }, h('legend', {}, 'Block Public Access'), ...boxes.map(([, f]) => f.wrap)), pv, status: st,
    buttons: [button('Save', () => save(st, 'Block Public Access', () => put(bucket, 'publicAccessBlock', doc()), () => renderPublicAccess(area, bucket)), { class: 'adm-btn adm-btn-primary' })],
  });
}

// ---- object lock

async function renderObjectLock(area, bucket) {
  const r = await load(() => get(bucket, 'object-lock'));
  if (r.state === 'error') { frame(area, { banner: errorNote(r.err, 'view the Object Lock configuration') }); return; }
  if (r.state === 'none') {
    frame(area, { banner: h('p', { class: 'adm-note', 'data-state': 'none' }, 'Object Lock is not enabled for this bucket. It can only be turned on when a bucket is created. ', h('small', { class: 'adm-code' }, r.code)) });
    return;
  }
  const root = rootOf(r.res);
  const dr = root.getElementsByTagNameNS('*', 'DefaultRetention')[0];
  const mode = field('Default retention', 'select', { options: [['', 'None'], ['GOVERNANCE', 'GOVERNANCE (removable with a bypass permission)'], ['COMPLIANCE', 'COMPLIANCE (nobody can shorten it)']], value: dr ? kidText(dr, 'Mode') : '' });
  const unit = field('Unit', 'select', { options: [['Days', 'Days'], ['Years', 'Years']], value: dr && kid(dr, 'Years') ? 'Years' : 'Days' });
  const n = field('Period', 'number', { value: dr ? (kidText(dr, 'Days') || kidText(dr, 'Years')) : '', min: 1 });
  const pv = preview();
  const doc = () => `<ObjectLockConfiguration xmlns="${NS}"><ObjectLockEnabled>Enabled</ObjectLockEnabled>${mode.input.value ? `<Rule><DefaultRetention>${el('Mode', mode.input.value)}${el(unit.input.value, n.input.value.trim())}</DefaultRetention></Rule>` : ''}</ObjectLockConfiguration>`;
  const upd = () => { n.wrap.hidden = unit.wrap.hidden = !mode.input.value; pv.update(`PUT ${bucketPath(bucket, 'object-lock')}\n\n${prettyXml(doc())}`); };
  [mode, unit, n].forEach((f) => { f.input.addEventListener('input', upd); f.input.addEventListener('change', upd); }); upd();
  const st = statusLine();
  frame(area, {
    intro: 'Object Lock is enabled. A default retention protects every new version unless the upload asks otherwise.',
    banner: h('p', { class: 'adm-note', 'data-state': 'ok' }, 'Current default retention: ', h('strong', {}, dr ? `${kidText(dr, 'Mode')} ${kidText(dr, 'Days') || kidText(dr, 'Years')} ${kid(dr, 'Years') ? 'year(s)' : 'day(s)'}` : 'none')),
    form: h('form', { class: 'adm-form' }, mode.wrap, h('div', { class: 'adm-row' }, n.wrap, unit.wrap)), pv, status: st,
    buttons: [button('Save', async () => {
      if (mode.input.value && !(isWhole(n.input.value.trim()) && Number(n.input.value) > 0)) { st.err({ code: 'InvalidArgument', message: 'The period must be a whole number of at least 1.' }); return; }
      if (mode.input.value === 'COMPLIANCE' && !await confirmDialog({ title: 'Set COMPLIANCE retention?', text: 'New versions will be undeletable by anyone until their retention ends.' })) return;
      await save(st, 'the Object Lock configuration', () => put(bucket, 'object-lock', doc()), () => renderObjectLock(area, bucket));
    }, { class: 'adm-btn adm-btn-primary' })],
  });
}

// ---- default encryption

async function renderEncryption(area, bucket) {
  const r = await load(() => get(bucket, 'encryption'));
  if (r.state === 'error') { frame(area, { banner: errorNote(r.err, 'view the default encryption') }); return; }
  const root = r.state === 'ok' ? rootOf(r.res) : null;
  const d = root && root.getElementsByTagNameNS('*', 'ApplyServerSideEncryptionByDefault')[0];
  const alg = field('Encryption', 'select', { options: [['AES256', 'SSE-S3 (server-managed keys)'], ['aws:kms', 'SSE-KMS (a KMS key)'], ['aws:kms:dsse', 'DSSE-KMS (two layers)']], value: d ? kidText(d, 'SSEAlgorithm') : 'AES256' });
  const key = field('KMS key (id, ARN or alias)', 'text', { value: d ? kidText(d, 'KMSMasterKeyID') : '', placeholder: 'alias/backups', help: 'Empty: the account\'s alias/aws/s3.' });
  const bk = field('Use an S3 Bucket Key', 'checkbox', { value: root ? root.getElementsByTagNameNS('*', 'BucketKeyEnabled')[0]?.textContent === 'true' : false });
  const pv = preview();
  const doc = () => `<ServerSideEncryptionConfiguration xmlns="${NS}"><Rule><ApplyServerSideEncryptionByDefault>${el('SSEAlgorithm', alg.input.value)}${alg.input.value !== 'AES256' ? el('KMSMasterKeyID', key.input.value.trim()) : ''}</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>${bk.input.checked}</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`;
  const upd = () => { key.wrap.hidden = alg.input.value === 'AES256'; pv.update(`PUT ${bucketPath(bucket, 'encryption')}\n\n${prettyXml(doc())}`); };
  [alg, key, bk].forEach((f) => { f.input.addEventListener('input', upd); f.input.addEventListener('change', upd); }); upd();
  const st = statusLine();
  frame(area, {
    intro: 'How new objects are encrypted at rest when the upload does not say. Objects already stored keep their encryption.',
    banner: r.state === 'none' ? currentBanner(r) : h('p', { class: 'adm-note', 'data-state': 'ok' }, 'Current: ', h('strong', {}, d ? `${kidText(d, 'SSEAlgorithm')}${kidText(d, 'KMSMasterKeyID') ? ` with ${kidText(d, 'KMSMasterKeyID')}` : ''}` : '?')),
    form: h('form', { class: 'adm-form' }, alg.wrap, key.wrap, bk.wrap), pv, status: st,
    buttons: [button('Save', () => save(st, 'the default encryption', () => put(bucket, 'encryption', doc()), () => renderEncryption(area, bucket)), { class: 'adm-btn adm-btn-primary' }),
      button('Reset to the server default', () => save(st, 'the default encryption', () => del(bucket, 'encryption'), () => renderEncryption(area, bucket)))],
  });
}

// ---- access logging

async function renderLogging(area, bucket) {
  const r = await load(() => get(bucket, 'logging'));
  if (r.state === 'error') { frame(area, { banner: errorNote(r.err, 'view the access logging') }); return; }
  const root = r.state === 'ok' ? rootOf(r.res) : null;
  const le = root && kid(root, 'LoggingEnabled');
  const on = field('Write access logs', 'checkbox', { value: !!le });
  const tb = field('Target bucket', 'text', { value: le ? kidText(le, 'TargetBucket') : '', help: 'A bucket of the same account, without Object Lock (may be this one).' });
  const tp = field('Target prefix', 'text', { value: le ? kidText(le, 'TargetPrefix') : 'logs/' });
  const pv = preview();
  const doc = () => `<BucketLoggingStatus xmlns="${NS}">${on.input.checked ? `<LoggingEnabled>${el('TargetBucket', tb.input.value.trim())}<TargetPrefix>${xmlEscape(tp.input.value)}</TargetPrefix></LoggingEnabled>` : ''}</BucketLoggingStatus>`;
  const upd = () => { tb.wrap.hidden = tp.wrap.hidden = !on.input.checked; pv.update(`PUT ${bucketPath(bucket, 'logging')}\n\n${prettyXml(doc())}`); };
  [on, tb, tp].forEach((f) => { f.input.addEventListener('input', upd); f.input.addEventListener('change', upd); }); upd();
  const st = statusLine();
  frame(area, {
    intro: 'Server access logs record every request to this bucket in S3\'s log format, as objects in a target bucket.',
    banner: h('p', { class: 'adm-note', 'data-state': le ? 'ok' : 'none' }, le ? `Logging to ${kidText(le, 'TargetBucket')}/${kidText(le, 'TargetPrefix')}` : 'Not configured (logging is off).'),
    form: h('form', { class: 'adm-form' }, on.wrap, tb.wrap, tp.wrap), pv, status: st,
    buttons: [button('Save', async () => {
      if (on.input.checked && !tb.input.value.trim()) { st.err({ code: 'InvalidArgument', message: 'Name a target bucket.' }); return; }
      await save(st, 'the access logging', () => put(bucket, 'logging', doc()), () => renderLogging(area, bucket));
    }, { class: 'adm-btn adm-btn-primary' })],
  });
}

// ---- website

async function renderWebsite(area, bucket) {
  const r = await load(() => get(bucket, 'website'));
  if (r.state === 'error') { frame(area, { banner: errorNote(r.err, 'view the website configuration') }); return; }
  const root = r.state === 'ok' ? rootOf(r.res) : null;
  const ra = root && kid(root, 'RedirectAllRequestsTo');
  const rr = root && kid(root, 'RoutingRules');
  const mode = field('Mode', 'select', { options: [['index', 'Serve this bucket as a website'], ['redirect', 'Redirect every request to another host']], value: ra ? 'redirect' : 'index' });
  const idx = field('Index document', 'text', { value: root && kid(root, 'IndexDocument') ? kidText(kid(root, 'IndexDocument'), 'Suffix') : 'index.html' });
  const errDoc = field('Error document (optional)', 'text', { value: root && kid(root, 'ErrorDocument') ? kidText(kid(root, 'ErrorDocument'), 'Key') : '', placeholder: '404.html' });
  const rules = field('Routing rules (XML, optional)', 'textarea', { value: rr ? prettyXml(new XMLSerializer().serializeToString(rr).replace(/ xmlns="[^"]*"/g, '')) : '', rows: 5, mono: true, help: '<RoutingRules>…</RoutingRules>, kept as is.' });
  const host = field('Host name', 'text', { value: ra ? kidText(ra, 'HostName') : '' });
  const proto = field('Protocol', 'select', { options: [['', 'Same as the request'], ['http', 'http'], ['https', 'https']], value: ra ? kidText(ra, 'Protocol') : '' });
  const pv = preview();
  const doc = () => (mode.input.value === 'redirect'
    ? `<WebsiteConfiguration xmlns="${NS}"><RedirectAllRequestsTo>${el('HostName', host.input.value.trim())}${el('Protocol', proto.input.value)}</RedirectAllRequestsTo></WebsiteConfiguration>`
    : `<WebsiteConfiguration xmlns="${NS}"><IndexDocument>${el('Suffix', idx.input.value.trim())}</IndexDocument>${errDoc.input.value.trim() ? `<ErrorDocument>${el('Key', errDoc.input.value.trim())}</ErrorDocument>` : ''}${rules.input.value.trim()}</WebsiteConfiguration>`);
  const upd = () => {
    const red = mode.input.value === 'redirect';
    idx.wrap.hidden = errDoc.wrap.hidden = rules.wrap.hidden = red; host.wrap.hidden = proto.wrap.hidden = !red;
    pv.update(`PUT ${bucketPath(bucket, 'website')}\n\n${prettyXml(doc())}`);
  };
  [mode, idx, errDoc, rules, host, proto].forEach((f) => { f.input.addEventListener('input', upd); f.input.addEventListener('change', upd); }); upd();
  const st = statusLine();
  frame(area, {
    intro: 'Serve the bucket as a static website (objects must be readable anonymously: see Bucket policy and Block Public Access).',
    banner: r.state === 'none' ? currentBanner(r) : h('p', { class: 'adm-note', 'data-state': 'ok' }, 'Website hosting is on.'),
    form: h('form', { class: 'adm-form' }, mode.wrap, idx.wrap, errDoc.wrap, rules.wrap, host.wrap, proto.wrap), pv, status: st,
    buttons: [button('Save', async () => {
      if (mode.input.value === 'redirect' && !host.input.value.trim()) { st.err({ code: 'InvalidArgument', message: 'Give a host name.' }); return; }
      if (mode.input.value === 'index' && (!idx.input.value.trim() || idx.input.value.includes('/'))) { st.err({ code: 'InvalidArgument', message: 'The index document must be a name without "/".' }); return; }
      await save(st, 'the website configuration', () => put(bucket, 'website', doc()), () => renderWebsite(area, bucket));
    }, { class: 'adm-btn adm-btn-primary' }),
    r.state === 'ok' ? button('Turn website hosting off', () => save(st, 'the website configuration', () => del(bucket, 'website'), () => renderWebsite(area, bucket)), { class: 'adm-btn adm-btn-danger' }) : null],
  });
}

// ---- tags

async function renderTags(area, bucket) {
  const r = await load(() => get(bucket, 'tagging'));
  if (r.state === 'error') { frame(area, { banner: errorNote(r.err, 'view the bucket tags') }); return; }
  const tags = r.state === 'ok' ? Array.from(rootOf(r.res).getElementsByTagNameNS('*', 'Tag')).map((t) => ({ key: kidText(t, 'Key'), value: kidText(t, 'Value') })) : [];
  const list = h('div', {});
  const pv = preview();
  const st = statusLine();
  const doc = () => `<Tagging xmlns="${NS}"><TagSet>${tags.map((t) => `<Tag>${el('Key', t.key)}<Value>${xmlEscape(t.value)}</Value></Tag>`).join('')}</TagSet></Tagging>`;
  const upd = () => pv.update(tags.length ? `PUT ${bucketPath(bucket, 'tagging')}\n\n${prettyXml(doc())}` : `DELETE ${bucketPath(bucket, 'tagging')}`);
  const draw = () => {
    clear(list);
    if (!tags.length) list.append(h('p', { class: 'adm-note' }, 'No tags.'));
    tags.forEach((t, i) => {
      const k = field('Key', 'text', { value: t.key });
      const v = field('Value', 'text', { value: t.value });
      k.input.addEventListener('input', () => { t.key = k.input.value; upd(); });
      v.input.addEventListener('input', () => { t.value = v.input.value; upd(); });
      list.append(h('div', { class: 'adm-row' }, k.wrap, v.wrap, button('Remove', () => { tags.splice(i, 1); draw(); }, { class: 'adm-btn adm-btn-small', label: `Remove tag ${i + 1}` })));
    });
    upd();
  };
  draw();
  frame(area, {
    intro: 'Tags label the bucket (at most 50; keys up to 128 and values up to 256 characters).',
    banner: r.state === 'none' ? currentBanner(r) : null,
    form: h('div', { class: 'adm-form' }, list), pv, status: st,
    buttons: [button('Add tag', () => { tags.push({ key: '', value: '' }); draw(); }),
      button('Save tags', async () => {
        const keys = tags.map((t) => t.key);
        if (keys.some((k) => !k)) { st.err({ code: 'InvalidTag', message: 'Every tag needs a key.' }); return; }
        if (new Set(keys).size !== keys.length) { st.err({ code: 'InvalidTag', message: 'Tag keys must be different.' }); return; }
        if (tags.length > 50 || tags.some((t) => t.key.length > 128 || t.value.length > 256)) { st.err({ code: 'InvalidTag', message: 'At most 50 tags, keys up to 128 and values up to 256 characters.' }); return; }
        await save(st, 'the tags', () => (tags.length ? put(bucket, 'tagging', doc()) : del(bucket, 'tagging')), () => renderTags(area, bucket));
      }, { class: 'adm-btn adm-btn-primary' })],
  });
}

// ---- quota (server administrator)

async function renderQuota(area, bucket) {
  const path = `/v1/quota/bucket/${encodeURIComponent(bucket)}`;
  let cur;
  try { cur = await admin('GET', path); } catch (e) { frame(area, { banner: errorNote(e, 'view the quota') }); return; }
  const q = (cur && (cur.quota || cur)) || {};
  const usage = (cur && cur.usage) || null;
  const mb = field('Maximum bytes', 'number', { value: q.max_bytes ?? '', help: 'Empty: no limit.' });
  const mo = field('Maximum objects', 'number', { value: q.max_objects ?? '', help: 'Empty: no limit.' });
  const pv = preview('What the server receives');
  const body = () => JSON.stringify({ max_bytes: mb.input.value.trim() === '' ? null : Number(mb.input.value), max_objects: mo.input.value.trim() === '' ? null : Number(mo.input.value) });
  const upd = () => pv.update(`PUT ${path}\n\n${body()}`);
  [mb, mo].forEach((f) => f.input.addEventListener('input', upd)); upd();
  const st = statusLine();
  frame(area, {
    intro: 'A quota refuses uploads that would take the bucket beyond it (server administrator only).',
    banner: usage ? h('p', { class: 'adm-note' }, `Now: ${formatBytes(usage.bytes || 0)} in ${usage.objects ?? 0} object(s).`) : null,
    form: h('form', { class: 'adm-form' }, h('div', { class: 'adm-row' }, mb.wrap, mo.wrap)), pv, status: st,
    buttons: [button('Save quota', async () => {
      for (const f of [mb, mo]) if (f.input.value.trim() !== '' && !isWhole(f.input.value.trim())) { st.err({ code: 'InvalidInput', message: 'Limits are whole numbers.' }); return; }
      await save(st, 'the quota', () => admin('PUT', path, { body: body() }), () => renderQuota(area, bucket));
    }, { class: 'adm-btn adm-btn-primary' })],
  });
}

// Boot (GET /console/session), sign-in page, shell (header, nav, sign-out) and the hash router.
//
// Routes call render(el, params): `el` is the <main> region (emptied), `params` holds the
// route's named segments (decoded) merged with the hash's query parameters (decoded), e.g.
//   #/buckets/photos?prefix=a%2F        → {name: 'photos', prefix: 'a/'}
//   #/buckets/photos/settings/cors      → {name: 'photos', section: 'cors'}
//   #/identity/users/alice              → {kind: 'users', name: 'alice'}
//   #/object/photos?key=a%2Fb.jpg       → {bucket: 'photos', key: 'a/b.jpg'}

import { h, clear, mount, toast, errorBox, field } from './dom.js';
import * as api from './api.js';
import { renderBuckets } from './buckets.js';
import { renderObjects, renderVersions, renderObject, resetUploads } from './objects.js';
import { renderSettings } from './settings.js';
import { renderIdentity, renderKms } from './identity.js';
import { renderMonitoring, renderAudit } from './monitoring.js';

const routes = [];

/** route('/buckets/:name/versions', fn): register a hash route (':x' = one segment, '*x' = the rest). */
export function route(pattern, render, opts = {}) {
  const names = [];
  const re = new RegExp('^' + pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\/:(\w+)/g, (_, n) => { names.push(n); return '/([^/]+)'; })
    .replace(/\/\*(\w+)/g, (_, n) => { names.push(n); return '(?:/(.*))?'; }) + '/?$');
  routes.push({ re, names, render, opts });
}

route('/buckets', renderBuckets);
route('/buckets/:name', renderObjects);
route('/buckets/:name/versions', renderVersions);
route('/buckets/:name/settings', renderSettings);
route('/buckets/:name/settings/:section', renderSettings);
route('/object/:bucket', renderObject);
route('/identity', (el, p) => renderIdentity(el, { ...p, kind: 'users' }));
route('/identity/:kind', renderIdentity);
route('/identity/:kind/:name', renderIdentity);
route('/kms', renderKms);
route('/kms/:id', renderKms);
route('/monitoring', renderMonitoring, { admin: true });
route('/audit', renderAudit, { admin: true });

/** Navigate to a hash route: go('/buckets/x', {prefix: 'a/'}). */
export function go(path, query) {
  location.hash = '#' + hashFor(path, query);
}

/** '#'-less hash for path + query (values encoded). */
export function hashFor(path, query) {
  const qs = query ? Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&') : '';
  return path + (qs ? '?' + qs : '');
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/buckets';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const params = {};
  if (q >= 0) {
    for (const part of raw.slice(q + 1).split('&')) {
      if (!part) continue;
      const eq = part.indexOf('=');
      const k = eq < 0 ? part : part.slice(0, eq);
      const v = eq < 0 ? '' : part.slice(eq + 1);
      try { params[decodeURIComponent(k)] = decodeURIComponent(v); } catch { params[k] = v; }
    }
  }
  return { path, params };
}

let mainEl, navEl, headerEl, renderSeq = 0;

async function dispatch() {
  if (!api.session) { showSignIn(); return; }
  if (!mainEl || !mainEl.isConnected) buildShell();
  const { path, params } = parseHash();
  if (path === '/signin') { go('/buckets'); return; }
  const seq = ++renderSeq;
  highlightNav(path);
  clear(mainEl);
  for (const r of routes) {
    const m = r.re.exec(path);
    if (!m) continue;
    r.names.forEach((n, i) => {
      if (m[i + 1] === undefined) return;
      try { params[n] = decodeURIComponent(m[i + 1]); } catch { params[n] = m[i + 1]; }
    });
    if (r.opts.admin && !api.isAdmin()) {
      mount(mainEl, h('section', { class: 'page' }, h('h1', { tabindex: '-1' }, 'Not available'),
        errorBox(new api.ApiError('AccessDenied', 403, 'Only the server administrator can see this page.'))));
      return;
    }
    try {
      params.renderSeq = seq;
      await r.render(mainEl, params);
    } catch (e) {
      console.warn('render failed', e);
      if (seq === renderSeq && mainEl && mainEl.isConnected) mount(mainEl, h('section', { class: 'page' }, h('h1', { tabindex: '-1' }, 'Something went wrong'), errorBox(e)));
    }
    if (seq === renderSeq) focusHeading();
    return;
  }
  mount(mainEl, h('section', { class: 'page' }, h('h1', { tabindex: '-1' }, 'Page not found'),
    h('p', null, 'There is no page at this address. ', h('a', { href: '#/buckets' }, 'Go to the buckets.'))));
}

/** Is `seq` (params.renderSeq) still the page on screen? Long loads check it before drawing. */
export function current(seq) {
  return seq === renderSeq;
}

let lastFocusedPath = null;
function focusHeading() {
  if (!mainEl || !mainEl.isConnected) return;
  const { path } = parseHash();
  if (path === lastFocusedPath) return;
  lastFocusedPath = path;
  const h1 = mainEl.querySelector('h1');
  if (h1) h1.focus({ preventScroll: true });
}

const NAV = [
  { href: '#/buckets', label: 'Buckets', match: /^\/(buckets|object)/ },
  { href: '#/identity/users', label: 'Users', group: 'Identity', match: /^\/identity(\/users(\/|$)|\/?$)/ },
  { href: '#/identity/groups', label: 'Groups', group: 'Identity', match: /^\/identity\/groups/ },
  { href: '#/identity/roles', label: 'Roles', group: 'Identity', match: /^\/identity\/roles/ },
  { href: '#/identity/policies', label: 'Policies', group: 'Identity', match: /^\/identity\/policies/ },
  { href: '#/kms', label: 'KMS keys', match: /^\/kms/ },
  { href: '#/monitoring', label: 'Monitoring', admin: true, match: /^\/monitoring/ },
  { href: '#/audit', label: 'Audit trail', admin: true, match: /^\/audit/ },
];

function buildShell() {
  const app = document.getElementById('app');
  const ident = api.session.identity || {};
  const who = ident.type === 'user' ? `${ident.userName} (${ident.accountName || ident.accountId})` : `${ident.accountName || 'root'} root`;
  const menuBtn = h('button', { type: 'button', class: 'menu-button', 'aria-expanded': 'false', 'aria-controls': 'nav', 'aria-label': 'Menu' },
    h('span', { class: 'menu-icon', 'aria-hidden': 'true' }), 'Menu');
  const items = [];
  let group = null, groupList = null;
  for (const n of NAV) {
    if (n.admin && !ident.admin) continue;
    const a = h('a', { href: n.href, 'data-match': n.match.source }, n.label);
    if (n.group) {
      if (group !== n.group) {
        group = n.group;
        groupList = h('ul', { class: 'nav-sub' });
        items.push(h('li', { class: 'nav-group' }, h('span', { class: 'nav-group-label' }, n.group), groupList));
      }
      groupList.appendChild(h('li', null, a));
    } else {
      group = null;
      items.push(h('li', null, a));
    }
  }
  navEl = h('nav', { id: 'nav', class: 'nav', 'aria-label': 'Main' }, h('ul', null, items));
  menuBtn.addEventListener('click', () => {
    const open = navEl.classList.toggle('open');
    menuBtn.setAttribute('aria-expanded', String(open));
  });
  navEl.addEventListener('click', (e) => {
    if (e.target.closest('a')) { navEl.classList.remove('open'); menuBtn.setAttribute('aria-expanded', 'false'); }
  });
  const signOutBtn = h('button', { type: 'button', class: 'secondary small', id: 'sign-out', on: { click: doSignOut } }, 'Sign out');
  headerEl = h('header', { class: 'topbar' },
    menuBtn,
    h('a', { class: 'brand', href: '#/buckets' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), 'coffer'),
    h('div', { class: 'who' },
      h('span', { class: 'identity', id: 'identity-name', title: ident.arn || '' }, who),
      ident.admin ? h('span', { class: 'badge' }, 'admin') : null,
      signOutBtn));
  mainEl = h('main', { id: 'main', class: 'main', tabindex: '-1' });
  mount(app,
    h('a', { class: 'skip-link', href: '#main', on: { click: (e) => { e.preventDefault(); mainEl.focus(); } } }, 'Skip to content'),
    headerEl,
    h('div', { class: 'layout' }, navEl, mainEl),
    h('footer', { class: 'footer' }, `coffer ${api.session.version || ''} · region ${api.session.region || ''}`));
}

function highlightNav(path) {
  if (!navEl) return;
  for (const a of navEl.querySelectorAll('a[data-match]')) {
    const on = new RegExp(a.getAttribute('data-match')).test(path);
    if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
}

async function doSignOut() {
  resetUploads();
  await api.signOut();
  mainEl = null;
  lastFocusedPath = null;
  location.hash = '#/signin';
  showSignIn();
  toast('You are signed out.');
}

// ---------- sign-in ----------

function showSignIn(message) {
  mainEl = null;
  renderSeq++;
  // Nothing of the previous session stays on screen for the next person.
  const toasts = document.getElementById('toasts');
  if (toasts) clear(toasts);
  for (const d of document.querySelectorAll('dialog')) d.remove();
  const app = document.getElementById('app');
  const status = h('div', { class: 'signin-status', 'aria-live': 'polite' });
  if (message) status.appendChild(errorBox(message));

  const keyId = h('input', { type: 'text', name: 'accessKeyId', autocomplete: 'username', spellcheck: 'false', required: true });
  const secret = h('input', { type: 'password', name: 'secretAccessKey', autocomplete: 'current-password', required: true });
  const keyForm = h('form', { class: 'stack', id: 'signin-key', 'aria-label': 'Sign in with an access key' },
    field('Access key ID', keyId),
    field('Secret access key', secret),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'));

  const account = h('input', { type: 'text', name: 'account', autocomplete: 'organization', spellcheck: 'false' });
  const user = h('input', { type: 'text', name: 'userName', autocomplete: 'username', spellcheck: 'false', required: true });
  const pass = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const newPass = h('input', { type: 'password', name: 'newPassword', autocomplete: 'new-password', minlength: '8' });
  const newPass2 = h('input', { type: 'password', name: 'newPassword2', autocomplete: 'new-password', minlength: '8' });
  const newPassBox = h('div', { class: 'stack new-password', hidden: true },
    h('p', { class: 'note' }, 'You must choose a new password before you continue.'),
    field('New password', newPass, 'At least 8 characters.'),
    field('Repeat the new password', newPass2));
  const userForm = h('form', { class: 'stack', id: 'signin-user', 'aria-label': 'Sign in as an IAM user', hidden: true },
    field('Account ID or name (optional)', account, 'Leave empty for the default account.'),
    field('User name', user),
    field('Password', pass),
    newPassBox,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'));

  const tabKey = h('button', { type: 'button', role: 'tab', id: 'tab-key', 'aria-selected': 'true', 'aria-controls': 'signin-key' }, 'Access key');
  const tabUser = h('button', { type: 'button', role: 'tab', id: 'tab-user', 'aria-selected': 'false', 'aria-controls': 'signin-user', tabindex: '-1' }, 'IAM user');
  const select = (which) => {
    const k = which === 'key';
    tabKey.setAttribute('aria-selected', String(k));
    tabUser.setAttribute('aria-selected', String(!k));
    tabKey.tabIndex = k ? 0 : -1;
    tabUser.tabIndex = k ? -1 : 0;
    keyForm.hidden = !k;
    userForm.hidden = k;
    clear(status);
    (k ? keyId : user).focus();
  };
  tabKey.addEventListener('click', () => select('key'));
  tabUser.addEventListener('click', () => select('user'));
  for (const t of [tabKey, tabUser]) {
    t.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') { e.preventDefault(); select(t === tabKey ? 'user' : 'key'); (t === tabKey ? tabUser : tabKey).focus(); }
    });
  }

  const attempt = async (form, body) => {
    const btn = form.querySelector('button[type=submit]');
    let keepDisabled = false;
    btn.disabled = true;
    clear(status);
    status.appendChild(h('p', { class: 'muted' }, 'Signing in…'));
    try {
      await api.signIn(body);
      clear(status);
      if (!location.hash || location.hash === '#/signin' || location.hash === '#') location.hash = '#/buckets';
      mainEl = null;
      await dispatch();
    } catch (e) {
      clear(status);
      if (e.code === 'PasswordResetRequired') {
        newPassBox.hidden = false;
        newPass.required = true;
        newPass2.required = true;
        status.appendChild(errorBox(e));
        newPass.focus();
      } else if (e.code === 'TooManyAttempts') {
        const wait = e.retryAfterSeconds;
        status.appendChild(errorBox({ friendly: `Too many failed attempts. Try again in ${wait ?? 'a few'} second${wait === 1 ? '' : 's'}.`, code: e.code }));
        if (wait) {
          keepDisabled = true;
          setTimeout(() => { btn.disabled = false; }, wait * 1000);
        }
      } else {
        status.appendChild(errorBox(e));
      }
    } finally {
      if (!keepDisabled) btn.disabled = false;
    }
  };

  keyForm.addEventListener('submit', (e) => {
    e.preventDefault();
    attempt(keyForm, { accessKeyId: keyId.value.trim(), secretAccessKey: secret.value });
  });
  userForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = { userName: user.value.trim(), password: pass.value };
    if (account.value.trim()) body.account = account.value.trim();
    if (!newPassBox.hidden) {
      if (newPass.value !== newPass2.value) {
        mount(status, errorBox({ friendly: 'The two new passwords are not the same.', code: 'PasswordMismatch' }));
        return;
      }
      body.newPassword = newPass.value;
    }
    attempt(userForm, body);
  });

  mount(app,
    h('main', { class: 'signin', id: 'main' },
      h('div', { class: 'signin-card' },
        h('div', { class: 'brand brand-large' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), 'coffer'),
        h('h1', null, 'Sign in to the console'),
        h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'How to sign in' }, tabKey, tabUser),
        keyForm, userForm, status)));
  document.title = 'Sign in · coffer';
  keyId.focus();
}

// ---------- boot ----------

window.addEventListener('coffer:expired', (e) => {
  const err = e.detail || {};
  showSignIn({ friendly: err.code === 'NotSignedIn' ? 'You are not signed in (any more).' : 'Your session has expired; sign in again.', code: err.code });
});
window.addEventListener('hashchange', () => { dispatch(); });
window.addEventListener('unhandledrejection', (e) => {
  const err = e.reason;
  if (err instanceof api.ApiError) {
    e.preventDefault();
    toast(err.friendly, { error: true, code: err.code });
  }
});

// When the session's credentials run out, go to the sign-in page instead of failing calls.
let expiryTimer;
function watchExpiry() {
  clearTimeout(expiryTimer);
  const left = api.credentialsSecondsLeft();
  if (!Number.isFinite(left)) return;
  expiryTimer = setTimeout(() => {
    if (!api.session) return;
    api.signOut();
    showSignIn({ friendly: 'Your session has expired; sign in again.', code: 'ExpiredToken' });
  }, Math.min(Math.max(left, 0) * 1000, 2 ** 31 - 1));
}
window.addEventListener('coffer:session', watchExpiry);

async function boot() {
  try {
    await api.loadSession();
  } catch (e) {
    showSignIn(e);
    return;
  }
  await dispatch();
}

boot();

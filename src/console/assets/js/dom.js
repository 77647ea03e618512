// DOM helpers. Text only: every string becomes a text node or an attribute value set with
// setAttribute; nothing is ever parsed as HTML.

const SAFE_ATTRS = new Set([
  'class', 'for', 'id', 'type', 'value', 'name', 'method', 'placeholder', 'title', 'role', 'tabindex',
  'min', 'max', 'step', 'maxlength', 'minlength', 'pattern', 'autocomplete', 'accept', 'rows', 'cols',
  'colspan', 'scope', 'src', 'alt', 'width', 'height', 'download', 'target', 'rel', 'lang', 'size',
  'spellcheck', 'inputmode', 'open', 'sandbox', 'datetime', 'hidden', 'form', 'list', 'viewBox', 'fill',
  'stroke', 'd', 'focusable', 'x', 'y', 'cx', 'cy', 'r', 'points', 'transform',
]);
const BOOL_PROPS = new Set(['disabled', 'checked', 'selected', 'readonly', 'required', 'multiple', 'hidden', 'open', 'autofocus']);

/** Is `url` allowed in href/src: same-document hash, same-origin path, blob:, or http(s). */
export function safeUrl(url) {
  const s = String(url);
  // Same-origin paths, but never /api/ (the server refuses navigations there) and never
  // `/\` (browsers read it as `//`, another host).
  if (s.startsWith('/') && (s.startsWith('//') || s.startsWith('/\\') || s === '/api' || s.startsWith('/api/'))) return false;
  if (s.startsWith('#') || s.startsWith('/') || s.startsWith('blob:')) return true;
  return /^https?:\/\//i.test(s);
}

/**
 * h('button', {class: 'primary', on: {click: fn}}, 'Save') → element.
 * attrs: class, id, for, type, value, aria-*, data-*, href/src (checked by safeUrl), boolean
 * properties (disabled, checked, …), on: {event: handler}, text: 'x' (textContent).
 * children: strings (text nodes), nodes, arrays, null/undefined/false (skipped).
 */
export function h(tag, attrs, ...children) {
  const el = tag.startsWith('svg:')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'on') {
        for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
      } else if (k === 'text') {
        el.textContent = String(v);
      } else if (k === 'href' || k === 'src') {
        if (!safeUrl(v)) throw new Error(`h(): refusing ${k}=${String(v).slice(0, 40)}`);
        el.setAttribute(k, String(v));
      } else if (k === 'value' && ('value' in el) && !(el instanceof SVGElement)) {
        el.value = String(v);
        el.setAttribute('value', String(v));
      } else if (BOOL_PROPS.has(k)) {
        if (k in el) el[k] = !!v;
        if (v) el.setAttribute(k, '');
      } else if (k.startsWith('aria-') || k.startsWith('data-') || SAFE_ATTRS.has(k)) {
        el.setAttribute(k, v === true ? '' : String(v));
      } else if (k === 'className') {
        el.setAttribute('class', String(v));
      } else {
        throw new Error(`h(): attribute ${k} not allowed`);
      }
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false || c === true) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Remove every child of el; returns el. */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** Replace el's children with children. */
export function mount(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

let toastRegion;
function toastHost() {
  if (!toastRegion || !toastRegion.isConnected) {
    toastRegion = document.getElementById('toasts');
    if (!toastRegion) {
      toastRegion = h('div', { id: 'toasts', class: 'toasts', 'aria-live': 'polite', role: 'status' });
      document.body.appendChild(toastRegion);
    }
  }
  return toastRegion;
}

/** A transient message in a live region. toast('Saved') / toast(text, {error: true, code}). */
export function toast(message, opts = {}) {
  const t = h('div', { class: 'toast' + (opts.error ? ' toast-error' : '') , role: opts.error ? 'alert' : undefined },
    h('span', null, String(message)),
    opts.code ? h('small', { class: 'code' }, String(opts.code)) : null,
    h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss', on: { click: () => t.remove() } }, '×'));
  const host = toastHost();
  host.appendChild(t);
  // Keep the stack short: the oldest messages go first.
  while (host.children.length > 3) host.firstElementChild.remove();
  setTimeout(() => t.remove(), opts.error ? 10000 : 5000);
  return t;
}

/** A modal <dialog> with arbitrary content; returns {dialog, close}. Removed from the DOM when closed. */
export function modal(title, ...content) {
  const heading = h('h2', { id: 'dlg-' + Math.random().toString(36).slice(2) }, title);
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': heading.id }, heading, ...content);
  dialog.addEventListener('close', () => dialog.remove());
  document.body.appendChild(dialog);
  dialog.showModal();
  return { dialog, close: () => dialog.close() };
}

/**
 * confirmDialog({title, text, typeToConfirm, confirmLabel, danger, extra}) → Promise<boolean>.
 * With typeToConfirm the confirm button stays disabled until that exact text is typed.
 * extra: optional nodes (e.g. an "empty it first" checkbox) shown above the buttons.
 */
export function confirmDialog({ title, text, typeToConfirm, confirmLabel = 'Confirm', danger = true, extra } = {}) {
  return new Promise((resolve) => {
    let answered = false;
    const ok = h('button', { type: 'submit', class: danger ? 'danger' : 'primary', disabled: !!typeToConfirm }, confirmLabel);
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    let input = null;
    const inputId = 'confirm-' + Math.random().toString(36).slice(2);
    if (typeToConfirm) {
      input = h('input', { id: inputId, type: 'text', autocomplete: 'off', spellcheck: 'false',
        on: { input: () => { ok.disabled = input.value !== typeToConfirm; } } });
    }
    const form = h('form', { method: 'dialog', class: 'stack' },
      text ? h('p', null, text) : null,
      typeToConfirm ? h('label', { for: inputId }, 'Type ', h('strong', { class: 'mono' }, typeToConfirm), ' to confirm') : null,
      input,
      extra || null,
      h('div', { class: 'actions' }, cancel, ok));
    const { dialog, close } = modal(title, form);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (typeToConfirm && input.value !== typeToConfirm) return;
      answered = true; resolve(true); close();
    });
    cancel.addEventListener('click', () => { answered = true; resolve(false); close(); });
    dialog.addEventListener('close', () => { if (!answered) resolve(false); });
    (input || ok).focus();
  });
}

/** 1536 → "1.5 KiB". */
export function formatBytes(n) {
  if (n === undefined || n === null || n === '' || Number.isNaN(Number(n))) return '—';
  n = Number(n);
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = -1;
  do { n /= 1024; i++; } while (n >= 1024 && i < units.length - 1);
  return `${n < 10 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}

/** An ISO date (or Date, or ms) as a local date and time; '—' when missing. */
export function formatDate(d) {
  if (d === undefined || d === null || d === '') return '—';
  const date = d instanceof Date ? d : new Date(typeof d === 'number' ? d : String(d));
  if (Number.isNaN(date.getTime())) return String(d);
  return date.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** An error as a box: the friendly sentence, the code in small print. */
export function errorBox(err) {
  const friendly = (err && (err.friendly || err.message)) || String(err);
  const code = err && err.code;
  return h('div', { class: 'error-box', role: 'alert' },
    h('span', null, friendly),
    code ? h('small', { class: 'code' }, code) : null);
}

/** A page: <h1> + content, in a section. */
export function page(title, ...content) {
  return h('section', { class: 'page' }, h('h1', { tabindex: '-1' }, title), ...content);
}

/** Skeleton rows (loading placeholder) for a table with `cols` columns. */
export function skeletonRows(cols, rows = 8) {
  const out = [];
  for (let i = 0; i < rows; i++) {
    const cells = [];
    for (let c = 0; c < cols; c++) cells.push(h('td', null, h('span', { class: 'skeleton' })));
    out.push(h('tr', { class: 'skeleton-row', 'aria-hidden': 'true' }, cells));
  }
  return out;
}

/** A table in a horizontally scrolling wrapper. headers: strings or nodes. Returns {wrap, table, tbody}. */
export function table(headers, { caption, className } = {}) {
  const tbody = h('tbody');
  const t = h('table', { class: 'table' + (className ? ' ' + className : '') },
    caption ? h('caption', { class: 'sr-only' }, caption) : null,
    h('thead', null, h('tr', null, headers.map((x) => h('th', { scope: 'col' }, x)))),
    tbody);
  const wrap = h('div', { class: 'table-wrap' }, t);
  return { wrap, table: t, tbody };
}

/** A labelled form field. field('Name', input) → <div class=field><label for>…</label>input</div> */
let fieldSeq = 0;
export function field(label, input, hint) {
  if (!input.id) input.id = 'f' + (++fieldSeq);
  const hintEl = hint ? h('small', { class: 'hint', id: input.id + '-hint' }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, hintEl);
}

/** A hash link: link('#/buckets', 'Buckets'). */
export function link(href, ...children) {
  return h('a', { href }, ...children);
}

/** Encode a value for the hash route (encodeURIComponent). */
export const enc = encodeURIComponent;

// Objects: the browser (folders by prefix, pages of 100 via continuation tokens), uploads
// (files, folders, drag and drop; multipart with progress, cancel and resume), downloads,
// share links, delete, copy/move/rename, object details (metadata, tags, preview) and
// versions (restore, undelete, permanent delete, object-lock state).

import { h, clear, mount, toast, modal, confirmDialog, formatBytes, formatDate, errorBox, page, skeletonRows, table, field } from './dom.js';
import * as api from './api.js';
import { xml, xmlDoc, xmlText, xmlAll, xmlChild, S3_NS, uriEncode, encodeKeyPath } from './api.js';
import { current } from './app.js';

const PAGE_SIZE = 100;
const MULTIPART_THRESHOLD = 16 * 1024 * 1024;
const PART_SIZE = 8 * 1024 * 1024;
const PART_CONCURRENCY = 4;
const FILE_CONCURRENCY = 3;
const PREVIEW_CAP = 10 * 1024 * 1024;
const RESUME_KEY = 'coffer.console.multipart';

/** A small decorative SVG icon (aria-hidden). */
function icon(kind) {
  const d = kind === 'folder'
    ? 'M1.5 3.5a1 1 0 0 1 1-1h3.6l1.4 1.6h6a1 1 0 0 1 1 1v7.4a1 1 0 0 1-1 1h-11a1 1 0 0 1-1-1z'
    : 'M3.5 1.5h6l3 3v10h-9z M9.5 1.5v3h3';
  return h('svg:svg', { class: `icon icon-${kind}`, viewBox: '0 0 16 16', width: '16', height: '16', 'aria-hidden': 'true', focusable: 'false' },
    h('svg:path', { d }));
}

const hashBucket = (b) => '#/buckets/' + encodeURIComponent(b);
const hashObject = (b, k, versionId) => `#/object/${encodeURIComponent(b)}?key=${encodeURIComponent(k)}${versionId ? '&versionId=' + encodeURIComponent(versionId) : ''}`;
const hashPrefix = (b, p) => hashBucket(b) + (p ? '?prefix=' + encodeURIComponent(p) : '');
const baseName = (k) => { const t = k.endsWith('/') ? k.slice(0, -1) : k; return t.slice(t.lastIndexOf('/') + 1) || k; };

/** The copy-source header value for bucket/key (and a version). */
function copySource(bucket, key, versionId) {
  return '/' + uriEncode(bucket) + '/' + encodeKeyPath(key) + (versionId ? '?versionId=' + uriEncode(versionId) : '');
}

/** Breadcrumbs: bucket / a / b / */
function breadcrumbs(bucket, prefix, extra) {
  const parts = prefix ? prefix.split('/').filter((p, i, a) => p !== '' || i < a.length - 1) : [];
  const items = [h('li', null, h('a', { href: '#/buckets' }, 'Buckets')), h('li', null, h('a', { href: hashBucket(bucket) }, bucket))];
  let acc = '';
  for (const p of parts) {
    acc += p + '/';
    items.push(h('li', null, h('a', { href: hashPrefix(bucket, acc) }, p || '(empty)')));
  }
  if (extra) items.push(h('li', null, h('span', { 'aria-current': 'page' }, extra)));
  return h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumbs' }, h('ol', null, items));
}

async function bucketVersioning(bucket) {
  try {
    const r = await api.s3('GET', bucket, '', { query: { versioning: '' } });
    return xmlText(r.xml, 'Status') || '';
  } catch { return ''; }
}

async function bucketLockEnabled(bucket) {
  try {
    const r = await api.s3('GET', bucket, '', { query: { 'object-lock': '' } });
    return xmlText(r.xml, 'ObjectLockEnabled') === 'Enabled';
  } catch { return false; }
}

/**
 * A key from a listing asked for with `encoding-type=url`: keys holding characters XML
 * 1.0 cannot carry (control characters) would otherwise make the whole answer unreadable.
 */
function urlKey(encoded) {
  try { return decodeURIComponent(encoded.replace(/\+/g, '%20')); } catch { return encoded; }
}

/** Start a download of bucket/key (a version) by navigating to a presigned URL. */
export function download(bucket, key, versionId) {
  const name = baseName(key);
  const q = { 'response-content-disposition': `attachment; filename*=UTF-8''${uriEncode(name)}` };
  if (versionId) q.versionId = versionId;
  const a = h('a', { href: api.presign(bucket, key, 300, q), class: 'sr-only', rel: 'noreferrer' }, 'download');
  document.body.appendChild(a);
  a.click();
  a.remove();
}

// ---------------------------------------------------------------- object browser


export async function renderObjects(el, params) {
  const bucket = params.name;
  const prefix = params.prefix || '';
  const seq = params.renderSeq;
  document.title = `${bucket} · coffer`;
  let filter = '';
  let tokens = [undefined]; // tokens[i]: the continuation token of page i (0-based)
  let pageIndex = 0;
  let sort = { by: 'name', dir: 1 };
  try {
    const saved = JSON.parse(localStorage.getItem('coffer.console.sort') || 'null');
    if (saved && ['name', 'size', 'date'].includes(saved.by) && (saved.dir === 1 || saved.dir === -1)) sort = saved;
  } catch { /* a damaged saved sort order: the default */ }
  let rows = []; // current page items
  const selected = new Set();

  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  const filterInput = h('input', { type: 'search', id: 'prefix-filter', placeholder: 'Name starts with…', spellcheck: 'false', autocomplete: 'off' });
  const fileInput = h('input', { type: 'file', id: 'upload-files', multiple: true, class: 'visually-hidden-input' });
  const dirInput = h('input', { type: 'file', id: 'upload-folder', multiple: true, class: 'visually-hidden-input' });
  dirInput.setAttribute('webkitdirectory', '');
  fileInput.addEventListener('change', () => { enqueueFiles(bucket, [...fileInput.files].map((f) => ({ file: f, key: prefix + f.name }))); fileInput.value = ''; });
  dirInput.addEventListener('change', () => { enqueueFiles(bucket, [...dirInput.files].map((f) => ({ file: f, key: prefix + (f.webkitRelativePath || f.name) }))); dirInput.value = ''; });

  const deleteBtn = h('button', { type: 'button', class: 'danger', id: 'delete-selected', disabled: true, on: { click: () => deleteSelected() } }, 'Delete');
  const copyBtn = h('button', { type: 'button', class: 'secondary', id: 'copy-selected', disabled: true, on: { click: () => copyMoveDialog(bucket, selectedItems(), false, reload) } }, 'Copy');
  const moveBtn = h('button', { type: 'button', class: 'secondary', id: 'move-selected', disabled: true, on: { click: () => copyMoveDialog(bucket, selectedItems(), true, reload) } }, 'Move / rename');
  const versionsLink = h('a', { class: 'button-link', id: 'show-versions', href: `#/buckets/${encodeURIComponent(bucket)}/versions${prefix ? '?prefix=' + encodeURIComponent(prefix) : ''}`, hidden: true }, 'Show versions');

  const toolbar = h('div', { class: 'toolbar' },
    h('label', { for: 'upload-files', class: 'button primary', tabindex: '0', role: 'button' }, 'Upload files'), fileInput,
    h('label', { for: 'upload-folder', class: 'button secondary', tabindex: '0', role: 'button' }, 'Upload folder'), dirInput,
    h('button', { type: 'button', class: 'secondary', id: 'create-folder', on: { click: () => createFolder() } }, 'Create folder'),
    copyBtn, moveBtn, deleteBtn,
    h('span', { class: 'spacer' }),
    versionsLink,
    h('a', { class: 'button-link', href: `#/buckets/${encodeURIComponent(bucket)}/settings` }, 'Settings'),
    h('button', { type: 'button', class: 'secondary', id: 'refresh', 'aria-label': 'Refresh', title: 'Refresh', on: { click: () => reload() } }, '↻'));
  for (const lbl of toolbar.querySelectorAll('label.button')) {
    lbl.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); document.getElementById(lbl.getAttribute('for')).click(); } });
  }

  const selectAll = h('input', { type: 'checkbox', id: 'select-all', 'aria-label': 'Select all on this page' });
  const sortButton = (by, label) => h('button', { type: 'button', class: 'sort', 'data-sort': by, on: { click: () => { sort = { by, dir: sort.by === by ? -sort.dir : 1 }; localStorage.setItem('coffer.console.sort', JSON.stringify(sort)); drawRows(); } } }, label);
  const { wrap, table: tbl, tbody } = table([selectAll, sortButton('name', 'Name'), sortButton('size', 'Size'), sortButton('date', 'Last modified'), 'Storage class', h('span', { class: 'sr-only' }, 'Actions')], { caption: `Objects in ${bucket}`, className: 'objects' });
  tbl.id = 'object-table';
  selectAll.addEventListener('change', () => {
    for (const r of rows) { if (selectAll.checked) selected.add(r.key); else selected.delete(r.key); }
    drawRows();
  });

  const prevBtn = h('button', { type: 'button', class: 'secondary', id: 'page-prev', disabled: true, on: { click: () => { if (pageIndex > 0) { pageIndex--; load(); } } } }, 'Previous');
  const nextBtn = h('button', { type: 'button', class: 'secondary', id: 'page-next', disabled: true, on: { click: () => { if (tokens[pageIndex + 1] !== undefined) { pageIndex++; load(); } } } }, 'Next');
  const pageInfo = h('span', { class: 'page-info', id: 'page-info', 'aria-live': 'polite' });
  const pager = h('div', { class: 'pager' }, prevBtn, pageInfo, nextBtn);

  const drop = h('div', { class: 'dropzone', id: 'dropzone' }, wrap, h('p', { class: 'drop-hint' }, 'Drop files or folders here to upload them to ', h('span', { class: 'mono' }, `${bucket}/${prefix}`), '.'));

  mount(el, page(prefix ? baseName(prefix) + '/' : bucket,
    breadcrumbs(bucket, prefix),
    toolbar,
    h('div', { class: 'filter-row' }, field('Filter this folder', filterInput)),
    status, drop, pager));

  // drag and drop (files and folders)
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('dragging'); });
  drop.addEventListener('dragleave', (e) => { if (!drop.contains(e.relatedTarget)) drop.classList.remove('dragging'); });
  drop.addEventListener('drop', async (e) => {
    e.preventDefault();
    drop.classList.remove('dragging');
    const items = [...(e.dataTransfer.items || [])];
    const entries = items.map((i) => (i.webkitGetAsEntry ? i.webkitGetAsEntry() : null)).filter(Boolean);
    let files = [];
    if (entries.length) {
      for (const entry of entries) files = files.concat(await readEntry(entry));
    } else {
      files = [...e.dataTransfer.files].map((f) => ({ file: f, path: f.name }));
    }
    enqueueFiles(bucket, files.map((f) => ({ file: f.file, key: prefix + f.path })));
  });

  let filterTimer;
  filterInput.addEventListener('input', () => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => { filter = filterInput.value; tokens = [undefined]; pageIndex = 0; load(); }, 300);
  });

  const onUploaded = (e) => { if (e.detail.bucket === bucket && current(seq)) { reload(); drawResumable(); } };
  window.addEventListener('coffer:uploaded', onUploaded);
  window.addEventListener('hashchange', () => window.removeEventListener('coffer:uploaded', onUploaded), { once: true });

  bucketVersioning(bucket).then((v) => { if (v) versionsLink.hidden = false; });
  drawResumable();

  // Multipart uploads of this bucket left unfinished (page closed, network lost): say how
  // to finish them, or discard them (AbortMultipartUpload).
  function drawResumable() {
    const active = new Set(uploads.filter((u) => !u.done && !u.cancelled).map((u) => u.uploadId));
    const pending = loadResume().filter((r) => r.bucket === bucket && !active.has(r.uploadId));
    const box = el.querySelector('#resumable') || h('div', { id: 'resumable', class: 'note resumable', 'aria-live': 'polite' });
    clear(box);
    if (!pending.length) { box.remove(); return; }
    box.appendChild(h('p', null, `${pending.length} unfinished upload${pending.length === 1 ? '' : 's'} in this bucket. Pick the same file again in the same folder to resume, or discard:`));
    box.appendChild(h('ul', null, pending.map((r) => h('li', null,
      h('span', { class: 'mono' }, r.key), ` (${formatBytes(r.size)}) `,
      h('button', { type: 'button', class: 'small secondary', 'aria-label': `Discard the unfinished upload of ${r.key}`, on: { click: async () => {
        saveResume(loadResume().filter((x) => x.uploadId !== r.uploadId));
        try { await api.s3('DELETE', bucket, r.key, { query: { uploadId: r.uploadId } }); } catch (e) { if (e.code !== 'NoSuchUpload') toast(e.friendly, { error: true, code: e.code }); }
        drawResumable();
      } } }, 'Discard')))));
    if (!box.isConnected) status.before(box);
  }

  function selectedItems() {
    return rows.filter((r) => selected.has(r.key));
  }
  function updateButtons() {
    const n = selected.size;
    deleteBtn.disabled = n === 0;
    copyBtn.disabled = n === 0;
    moveBtn.disabled = n === 0;
    deleteBtn.textContent = n ? `Delete (${n})` : 'Delete';
    selectAll.checked = rows.length > 0 && rows.every((r) => selected.has(r.key));
  }

  function drawRows() {
    clear(tbody);
    const folders = rows.filter((r) => r.folder);
    const files = rows.filter((r) => !r.folder);
    const cmp = {
      name: (a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
      size: (a, b) => (a.size - b.size) || (a.key < b.key ? -1 : 1),
      date: (a, b) => (Date.parse(a.date || 0) - Date.parse(b.date || 0)) || (a.key < b.key ? -1 : 1),
    }[sort.by];
    folders.sort((a, b) => (sort.by === 'name' ? cmp(a, b) * sort.dir : (a.key < b.key ? -1 : 1)));
    files.sort((a, b) => cmp(a, b) * sort.dir);
    for (const th of tbl.querySelectorAll('th')) th.removeAttribute('aria-sort');
    const activeBtn = tbl.querySelector(`button[data-sort="${sort.by}"]`);
    if (activeBtn) activeBtn.parentElement.setAttribute('aria-sort', sort.dir > 0 ? 'ascending' : 'descending');
    if (!folders.length && !files.length) {
      tbody.appendChild(h('tr', null, h('td', { colspan: '6', class: 'empty' }, filter ? 'Nothing here starts with that.' : 'This folder is empty. Upload files or drop them here.')));
    }
    for (const r of [...folders, ...files]) {
      const name = r.key.slice(prefix.length) || r.key;
      const cb = h('input', { type: 'checkbox', 'aria-label': `Select ${name}`, checked: selected.has(r.key),
        on: { change: (e) => { if (e.target.checked) selected.add(r.key); else selected.delete(r.key); updateButtons(); } } });
      const nameCell = r.folder
        ? h('a', { href: hashPrefix(bucket, r.key), class: 'folder-link' }, icon('folder'), name)
        : h('a', { href: hashObject(bucket, r.key), class: 'object-link' }, icon('file'), name);
      tbody.appendChild(h('tr', { 'data-key': r.key, class: r.folder ? 'folder-row' : 'object-row' },
        h('td', { class: 'select' }, cb),
        h('td', { class: 'name' }, nameCell),
        h('td', { class: 'num' }, r.folder ? '—' : formatBytes(r.size)),
        h('td', { class: 'nowrap' }, r.folder ? '—' : formatDate(r.date)),
        h('td', null, r.folder ? 'Folder' : (r.storageClass || 'STANDARD')),
        h('td', { class: 'row-actions' }, r.folder ? null : [
          h('button', { type: 'button', class: 'small secondary', 'aria-label': `Download ${name}`, on: { click: () => download(bucket, r.key) } }, 'Download'),
          h('button', { type: 'button', class: 'small secondary', 'aria-label': `Share ${name}`, on: { click: () => shareDialog(bucket, r.key) } }, 'Share'),
        ])));
    }
    updateButtons();
  }

  async function load() {
    const mySeq = seq;
    mount(tbody, skeletonRows(6, 6));
    clear(status);
    prevBtn.disabled = true;
    nextBtn.disabled = true;
    const t0 = performance.now();
    let r;
    try {
      const query = { 'list-type': '2', delimiter: '/', 'max-keys': String(PAGE_SIZE), prefix: prefix + filter, 'encoding-type': 'url' };
      if (tokens[pageIndex] !== undefined) query['continuation-token'] = tokens[pageIndex];
      r = await api.s3('GET', bucket, '', { query });
    } catch (e) {
      if (!current(mySeq)) return;
      clear(tbody);
      rows = [];
      mount(status, errorBox(e));
      pageInfo.textContent = '';
      return;
    }
    if (!current(mySeq)) return;
    const doc = r.xml;
    rows = [
      ...xmlAll(doc, 'CommonPrefixes').map((p) => ({ key: urlKey(xmlChild(p, 'Prefix')), folder: true, size: 0 })),
      ...xmlAll(doc, 'Contents').map((c) => ({
        key: urlKey(xmlChild(c, 'Key')), size: Number(xmlChild(c, 'Size', '0')), date: xmlChild(c, 'LastModified'),
        etag: xmlChild(c, 'ETag'), storageClass: xmlChild(c, 'StorageClass'),
      })).filter((c) => c.key !== prefix), // the folder's own marker object
    ];
    selected.clear();
    const truncated = xmlText(doc, 'IsTruncated') === 'true';
    const next = xmlText(doc, 'NextContinuationToken');
    tokens.length = pageIndex + 1;
    if (truncated && next) tokens[pageIndex + 1] = next;
    prevBtn.disabled = pageIndex === 0;
    nextBtn.disabled = !(truncated && next);
    const first = pageIndex * PAGE_SIZE + 1;
    pageInfo.textContent = rows.length
      ? `Page ${pageIndex + 1} · items ${first}–${first + rows.length - 1}${truncated ? ' · more' : ''}`
      : `Page ${pageIndex + 1}`;
    tbl.setAttribute('data-page', String(pageIndex + 1));
    tbl.setAttribute('data-load-ms', String(Math.round(performance.now() - t0)));
    drawRows();
  }

  function reload() { load(); }

  async function createFolder() {
    const input = h('input', { type: 'text', spellcheck: 'false', autocomplete: 'off', required: true });
    const problem = h('p', { class: 'field-error', 'aria-live': 'polite' });
    const ok = h('button', { type: 'submit', class: 'primary' }, 'Create folder');
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const form = h('form', { class: 'stack' }, field('Folder name', input, `Created in ${bucket}/${prefix}`), problem, h('div', { class: 'actions' }, cancel, ok));
    const { close } = modal('Create folder', form);
    cancel.addEventListener('click', close);
    input.focus();
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const name = input.value.replace(/^\/+|\/+$/g, '');
      if (!name) { problem.textContent = 'Enter a folder name.'; return; }
      ok.disabled = true;
      try {
        await api.s3('PUT', bucket, prefix + name + '/', { body: '', responseType: 'none' });
        close();
        toast(`Folder ${name} created.`);
        reload();
      } catch (err) {
        ok.disabled = false;
        mount(problem, errorBox(err));
      }
    });
  }

  async function deleteSelected() {
    const items = selectedItems();
    if (!items.length) return;
    const folders = items.filter((i) => i.folder);
    const ok = await confirmDialog({
      title: items.length === 1 ? `Delete ${baseName(items[0].key)}?` : `Delete ${items.length} items?`,
      text: (folders.length ? 'Folders are deleted with everything in them. ' : '') +
        (versionsLink.hidden ? 'This cannot be undone.' : 'Versioning is on: older versions are kept and a deleted object can be brought back from "Show versions".'),
      confirmLabel: 'Delete',
    });
    if (!ok) return;
    const keys = items.filter((i) => !i.folder).map((i) => i.key);
    try {
      for (const f of folders) {
        let token;
        do {
          const q = { 'list-type': '2', prefix: f.key, 'max-keys': '1000', 'encoding-type': 'url' };
          if (token) q['continuation-token'] = token;
          const r = await api.s3('GET', bucket, '', { query: q });
          const batch = xmlAll(r.xml, 'Contents').map((c) => urlKey(xmlChild(c, 'Key')));
          if (batch.length) await deleteKeys(bucket, batch);
          token = xmlText(r.xml, 'IsTruncated') === 'true' ? xmlText(r.xml, 'NextContinuationToken') : '';
        } while (token);
      }
      if (keys.length) await deleteKeys(bucket, keys);
      toast(`Deleted ${items.length} item${items.length === 1 ? '' : 's'}.`);
    } catch (e) {
      toast(e.friendly, { error: true, code: e.code });
    }
    reload();
  }

  await load();
}

/** DeleteObjects in batches of 1000; throws the first per-key error. */
async function deleteKeys(bucket, keys, versions) {
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    const body = xmlDoc(xml('Delete', { xmlns: S3_NS }, xml('Quiet', null, 'true'),
      batch.map((k, j) => xml('Object', null, xml('Key', null, k), versions && versions[i + j] ? xml('VersionId', null, versions[i + j]) : null))));
    const r = await api.s3('POST', bucket, '', { query: { delete: '' }, body });
    const err = xmlAll(r.xml, 'Error')[0];
    if (err) throw new api.ApiError(xmlChild(err, 'Code'), 0, `${xmlChild(err, 'Key')}: ${xmlChild(err, 'Message')}`);
  }
}

/** Files of a dropped FileSystemEntry (recursively): [{file, path}] */
async function readEntry(entry) {
  if (entry.isFile) {
    const file = await new Promise((res, rej) => entry.file(res, rej));
    return [{ file, path: entry.fullPath.replace(/^\//, '') }];
  }
  if (!entry.isDirectory) return [];
  const reader = entry.createReader();
  const out = [];
  for (;;) {
    const batch = await new Promise((res, rej) => reader.readEntries(res, rej));
    if (!batch.length) break;
    for (const e of batch) out.push(...(await readEntry(e)));
  }
  return out;
}

// ---------------------------------------------------------------- copy / move / rename

function copyMoveDialog(bucket, items, move, done) {
  if (!items.length) return;
  const single = items.length === 1 && !items[0].folder;
  const destBucket = h('input', { type: 'text', value: bucket, spellcheck: 'false', required: true });
  const dest = h('input', { type: 'text', spellcheck: 'false', required: true, value: single ? items[0].key : (items[0].key.slice(0, items[0].key.lastIndexOf('/', items[0].key.length - 2) + 1)) });
  const status = h('div', { 'aria-live': 'polite' });
  const ok = h('button', { type: 'submit', class: 'primary' }, move ? (single ? 'Move / rename' : 'Move') : 'Copy');
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const form = h('form', { class: 'stack' },
    h('p', null, single ? `${move ? 'Move or rename' : 'Copy'} ${items[0].key}` : `${move ? 'Move' : 'Copy'} ${items.length} items into a folder`),
    field('Destination bucket', destBucket),
    field(single ? 'Destination key (full name)' : 'Destination folder (prefix, ends with /)', dest),
    status, h('div', { class: 'actions' }, cancel, ok));
  const { close } = modal(move ? 'Move / rename' : 'Copy', form);
  cancel.addEventListener('click', close);
  dest.focus();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    ok.disabled = true;
    const db = destBucket.value.trim();
    let pairs = [];
    try {
      if (single) pairs = [[items[0].key, dest.value]];
      else {
        let target = dest.value;
        if (target && !target.endsWith('/')) target += '/';
        for (const it of items) {
          if (it.folder) {
            let token;
            do {
              const q = { 'list-type': '2', prefix: it.key, 'max-keys': '1000', 'encoding-type': 'url' };
              if (token) q['continuation-token'] = token;
              const r = await api.s3('GET', bucket, '', { query: q });
              for (const c of xmlAll(r.xml, 'Contents')) { const k = urlKey(xmlChild(c, 'Key')); pairs.push([k, target + baseName(it.key) + '/' + k.slice(it.key.length)]); }
              token = xmlText(r.xml, 'IsTruncated') === 'true' ? xmlText(r.xml, 'NextContinuationToken') : '';
            } while (token);
          } else pairs.push([it.key, target + baseName(it.key)]);
        }
      }
      let n = 0;
      for (const [src, dst] of pairs) {
        if (db === bucket && src === dst) continue;
        mount(status, h('p', { class: 'muted' }, `${move ? 'Moving' : 'Copying'} ${++n} of ${pairs.length}…`));
        await api.s3('PUT', db, dst, { headers: { 'x-amz-copy-source': copySource(bucket, src) } });
        if (move) await api.s3('DELETE', bucket, src);
      }
      close();
      toast(`${move ? 'Moved' : 'Copied'} ${n} object${n === 1 ? '' : 's'}.`);
      done();
    } catch (err) {
      ok.disabled = false;
      mount(status, errorBox(err));
    }
  });
}

// ---------------------------------------------------------------- share

/** The share dialog: expiry, presigned URL, copy button. */
export function shareDialog(bucket, key, versionId) {
  const left = api.credentialsSecondsLeft();
  const options = [[900, '15 minutes'], [3600, '1 hour'], [43200, '12 hours'], [604800, '7 days']];
  const select = h('select', { id: 'share-expiry' }, options.map(([s, label]) => h('option', { value: String(s), disabled: s > left }, label + (s > left ? ' (longer than your session)' : ''))));
  const firstOk = options.find(([s]) => s <= left);
  if (firstOk) select.value = String(firstOk[0]);
  const note = left < 604800
    ? h('p', { class: 'note' }, `A shared link stops working when the credentials that signed it expire or you sign out: your session ends ${left === Infinity ? 'later' : 'in ' + humanSeconds(left)}, so longer links are not offered.`)
    : null;
  const urlInput = h('input', { type: 'text', id: 'share-url', readonly: true, spellcheck: 'false' });
  const copyBtn = h('button', { type: 'button', class: 'secondary', id: 'share-copy' }, 'Copy');
  const out = h('div', { class: 'share-out', hidden: true }, field('Link', urlInput), h('div', { class: 'actions' }, copyBtn));
  const gen = h('button', { type: 'button', class: 'primary', id: 'share-generate' }, 'Create link');
  const closeBtn = h('button', { type: 'button', class: 'secondary' }, 'Close');
  const status = h('div', { 'aria-live': 'polite' });
  const { close } = modal(`Share ${baseName(key)}`,
    h('div', { class: 'stack' },
      h('p', null, 'Anyone with the link can download this object until it expires.'),
      field('Link expires after', select), note,
      h('div', { class: 'actions' }, closeBtn, gen), out, status));
  closeBtn.addEventListener('click', close);
  if (!firstOk) { gen.disabled = true; mount(status, errorBox({ friendly: 'Your session is about to expire; sign in again to share.', code: 'ExpiredToken' })); }
  gen.addEventListener('click', () => {
    const q = {};
    if (versionId) q.versionId = versionId;
    urlInput.value = api.presign(bucket, key, Number(select.value), q);
    out.hidden = false;
    urlInput.focus();
    urlInput.select();
  });
  copyBtn.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(urlInput.value);
      mount(status, h('p', { class: 'ok' }, 'Link copied.'));
    } catch {
      urlInput.focus();
      urlInput.select();
      let copied = false;
      try { copied = document.execCommand('copy'); } catch { copied = false; }
      mount(status, h('p', { class: copied ? 'ok' : 'note' }, copied ? 'Link copied.' : 'Press Ctrl+C (⌘C) to copy the selected link.'));
    }
  });
}

function humanSeconds(s) {
  if (s < 120) return `${s} seconds`;
  if (s < 7200) return `${Math.round(s / 60)} minutes`;
  if (s < 172800) return `${Math.round(s / 3600)} hours`;
  return `${Math.round(s / 86400)} days`;
}

// ---------------------------------------------------------------- uploads

const uploads = []; // {id, bucket, key, file, loaded, status, bar, text, row, xhrs:Set, cancelled, uploadId}
let panel, overallBar, overallText, panelList;
let running = 0;
// Leaving the page stops running uploads (multipart ones can be resumed by picking the
// same file again): ask first.
window.addEventListener('beforeunload', (e) => {
  if (running > 0) { e.preventDefault(); e.returnValue = ''; }
});
let collapseTimer;
let setPanelOpen = () => {};
let seqId = 0;

function ensurePanel() {
  if (panel && panel.isConnected) return;
  overallBar = h('progress', { id: 'overall-progress', max: '1', value: '0', 'aria-label': 'Overall upload progress' });
  overallText = h('span', { class: 'overall-text', id: 'overall-text' });
  panelList = h('ul', { class: 'upload-list', id: 'upload-list' });
  const clearDone = () => { for (let i = uploads.length - 1; i >= 0; i--) if (uploads[i].done || uploads[i].cancelled) uploads.splice(i, 1); };
  const hide = h('button', { type: 'button', class: 'small secondary', on: { click: () => { clearDone(); redrawPanel(); } } }, 'Clear finished');
  const minimize = h('button', { type: 'button', class: 'small secondary', 'aria-expanded': 'true', 'aria-controls': 'upload-list', on: { click: () => setPanelOpen(panelList.hidden) } }, 'Minimize');
  setPanelOpen = (open) => {
    panelList.hidden = !open;
    minimize.setAttribute('aria-expanded', String(open));
    minimize.textContent = open ? 'Minimize' : 'Expand';
  };
  const closeBtn = h('button', { type: 'button', class: 'small secondary', id: 'upload-panel-close', 'aria-label': 'Close the uploads panel', on: { click: () => {
    clearDone();
    if (uploads.length) setPanelOpen(false);
    redrawPanel();
  } } }, '×');
  panel = h('section', { class: 'upload-panel', id: 'upload-panel', 'aria-label': 'Uploads', hidden: true },
    h('div', { class: 'upload-head' }, h('h2', null, 'Uploads'), h('div', { class: 'upload-head-buttons' }, hide, minimize, closeBtn)),
    h('div', { class: 'overall', 'aria-live': 'polite' }, overallBar, overallText),
    panelList);
  document.body.appendChild(panel);
}

function redrawPanel() {
  ensurePanel();
  clear(panelList);
  for (const u of uploads) panelList.appendChild(u.row);
  panel.hidden = uploads.length === 0;
  updateOverall();
}

function updateOverall() {
  const active = uploads.filter((u) => !u.cancelled);
  const total = active.reduce((a, u) => a + u.file.size, 0);
  const loaded = active.reduce((a, u) => a + Math.min(u.loaded, u.file.size), 0);
  overallBar.max = Math.max(total, 1);
  overallBar.value = total ? loaded : (active.length && active.every((u) => u.done) ? 1 : 0);
  const doneN = active.filter((u) => u.done && !u.error).length;
  overallText.textContent = `${doneN} of ${active.length} done · ${formatBytes(loaded)} of ${formatBytes(total)}`;
}

function setProgress(u) {
  u.bar.max = Math.max(u.file.size, 1);
  u.bar.value = u.file.size ? Math.min(u.loaded, u.file.size) : (u.done ? 1 : 0);
  updateOverall();
}

/** Queue files for upload: [{file, key}] into bucket. */
export function enqueueFiles(bucket, list) {
  ensurePanel();
  for (const { file, key } of list) {
    const u = { id: ++seqId, bucket, key, file, loaded: 0, status: 'waiting', xhrs: new Set(), cancelled: false, done: false };
    u.bar = h('progress', { max: String(Math.max(file.size, 1)), value: '0', 'aria-label': `Upload progress of ${key}`, 'data-key': key });
    u.text = h('span', { class: 'upload-status' }, 'Waiting');
    u.cancelBtn = h('button', { type: 'button', class: 'small secondary', 'aria-label': `Cancel upload of ${key}`, on: { click: () => cancelUpload(u) } }, 'Cancel');
    u.row = h('li', { class: 'upload-row', 'data-key': key },
      h('div', { class: 'upload-name', title: key }, key), u.bar, h('div', { class: 'upload-meta' }, h('span', null, formatBytes(file.size)), u.text, u.cancelBtn));
    uploads.push(u);
  }
  clearTimeout(collapseTimer);
  setPanelOpen(true);
  redrawPanel();
  pump();
}

function pump() {
  while (running < FILE_CONCURRENCY) {
    const u = uploads.find((x) => x.status === 'waiting' && !x.cancelled);
    if (!u) break;
    running++;
    u.status = 'running';
    u.text.textContent = 'Uploading';
    uploadOne(u).then(() => {
      u.done = true;
      u.text.textContent = 'Done';
      u.cancelBtn.remove();
      setProgress(u);
      window.dispatchEvent(new CustomEvent('coffer:uploaded', { detail: { bucket: u.bucket, key: u.key } }));
    }, (e) => {
      u.done = true;
      if (u.cancelled) { u.text.textContent = 'Cancelled'; return; }
      u.error = e;
      u.text.textContent = '';
      u.text.appendChild(errorBox(e));
      u.cancelBtn.remove();
      updateOverall();
    }).finally(() => {
      running--;
      if (uploads.every((x) => x.done || x.cancelled)) {
        const ok = uploads.filter((x) => x.done && !x.error && !x.cancelled && !x.announced);
        ok.forEach((x) => { x.announced = true; });
        if (ok.length) toast(`${ok.length} upload${ok.length === 1 ? '' : 's'} finished.`);
        // All went well: fold the list away after a moment so the panel stops covering the page.
        if (!uploads.some((x) => x.error)) {
          clearTimeout(collapseTimer);
          collapseTimer = setTimeout(() => { if (uploads.every((x) => x.done || x.cancelled)) setPanelOpen(false); }, 3000);
        }
      }
      pump();
    });
  }
}

/** One signed PUT through XHR with upload progress; resolves the XHR. */
function xhrPut(u, key, query, body, headers, onProgress) {
  return new Promise((resolve, reject) => {
    let signed;
    try {
      signed = api.signForApi({ method: 'PUT', path: api.s3Path(u.bucket, key), query, headers, bodyHash: api.UNSIGNED_PAYLOAD, service: 's3' });
    } catch (e) { reject(e); return; }
    const xhr = new XMLHttpRequest();
    u.xhrs.add(xhr);
    xhr.open('PUT', signed.url);
    for (const [k, v] of Object.entries(signed.headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = async () => {
      u.xhrs.delete(xhr);
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr);
      else reject(await api.xhrError(xhr));
    };
    xhr.onerror = async () => { u.xhrs.delete(xhr); reject(await api.xhrError(xhr)); };
    xhr.onabort = () => { u.xhrs.delete(xhr); reject(new api.ApiError('Aborted', 0, 'Cancelled.')); };
    xhr.send(body);
  });
}

function contentTypeOf(file) {
  return file.type || 'application/octet-stream';
}

async function uploadOne(u) {
  if (u.file.size < MULTIPART_THRESHOLD) {
    await xhrPut(u, u.key, null, u.file, { 'content-type': contentTypeOf(u.file) }, (loaded) => { u.loaded = loaded; setProgress(u); });
    u.loaded = u.file.size;
    return;
  }
  await multipart(u);
}

function loadResume() {
  try { return JSON.parse(localStorage.getItem(RESUME_KEY) || '[]'); } catch { return []; }
}
function saveResume(list) {
  localStorage.setItem(RESUME_KEY, JSON.stringify(list));
}
function forgetResume(u) {
  saveResume(loadResume().filter((r) => !(r.bucket === u.bucket && r.key === u.key && r.uploadId === u.uploadId)));
}

async function multipart(u) {
  const file = u.file;
  let partSize = PART_SIZE;
  while (Math.ceil(file.size / partSize) > 10000) partSize *= 2;
  const partCount = Math.ceil(file.size / partSize);
  const done = new Map(); // partNumber → etag

  // Resume an upload of the same file (name, size, last modified) to the same bucket/key.
  const prior = loadResume().find((r) => r.bucket === u.bucket && r.key === u.key && r.name === file.name && r.size === file.size && r.lastModified === file.lastModified);
  if (prior) {
    try {
      let marker;
      for (;;) {
        const q = { uploadId: prior.uploadId, 'max-parts': '1000' };
        if (marker) q['part-number-marker'] = marker;
        const r = await api.s3('GET', u.bucket, u.key, { query: q });
        for (const p of xmlAll(r.xml, 'Part')) {
          const n = Number(xmlChild(p, 'PartNumber'));
          const expected = n < partCount ? partSize : file.size - partSize * (partCount - 1);
          if (Number(xmlChild(p, 'Size')) === expected && (prior.partSize || PART_SIZE) === partSize) done.set(n, xmlChild(p, 'ETag'));
        }
        if (xmlText(r.xml, 'IsTruncated') !== 'true') break;
        marker = xmlText(r.xml, 'NextPartNumberMarker');
      }
      u.uploadId = prior.uploadId;
      u.resumed = done.size;
      u.text.textContent = `Resuming (${done.size} of ${partCount} parts already there)`;
    } catch (e) {
      if (e.code !== 'NoSuchUpload' && e.code !== 'NotFound') throw e;
      saveResume(loadResume().filter((r) => r.uploadId !== prior.uploadId));
      done.clear();
    }
  }
  if (!u.uploadId) {
    const r = await api.s3('POST', u.bucket, u.key, { query: { uploads: '' }, headers: { 'content-type': contentTypeOf(file) } });
    u.uploadId = xmlText(r.xml, 'UploadId');
    const list = loadResume().filter((x) => !(x.bucket === u.bucket && x.key === u.key));
    list.push({ bucket: u.bucket, key: u.key, uploadId: u.uploadId, size: file.size, lastModified: file.lastModified, name: file.name, partSize, started: Date.now() });
    saveResume(list);
  }
  if (u.cancelled) {
    // Cancelled while the upload was being created: abort it here (cancelUpload had no id yet).
    forgetResume(u);
    try { await api.s3('DELETE', u.bucket, u.key, { query: { uploadId: u.uploadId } }); } catch { /* gone already */ }
    throw new api.ApiError('Aborted', 0, 'Cancelled.');
  }

  const partLoaded = new Map();
  for (const n of done.keys()) partLoaded.set(n, n < partCount ? partSize : file.size - partSize * (partCount - 1));
  const refresh = () => { let s = 0; for (const v of partLoaded.values()) s += v; u.loaded = s; setProgress(u); };
  refresh();
  const todo = [];
  for (let n = 1; n <= partCount; n++) if (!done.has(n)) todo.push(n);
  // The first part that fails for good stops the others: no part is sent after the
  // upload is reported failed, and the next file does not start beside this one.
  let failure = null;
  const worker = async () => {
    while (todo.length && !failure) {
      if (u.cancelled) throw new api.ApiError('Aborted', 0, 'Cancelled.');
      const n = todo.shift();
      const start = (n - 1) * partSize;
      const blob = file.slice(start, Math.min(start + partSize, file.size));
      let attempt = 0;
      for (;;) {
        try {
          const xhr = await xhrPut(u, u.key, { partNumber: String(n), uploadId: u.uploadId }, blob, {}, (loaded) => { partLoaded.set(n, loaded); refresh(); });
          done.set(n, xhr.getResponseHeader('ETag'));
          partLoaded.set(n, blob.size);
          refresh();
          break;
        } catch (e) {
          if (u.cancelled || failure || e.code === 'Aborted' || ++attempt >= 3 || (e.status >= 400 && e.status < 500)) {
            if (!failure) {
              failure = e;
              todo.length = 0;
              for (const x of u.xhrs) x.abort();
            }
            throw failure;
          }
          partLoaded.set(n, 0);
          await new Promise((res) => setTimeout(res, 500 * attempt));
          if (u.cancelled || failure) throw failure || new api.ApiError('Aborted', 0, 'Cancelled.');
        }
      }
    }
  };
  // allSettled: a failed upload is reported once every worker has stopped.
  const outcomes = await Promise.allSettled(Array.from({ length: Math.min(PART_CONCURRENCY, todo.length || 1) }, worker));
  const rejected = outcomes.find((o) => o.status === 'rejected');
  if (failure || rejected) throw failure || rejected.reason;
  if (u.cancelled) throw new api.ApiError('Aborted', 0, 'Cancelled.');
  u.text.textContent = 'Completing';
  const parts = [...done.entries()].sort((a, b) => a[0] - b[0]);
  const body = xmlDoc(xml('CompleteMultipartUpload', { xmlns: S3_NS },
    parts.map(([n, etag]) => xml('Part', null, xml('PartNumber', null, String(n)), xml('ETag', null, etag)))));
  const r = await api.s3('POST', u.bucket, u.key, { query: { uploadId: u.uploadId }, body });
  // CompleteMultipartUpload can fail inside a 200 answer.
  if (r.xml && r.xml.documentElement && r.xml.documentElement.localName === 'Error') {
    throw new api.ApiError(xmlText(r.xml, 'Code'), 200, xmlText(r.xml, 'Message'));
  }
  forgetResume(u);
  u.loaded = file.size;
}

/**
 * On sign-out: stop every running upload (multipart ones keep their resume record, so the
 * next sign-in can finish them by picking the same file) and remove the uploads panel.
 */
export function resetUploads() {
  for (const u of uploads) {
    if (u.done) continue;
    u.cancelled = true;
    for (const x of u.xhrs) x.abort();
  }
  uploads.length = 0;
  if (panel) { panel.remove(); panel = null; }
  // The next person on this browser must not see this user's unfinished uploads.
  localStorage.removeItem(RESUME_KEY);
}

async function cancelUpload(u) {
  u.cancelled = true;
  for (const x of u.xhrs) x.abort();
  u.text.textContent = 'Cancelled';
  u.cancelBtn.remove();
  if (u.uploadId) {
    forgetResume(u);
    try { await api.s3('DELETE', u.bucket, u.key, { query: { uploadId: u.uploadId } }); } catch (e) { if (e.code !== 'NoSuchUpload') toast(e.friendly, { error: true, code: e.code }); }
  }
  updateOverall();
}

// ---------------------------------------------------------------- object details

let blobUrls = [];
function revokeBlobs() {
  for (const u of blobUrls) URL.revokeObjectURL(u);
  blobUrls = [];
}

export async function renderObject(el, params) {
  revokeBlobs();
  const bucket = params.bucket;
  const key = params.key || '';
  const versionId = params.versionId || '';
  const seq = params.renderSeq;
  const folder = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
  document.title = `${baseName(key)} · coffer`;
  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  const summary = h('div', { class: 'card', id: 'object-summary' }, skeletonBlock());
  const meta = h('div', { class: 'card', id: 'object-metadata' });
  const tags = h('div', { class: 'card', id: 'object-tags' });
  const preview = h('div', { class: 'card', id: 'object-preview' });
  const vq = versionId ? { versionId } : undefined;
  const actions = h('div', { class: 'toolbar' },
    h('button', { type: 'button', class: 'primary', id: 'object-download', on: { click: () => download(bucket, key, versionId) } }, 'Download'),
    h('button', { type: 'button', class: 'secondary', id: 'object-share', on: { click: () => shareDialog(bucket, key, versionId) } }, 'Share'),
    versionId ? null : h('button', { type: 'button', class: 'secondary', on: { click: () => copyMoveDialog(bucket, [{ key }], false, () => {}) } }, 'Copy'),
    versionId ? null : h('button', { type: 'button', class: 'secondary', on: { click: () => copyMoveDialog(bucket, [{ key }], true, () => { location.hash = hashPrefix(bucket, folder); }) } }, 'Move / rename'),
    h('a', { class: 'button-link', href: `#/buckets/${encodeURIComponent(bucket)}/versions?prefix=${encodeURIComponent(key)}` }, 'Versions'),
    versionId ? null : h('button', { type: 'button', class: 'danger', on: { click: async () => {
      if (!(await confirmDialog({ title: `Delete ${baseName(key)}?`, text: 'If versioning is on, older versions are kept and it can be brought back.', confirmLabel: 'Delete' }))) return;
      try { await api.s3('DELETE', bucket, key); toast('Deleted.'); location.hash = hashPrefix(bucket, folder); } catch (e) { toast(e.friendly, { error: true, code: e.code }); }
    } } }, 'Delete'));
  mount(el, page(baseName(key), breadcrumbs(bucket, folder, baseName(key) + (versionId ? ` (version ${versionId})` : '')), actions, status,
    h('div', { class: 'grid-2' }, summary, preview), h('div', { class: 'grid-2' }, meta, tags)));

  let head;
  try {
    head = await api.s3('HEAD', bucket, key, { query: vq });
  } catch (e) {
    if (!current(seq)) return;
    clear(summary);
    mount(status, errorBox(e.code === 'NotFound' || e.status === 404 ? new api.ApiError('NoSuchKey', 404, '') : e));
    return;
  }
  if (!current(seq)) return;
  const hd = head.headers;
  const size = Number(hd.get('content-length') || 0);
  const ctype = hd.get('content-type') || '';
  const userMeta = [];
  hd.forEach((v, k) => { if (k.startsWith('x-amz-meta-')) userMeta.push([k.slice(11), v]); });
  const dl = (pairs) => h('dl', { class: 'props' }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
  mount(summary, h('h2', null, 'Properties'), dl([
    ['Key', key], ['Bucket', bucket], ['Size', `${formatBytes(size)} (${size.toLocaleString()} bytes)`],
    ['Last modified', formatDate(hd.get('last-modified'))], ['ETag', hd.get('etag')], ['Content type', ctype],
    ['Storage class', hd.get('x-amz-storage-class') || 'STANDARD'], ['Version ID', hd.get('x-amz-version-id')],
    ['Encryption', hd.get('x-amz-server-side-encryption') ? hd.get('x-amz-server-side-encryption') + (hd.get('x-amz-server-side-encryption-aws-kms-key-id') ? ` (${hd.get('x-amz-server-side-encryption-aws-kms-key-id')})` : '') : ''],
    ['Object lock', hd.get('x-amz-object-lock-mode') ? `${hd.get('x-amz-object-lock-mode')} until ${formatDate(hd.get('x-amz-object-lock-retain-until-date'))}` : ''],
    ['Legal hold', hd.get('x-amz-object-lock-legal-hold')],
  ]));
  el.querySelector('#object-summary').setAttribute('data-size', String(size));

  // metadata editor
  drawMetadata(meta, bucket, key, ctype, userMeta, !!versionId, () => renderObject(el, { ...params, renderSeq: seq }), hd);
  drawTags(tags, bucket, key, versionId);
  drawPreview(preview, bucket, key, vq, ctype, size, seq);
}

function skeletonBlock() {
  return h('div', { class: 'skeleton-block', 'aria-hidden': 'true' }, h('span', { class: 'skeleton' }), h('span', { class: 'skeleton' }), h('span', { class: 'skeleton' }));
}

function kvEditor(pairs, keyLabel, valueLabel, emptyText) {
  const list = h('div', { class: 'kv-list', 'data-empty': emptyText || 'None yet.' });
  const add = (k = '', v = '') => {
    const ki = h('input', { type: 'text', value: k, spellcheck: 'false', 'aria-label': keyLabel, class: 'kv-key' });
    const vi = h('input', { type: 'text', value: v, spellcheck: 'false', 'aria-label': valueLabel, class: 'kv-value' });
    const row = h('div', { class: 'kv-row' }, ki, vi, h('button', { type: 'button', class: 'small secondary', 'aria-label': 'Remove', on: { click: () => row.remove() } }, '×'));
    list.appendChild(row);
  };
  for (const [k, v] of pairs) add(k, v);
  const addBtn = h('button', { type: 'button', class: 'small secondary', on: { click: () => add() } }, 'Add');
  const values = () => [...list.querySelectorAll('.kv-row')].map((r) => [r.querySelector('.kv-key').value.trim(), r.querySelector('.kv-value').value]).filter(([k]) => k);
  return { el: h('div', null, list, addBtn), values };
}

/** Headers a metadata REPLACE copy must carry over, or the object loses them. */
const KEPT_ON_REPLACE = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires',
  'x-amz-storage-class', 'x-amz-server-side-encryption', 'x-amz-server-side-encryption-aws-kms-key-id',
  'x-amz-server-side-encryption-bucket-key-enabled', 'x-amz-website-redirect-location'];

/** A metadata value as S3 carries it: printable ASCII as is, other text as an RFC 2047 encoded word. */
function metadataValue(v) {
  if (!/[^\x20-\x7e]/.test(v)) return v;
  return `=?UTF-8?B?${api.base64(new TextEncoder().encode(v))}?=`;
}

function drawMetadata(card, bucket, key, ctype, userMeta, readOnly, reload, head) {
  const ct = h('input', { type: 'text', value: ctype, spellcheck: 'false', id: 'meta-content-type' });
  const kv = kvEditor(userMeta, 'Metadata name', 'Metadata value', 'No user metadata.');
  const status = h('div', { 'aria-live': 'polite' });
  const save = h('button', { type: 'submit', class: 'primary', disabled: readOnly }, 'Save metadata');
  const form = h('form', { class: 'stack' }, field('Content type', ct), h('fieldset', null, h('legend', null, 'User metadata (x-amz-meta-*)'), kv.el), status, h('div', { class: 'actions' }, save));
  mount(card, h('h2', null, 'Metadata'), readOnly ? h('p', { class: 'note' }, 'An old version cannot be edited.') : null, form);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const headers = { 'x-amz-copy-source': copySource(bucket, key), 'x-amz-metadata-directive': 'REPLACE', 'content-type': ct.value || 'application/octet-stream' };
    // REPLACE replaces every stored header: keep those this form does not edit.
    for (const name of KEPT_ON_REPLACE) {
      const v = head && head.get(name);
      if (v) headers[name] = v;
    }
    for (const [k, v] of kv.values()) {
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(k) || /[\u0000-\u001f\u007f]/.test(v)) {
        mount(status, errorBox({ friendly: `Metadata "${k}": names use letters, digits and - _ . only; values cannot hold control characters.`, code: 'InvalidArgument' }));
        return;
      }
      headers['x-amz-meta-' + k.toLowerCase()] = metadataValue(v);
    }
    save.disabled = true;
    try {
      await api.s3('PUT', bucket, key, { headers });
      toast('Metadata saved.');
      reload();
    } catch (err) {
      save.disabled = false;
      mount(status, errorBox(err));
    }
  });
}

async function drawTags(card, bucket, key, versionId) {
  mount(card, h('h2', null, 'Tags'), skeletonBlock());
  let pairs = [];
  try {
    const r = await api.s3('GET', bucket, key, { query: versionId ? { tagging: '', versionId } : { tagging: '' } });
    pairs = xmlAll(r.xml, 'Tag').map((t) => [xmlChild(t, 'Key'), xmlChild(t, 'Value')]);
  } catch (e) {
    if (e.code !== 'NoSuchTagSet') { mount(card, h('h2', null, 'Tags'), errorBox(e)); return; }
  }
  const kv = kvEditor(pairs, 'Tag key', 'Tag value', 'No tags.');
  const status = h('div', { 'aria-live': 'polite' });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save tags');
  const form = h('form', { class: 'stack', id: 'tags-form' }, kv.el, status, h('div', { class: 'actions' }, save));
  mount(card, h('h2', null, 'Tags'), form);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    save.disabled = true;
    const vals = kv.values();
    const q = versionId ? { tagging: '', versionId } : { tagging: '' };
    try {
      if (vals.length) {
        await api.s3('PUT', bucket, key, { query: q, responseType: 'none',
          body: xmlDoc(xml('Tagging', { xmlns: S3_NS }, xml('TagSet', null, vals.map(([k, v]) => xml('Tag', null, xml('Key', null, k), xml('Value', null, v)))))) });
      } else await api.s3('DELETE', bucket, key, { query: q });
      mount(status, h('p', { class: 'ok' }, 'Tags saved.'));
    } catch (err) {
      mount(status, errorBox(err));
    }
    save.disabled = false;
  });
}

function previewKind(ctype, key) {
  const c = ctype.split(';')[0].trim().toLowerCase();
  // SVG is a document that can carry script: previewed as text, never as an image.
  if (/^image\/(png|jpe?g|gif|webp|avif|bmp|x-icon|vnd\.microsoft\.icon)$/.test(c)) return 'image';
  if (c === 'application/pdf' || /\.pdf$/i.test(key)) return 'pdf';
  if (c.startsWith('text/') || /^application\/(json|xml|javascript|x-yaml|yaml|x-sh|toml)$/.test(c) || /\.(txt|md|csv|json|xml|ya?ml|log|ini|conf|toml|sh|js|ts|rs|py|go|c|h|css|html?)$/i.test(key)) return 'text';
  return '';
}

async function drawPreview(card, bucket, key, vq, ctype, size, seq) {
  const kind = previewKind(ctype, key);
  if (!kind) { mount(card, h('h2', null, 'Preview'), h('p', { class: 'muted' }, 'No preview for this type of file.')); return; }
  if (size > PREVIEW_CAP) { mount(card, h('h2', null, 'Preview'), h('p', { class: 'muted' }, `No preview: the file is larger than ${formatBytes(PREVIEW_CAP)}. Download it instead.`)); return; }
  mount(card, h('h2', null, 'Preview'), skeletonBlock());
  let blob;
  try {
    const r = await api.s3('GET', bucket, key, { query: vq, responseType: 'blob' });
    blob = r.body;
  } catch (e) {
    mount(card, h('h2', null, 'Preview'), errorBox(e));
    return;
  }
  if (!current(seq)) return;
  if (kind === 'text') {
    const text = await blob.text();
    mount(card, h('h2', null, 'Preview'), h('pre', { class: 'preview-text', tabindex: '0', 'aria-label': 'File contents' }, text));
    return;
  }
  // Force the type: a blob: URL runs with the console's origin, so never let content pick it.
  const typed = new Blob([blob], { type: kind === 'pdf' ? 'application/pdf' : (ctype.split(';')[0].trim() || 'image/png') });
  const url = URL.createObjectURL(typed);
  blobUrls.push(url);
  if (kind === 'image') mount(card, h('h2', null, 'Preview'), h('img', { src: url, alt: `Preview of ${baseName(key)}`, class: 'preview-image' }));
  else mount(card, h('h2', null, 'Preview'), h('iframe', { src: url, title: `Preview of ${baseName(key)}`, class: 'preview-pdf' }));
}

// ---------------------------------------------------------------- versions

export async function renderVersions(el, params) {
  const bucket = params.name;
  const prefix = params.prefix || '';
  const seq = params.renderSeq;
  document.title = `Versions of ${bucket} · coffer`;
  let markers = [null]; // markers[i]: {key, versionId} to start page i
  let pageIndex = 0;
  let lockEnabled = false;
  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  const prefixInput = h('input', { type: 'search', id: 'versions-prefix', value: prefix, spellcheck: 'false', placeholder: 'Key starts with…' });
  const { wrap, tbody } = table(['Key', 'Version', 'Last modified', 'Size', 'State', h('span', { class: 'sr-only' }, 'Actions')], { caption: `Versions in ${bucket}`, className: 'versions' });
  const prevBtn = h('button', { type: 'button', class: 'secondary', id: 'versions-prev', disabled: true, on: { click: () => { if (pageIndex > 0) { pageIndex--; load(); } } } }, 'Previous');
  const nextBtn = h('button', { type: 'button', class: 'secondary', id: 'versions-next', disabled: true, on: { click: () => { if (markers[pageIndex + 1]) { pageIndex++; load(); } } } }, 'Next');
  const pageInfo = h('span', { class: 'page-info', 'aria-live': 'polite' });
  const form = h('form', { class: 'filter-row', on: { submit: (e) => { e.preventDefault(); location.hash = `#/buckets/${encodeURIComponent(bucket)}/versions${prefixInput.value ? '?prefix=' + encodeURIComponent(prefixInput.value) : ''}`; } } },
    field('Key prefix', prefixInput), h('button', { type: 'submit', class: 'secondary' }, 'Show'));
  mount(el, page(`Versions in ${bucket}`, breadcrumbs(bucket, prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '', 'Versions'),
    h('div', { class: 'toolbar' }, h('a', { class: 'button-link', href: hashPrefix(bucket, prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '') }, 'Back to objects')),
    form, status, wrap, h('div', { class: 'pager' }, prevBtn, pageInfo, nextBtn)));
  lockEnabled = await bucketLockEnabled(bucket);
  if (!current(seq)) return;

  async function load() {
    mount(tbody, skeletonRows(6, 6));
    clear(status);
    prevBtn.disabled = nextBtn.disabled = true;
    let r;
    try {
      const q = { versions: '', 'max-keys': String(PAGE_SIZE), prefix, 'encoding-type': 'url' };
      const m = markers[pageIndex];
      if (m) { q['key-marker'] = m.key; q['version-id-marker'] = m.versionId; }
      r = await api.s3('GET', bucket, '', { query: q });
    } catch (e) {
      if (!current(seq)) return;
      // The version a saved page marker names was deleted meanwhile (S3 refuses such a
      // marker): start again from the first page.
      if (e.code === 'InvalidArgument' && pageIndex > 0) {
        pageIndex = 0;
        markers.length = 1;
        load();
        return;
      }
      clear(tbody);
      mount(status, errorBox(e));
      return;
    }
    if (!current(seq)) return;
    const items = [];
    for (const n of r.xml.documentElement.children) {
      if (n.localName !== 'Version' && n.localName !== 'DeleteMarker') continue;
      items.push({ marker: n.localName === 'DeleteMarker', key: urlKey(xmlChild(n, 'Key')), versionId: xmlChild(n, 'VersionId'), latest: xmlChild(n, 'IsLatest') === 'true',
        date: xmlChild(n, 'LastModified'), size: Number(xmlChild(n, 'Size', '0')) });
    }
    const truncated = xmlText(r.xml, 'IsTruncated') === 'true';
    markers.length = pageIndex + 1;
    if (truncated) markers[pageIndex + 1] = { key: urlKey(xmlText(r.xml, 'NextKeyMarker')), versionId: xmlText(r.xml, 'NextVersionIdMarker') };
    prevBtn.disabled = pageIndex === 0;
    nextBtn.disabled = !truncated;
    pageInfo.textContent = `Page ${pageIndex + 1}`;
    clear(tbody);
    if (!items.length) tbody.appendChild(h('tr', null, h('td', { colspan: '6', class: 'empty' }, 'No versions here.')));
    for (const v of items) {
      const lockCell = h('div', { class: 'lock-info' });
      const acts = [];
      if (!v.marker) {
        acts.push(h('button', { type: 'button', class: 'small secondary', 'aria-label': `Download version ${v.versionId} of ${v.key}`, on: { click: () => download(bucket, v.key, v.versionId) } }, 'Download'));
        acts.push(h('a', { class: 'button-link small', href: hashObject(bucket, v.key, v.versionId) }, 'Details'));
        if (!v.latest) acts.push(h('button', { type: 'button', class: 'small secondary', 'data-action': 'restore', on: { click: () => restore(v) } }, 'Restore'));
      } else if (v.latest) {
        acts.push(h('button', { type: 'button', class: 'small primary', 'data-action': 'undelete', on: { click: () => undelete(v) } }, 'Undelete'));
      }
      if (lockEnabled && !v.marker) acts.push(h('button', { type: 'button', class: 'small secondary', on: { click: () => showLock(v, lockCell) } }, 'Lock state'));
      acts.push(h('button', { type: 'button', class: 'small danger', 'data-action': 'delete-version', 'aria-label': `Delete version ${v.versionId} of ${v.key} permanently`, title: 'Delete permanently', on: { click: () => deleteVersion(v) } }, 'Delete'));
      tbody.appendChild(h('tr', { 'data-key': v.key, 'data-version': v.versionId, class: v.marker ? 'delete-marker' : '' },
        h('td', { class: 'name' }, v.key),
        h('td', { class: 'mono small' }, h('span', { class: 'version-id', title: v.versionId }, v.versionId)),
        h('td', { class: 'nowrap' }, formatDate(v.date)),
        h('td', { class: 'num' }, v.marker ? '—' : formatBytes(v.size)),
        h('td', null, v.marker ? h('span', { class: 'badge badge-warn' }, 'Delete marker') : null, v.latest ? h('span', { class: 'badge' }, 'Current') : null, lockCell),
        h('td', { class: 'row-actions' }, acts)));
    }
  }

  async function restore(v) {
    try {
      await api.s3('PUT', bucket, v.key, { headers: { 'x-amz-copy-source': copySource(bucket, v.key, v.versionId) } });
      toast(`Version ${v.versionId} of ${v.key} is the current version again.`);
      load();
    } catch (e) { toast(e.friendly, { error: true, code: e.code }); }
  }
  async function undelete(v) {
    try {
      await api.s3('DELETE', bucket, v.key, { query: { versionId: v.versionId } });
      toast(`${v.key} is back.`);
      load();
    } catch (e) { toast(e.friendly, { error: true, code: e.code }); }
  }
  async function deleteVersion(v) {
    const ok = await confirmDialog({
      title: v.marker ? 'Remove this delete marker?' : 'Delete this version permanently?',
      text: v.marker ? `Removing the delete marker of ${v.key} brings back its previous version.` : `Version ${v.versionId} of ${v.key} will be gone for good. This cannot be undone.`,
      confirmLabel: 'Delete permanently',
    });
    if (!ok) return;
    try {
      await api.s3('DELETE', bucket, v.key, { query: { versionId: v.versionId } });
      toast('Version deleted.');
      load();
    } catch (e) {
      if (e.code === 'AccessDenied' && lockEnabled) {
        toast('This version is protected by object lock (retention or legal hold) and cannot be deleted yet.', { error: true, code: e.code });
      } else toast(e.friendly, { error: true, code: e.code });
    }
  }
  async function showLock(v, cell) {
    mount(cell, h('span', { class: 'muted' }, 'Checking…'));
    const out = [];
    try {
      const r = await api.s3('GET', bucket, v.key, { query: { retention: '', versionId: v.versionId } });
      out.push(`Retention: ${xmlText(r.xml, 'Mode')} until ${formatDate(xmlText(r.xml, 'RetainUntilDate'))}`);
    } catch (e) { out.push(e.code === 'NoSuchObjectLockConfiguration' ? 'No retention' : `Retention: ${e.friendly}`); }
    try {
      const r = await api.s3('GET', bucket, v.key, { query: { 'legal-hold': '', versionId: v.versionId } });
      out.push(`Legal hold: ${xmlText(r.xml, 'Status') || 'OFF'}`);
    } catch (e) { out.push(e.code === 'NoSuchObjectLockConfiguration' ? 'Legal hold: OFF' : `Legal hold: ${e.friendly}`); }
    mount(cell, out.map((t) => h('div', { class: 'small' }, t)));
  }
  await load();
}

// Monitoring (#/monitoring) and the audit trail (#/audit), server administrator only:
// charts from GET /v1/metrics/history (refreshed every 10 s while the page is shown),
// storage per bucket from /v1/usage, server info from /v1/info, audit records from /v1/audit.
import { admin } from './api.js';
import { h, clear, formatBytes, formatDate } from './dom.js';
import { lineChart, barList, shortNumber } from './charts.js';
import { errorNote, field, button, table, ensureStyles } from './settings.js';

const REFRESH_MS = 10_000;
let timer = null;
let onHash = null;

function stopTimer() {
  if (timer) clearInterval(timer);
  timer = null;
  if (onHash) window.removeEventListener('hashchange', onHash);
  onHash = null;
}

function card(title, ...children) {
  return h('section', { class: 'adm-card' }, h('h2', {}, title), ...children);
}

function uptime(secs) {
  const s = Number(secs) || 0;
  const d = Math.floor(s / 86400); const hh = Math.floor((s % 86400) / 3600); const m = Math.floor((s % 3600) / 60);
  return d ? `${d} d ${hh} h ${m} min` : hh ? `${hh} h ${m} min` : `${m} min ${s % 60} s`;
}

// ---------------------------------------------------------------- series from the history

/** Series for every chart from the samples (cumulative counters → per-second rates). */
export function seriesFromHistory(hist) {
  const samples = ((hist && hist.samples) || []).slice().sort((a, b) => a.t - b.t);
  const rate = (get) => {
    const pts = [];
    for (let i = 1; i < samples.length; i += 1) {
      const dt = (samples[i].t - samples[i - 1].t) / 1000;
      const a = get(samples[i - 1]); const b = get(samples[i]);
      pts.push([samples[i].t, dt > 0 && a !== null && b !== null && b >= a ? (b - a) / dt : null]);
    }
    return pts;
  };
  const num = (v) => (v === null || v === undefined || !Number.isFinite(Number(v)) ? null : Number(v));
  // requests per operation: top 5 over the window + other
  const totals = {};
  if (samples.length > 1) {
    const first = samples[0].requests || {}; const last = samples[samples.length - 1].requests || {};
    for (const op of Object.keys(last)) totals[op] = (last[op] || 0) - (first[op] || 0);
  }
  const ops = Object.keys(totals).filter((op) => totals[op] > 0).sort((a, b) => totals[b] - totals[a]);
  const top = ops.slice(0, 5);
  const rest = ops.slice(5);
  const requests = top.map((op) => ({ name: op, points: rate((s) => num((s.requests || {})[op] ?? 0)) }));
  if (rest.length) requests.push({ name: 'other', points: rate((s) => rest.reduce((sum, op) => sum + (Number((s.requests || {})[op]) || 0), 0)) });
  if (!requests.length) requests.push({ name: 'all operations', points: rate((s) => Object.values(s.requests || {}).reduce((a, b) => a + (Number(b) || 0), 0)) });
  const lat = (k) => samples.map((s) => [s.t, s.latency_ms ? num(s.latency_ms[k]) : null]);
  const gauge = (k) => samples.map((s) => [s.t, num(s[k])]);
  const perInterval = (k) => {
    const pts = [];
    for (let i = 1; i < samples.length; i += 1) {
      const a = num(samples[i - 1][k]); const b = num(samples[i][k]);
      pts.push([samples[i].t, a !== null && b !== null && b >= a ? b - a : null]);
    }
    return pts;
  };
  return {
    requests,
    errors: [{ name: 'errors', points: rate((s) => num(s.errors)) }],
    latency: [{ name: 'p50', points: lat('p50') }, { name: 'p90', points: lat('p90') }, { name: 'p99', points: lat('p99') }],
    bytes: [{ name: 'in', points: rate((s) => num(s.bytes_in)) }, { name: 'out', points: rate((s) => num(s.bytes_out)) }],
    stored: [{ name: 'stored', points: gauge('stored_bytes') }],
    outbox: [{ name: 'backlog', points: gauge('outbox_backlog') }],
    inFlight: [{ name: 'in flight', points: gauge('in_flight') }],
    lifecycle: [{ name: 'actions', points: perInterval('lifecycle_actions') }],
    count: samples.length,
  };
}

const bytesFmt = (v) => (v === null || v === undefined ? '—' : formatBytes(Math.round(v)));
const bytesRateFmt = (v) => (v === null || v === undefined ? '—' : `${formatBytes(Math.round(v))}/s`);
const msFmt = (v) => (v === null || v === undefined ? '—' : `${shortNumber(v)} ms`);

function drawCharts(grid, hist) {
  const s = seriesFromHistory(hist);
  clear(grid);
  if (s.count < 2) {
    grid.append(h('p', { class: 'adm-note' }, `The server keeps a sample every ${(hist && hist.interval_secs) || 10} s; rates appear once two samples exist (${s.count} so far).`));
  }
  grid.append(
    lineChart({ title: 'Requests by operation', unit: 'per second', series: s.requests }),
    lineChart({ title: 'Errors', unit: 'per second', series: s.errors }),
    lineChart({ title: 'Latency', unit: 'ms (p50, p90, p99)', series: s.latency, format: (v) => shortNumber(v) }),
    lineChart({ title: 'Bytes in and out', unit: 'per second', series: s.bytes, format: bytesRateFmt }),
    lineChart({ title: 'Stored bytes', series: s.stored, format: bytesFmt }),
    lineChart({ title: 'Event outbox backlog', unit: 'events waiting', series: s.outbox }),
    lineChart({ title: 'Lifecycle actions', unit: 'per sample interval', series: s.lifecycle }),
    lineChart({ title: 'Requests in flight', series: s.inFlight }));
}

function drawInfo(box, info) {
  clear(box);
  const tiers = (info.tiers || []).map((t) => {
    const used = t.total_bytes && t.free_bytes !== null && t.free_bytes !== undefined ? t.total_bytes - t.free_bytes : null;
    return { label: `${t.class}${t.path ? ` (${t.path})` : ''}`, value: used || 0, max: t.total_bytes, text: t.total_bytes ? `${formatBytes(t.free_bytes)} free of ${formatBytes(t.total_bytes)}` : 'size unknown' };
  });
  const dl = h('dl', { class: 'adm-dl adm-info' },
    h('dt', {}, 'Version'), h('dd', { 'data-field': 'version' }, String(info.version ?? '—')),
    h('dt', {}, 'Uptime'), h('dd', {}, uptime(info.uptime_secs)),
    h('dt', {}, 'Data root'), h('dd', { class: 'adm-mono' }, String(info.data_root ?? '—')),
    h('dt', {}, 'Ready'), h('dd', { class: info.ready === false ? 'adm-bad' : 'adm-good' }, info.ready === false ? `No: ${info.not_ready_reason || 'unknown reason'}` : 'Yes'),
    h('dt', {}, 'Durability'), h('dd', { class: info.durability_failure ? 'adm-bad' : 'adm-good' }, info.durability_failure ? `FAILED: ${typeof info.durability_failure === 'string' ? info.durability_failure : JSON.stringify(info.durability_failure)}` : 'OK (every acknowledged write is on disk)'),
    h('dt', {}, 'Buckets'), h('dd', {}, String(info.buckets ?? '—')),
    h('dt', {}, 'Objects'), h('dd', {}, `${info.objects ?? '—'} (${info.versions ?? '—'} versions, ${info.delete_markers ?? 0} delete markers)`),
    h('dt', {}, 'Stored'), h('dd', {}, formatBytes(info.bytes)),
    h('dt', {}, 'Uploads in progress'), h('dd', {}, `${info.uploads ?? 0} (${formatBytes(info.upload_bytes ?? 0)})`),
    h('dt', {}, 'Metadata on disk'), h('dd', {}, formatBytes(info.metadata_bytes_on_disk)));
  box.append(dl, h('h3', {}, 'Storage tiers'),
    tiers.length ? h('div', {}, ...tiers.map((t) => barList([t], { max: t.max || 1, label: `Tier ${t.label}` }))) : h('p', { class: 'adm-note' }, 'No tier information.'));
}

function drawUsage(box, usage) {
  clear(box);
  const rows = ((usage && usage.buckets) || []).slice().sort((a, b) => (b.bytes || 0) - (a.bytes || 0));
  if (!rows.length) { box.append(h('p', { class: 'adm-note' }, 'No buckets.')); return; }
  box.append(barList(rows.map((b) => {
    const q = b.quota || {};
    const quota = q.max_bytes !== null && q.max_bytes !== undefined ? ` of ${formatBytes(q.max_bytes)} quota` : '';
    return { label: b.bucket, value: b.bytes || 0, text: `${formatBytes(b.bytes || 0)}${quota}, ${b.objects ?? 0} object(s)${b.account ? `, account ${b.account}` : ''}` };
  }), { label: 'Storage per bucket' }));
}

/** #/monitoring */
export async function renderMonitoring(root) {
  ensureStyles();
  stopTimer();
  clear(root);
  const infoBox = h('div', { class: 'adm-sub', 'aria-busy': 'true' }, h('p', { class: 'adm-loading' }, 'Loading…'));
  const grid = h('div', { class: 'chart-grid', 'aria-live': 'off' }, h('p', { class: 'adm-loading' }, 'Loading…'));
  const usageBox = h('div', { class: 'adm-sub' }, h('p', { class: 'adm-loading' }, 'Loading…'));
  const updated = h('p', { class: 'adm-note', role: 'status', 'aria-live': 'polite' }, '');
  const pageEl = h('section', { class: 'page adm-page adm-monitoring' }, h('h1', { tabindex: '-1' }, 'Monitoring'),
    updated,
    card('Last hour', grid),
    h('div', { class: 'adm-two' }, card('Server', infoBox), card('Storage per bucket', usageBox)));
  root.append(pageEl);

  const loadHistory = async () => {
    try {
      const hist = await admin('GET', '/v1/metrics/history');
      if (!pageEl.isConnected) return;
      drawCharts(grid, hist);
      updated.textContent = `Updated ${new Date().toLocaleTimeString()}; refreshes every ${REFRESH_MS / 1000} s.`;
    } catch (e) {
      if (!pageEl.isConnected) return;
      clear(grid); grid.append(errorNote(e, 'see the metrics'));
    }
  };
  const loadInfo = async () => {
    try { const info = await admin('GET', '/v1/info'); if (pageEl.isConnected) { drawInfo(infoBox, info); infoBox.removeAttribute('aria-busy'); } } catch (e) { if (pageEl.isConnected) { clear(infoBox); infoBox.append(errorNote(e, 'see the server information')); } }
  };
  const loadUsage = async () => {
    try { const u = await admin('GET', '/v1/usage'); if (pageEl.isConnected) drawUsage(usageBox, u); } catch (e) { if (pageEl.isConnected) { clear(usageBox); usageBox.append(errorNote(e, 'see the usage')); } }
  };
  await Promise.all([loadHistory(), loadInfo(), loadUsage()]);
  if (!pageEl.isConnected) return;
  timer = setInterval(() => {
    if (!pageEl.isConnected || !location.hash.startsWith('#/monitoring')) { stopTimer(); return; }
    loadHistory(); loadInfo(); loadUsage();
  }, REFRESH_MS);
  onHash = () => { if (!location.hash.startsWith('#/monitoring')) stopTimer(); };
  window.addEventListener('hashchange', onHash);
}

// ---------------------------------------------------------------- audit

function who(rec) {
  const u = rec.userIdentity || {};
  return u.arn || u.type || '—';
}

function params(rec) {
  const p = rec.requestParameters;
  if (p === null || p === undefined) return '';
  const s = typeof p === 'string' ? p : JSON.stringify(p);
  return s.length > 160 ? `${s.slice(0, 157)}…` : s;
}

/** #/audit */
export async function renderAudit(root) {
  ensureStyles();
  stopTimer();
  clear(root);
  let limit = 50;
  const contains = field('Contains', 'text', { placeholder: 'bucket, user, key…' });
  contains.input.dataset.field = 'contains';
  const event = field('Event name', 'text', { placeholder: 'CreateUser' });
  event.input.dataset.field = 'event';
  const errorsOnly = field('Errors only', 'checkbox');
  const results = h('div', { class: 'adm-sub', 'aria-live': 'polite' }, h('p', { class: 'adm-loading' }, 'Loading…'));
  const more = button('Load more', async () => { limit += 50; await load(); });
  more.hidden = true;
  const form = h('form', { class: 'adm-form adm-filters', role: 'search', 'aria-label': 'Filter the audit trail' },
    h('div', { class: 'adm-row' }, contains.wrap, event.wrap, errorsOnly.wrap),
    h('div', { class: 'adm-buttons' }, h('button', { type: 'submit', class: 'adm-btn primary' }, 'Filter')));
  const pageEl = h('section', { class: 'page adm-page' }, h('h1', { tabindex: '-1' }, 'Audit trail'),
    h('p', { class: 'adm-intro' }, 'Every change and every failed authentication, newest first.'), form, results, more);
  root.append(pageEl);
  async function load() {
    const query = { limit: String(limit) };
    if (contains.input.value.trim()) query.contains = contains.input.value.trim();
    if (event.input.value.trim()) query.event = event.input.value.trim();
    if (errorsOnly.input.checked) query.errors = '1';
    let recs;
    let enabled = true;
    try {
      const r = await admin('GET', '/v1/audit', { query });
      recs = (r && r.records) || [];
      enabled = !(r && r.enabled === false);
    } catch (e) {
      if (!pageEl.isConnected) return;
      clear(results); results.append(errorNote(e, 'see the audit trail')); more.hidden = true; return;
    }
    if (!pageEl.isConnected) return;
    clear(results);
    if (!enabled) results.append(h('p', { class: 'adm-note', role: 'note' }, 'The audit trail is turned off on this server (audit.path = "" in config.toml): nothing new is recorded.'));
    if (!recs.length) { results.append(h('p', { class: 'adm-note' }, 'No records match.')); more.hidden = true; return; }
    results.append(h('p', { class: 'adm-note' }, `${recs.length} record(s)${recs.length >= limit ? ' (more may exist)' : ''}.`),
      table(['Time', 'Event', 'Service', 'Who', 'From', 'Result', 'Parameters'], recs.map((r) => [
        h('time', { datetime: r.eventTime || '' }, formatDate(r.eventTime)),
        h('span', { class: 'adm-event', 'data-event': r.eventName || '' }, r.eventName || '—'),
        (r.eventSource || '').replace('.amazonaws.com', ''),
        h('span', { class: 'adm-mono adm-wrap' }, who(r)),
        r.sourceIPAddress || '',
        r.errorCode ? h('span', { class: 'adm-bad' }, `${r.errorCode} (${r.status ?? ''})`) : h('span', { class: 'adm-good' }, String(r.status ?? 'OK')),
        h('span', { class: 'adm-mono adm-wrap' }, params(r)),
      ]), { caption: 'Audit records, newest first' }));
    more.hidden = recs.length < limit;
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); limit = 50; load(); });
  await load();
}

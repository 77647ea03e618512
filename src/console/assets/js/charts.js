// A small dependency-free SVG line chart: axes with labels, one path per series (gaps
// where a value is null), a legend, an aria-label summary and a data table alternative.
// SVG nodes are made with createElementNS and setAttribute only (no markup strings).

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children) if (c) el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}
function html(tag, cls, ...children) {
  const el = document.createElement(tag);
  if (cls) el.setAttribute('class', cls);
  for (const c of children) if (c !== null && c !== undefined) el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}

/** 0, 1, 2, 5 × 10^n steps: about `count` ticks from 0 to at least max. */
export function niceTicks(max, count = 4) {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || 10 * mag;
  const ticks = [];
  for (let v = 0; v <= max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** A short number: 1234 → "1.2k", 0.25 → "0.25". */
export function shortNumber(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(a >= 1e10 ? 0 : 1)}G`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(a >= 1e4 ? 0 : 1)}k`;
  if (a === 0) return '0';
  if (a < 0.01) return v.toExponential(0);
  if (a < 10) return String(Number(v.toPrecision(3)));
  return String(Math.round(v));
}

function timeLabel(ms, withSeconds = false) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}${withSeconds ? `:${p(d.getSeconds())}` : ''}`;
}

/**
 * lineChart({title, unit, series: [{name, points: [[tMs, value|null], ...]}], format, height})
 * → <figure class="chart"> with the SVG (role=img, aria-label summary), a legend and a
 * <details> data table. `format(v)` formats values (default shortNumber).
 */
export function lineChart({ title, unit = '', series = [], format = shortNumber, width = 640, height = 220, maxTableRows = 60 }) {
  const padL = 56; const padR = 12; const padT = 12; const padB = 28;
  const all = series.flatMap((s) => s.points);
  const times = all.map((p) => p[0]);
  const values = all.map((p) => p[1]).filter((v) => v !== null && v !== undefined && Number.isFinite(v));
  const t0 = times.length ? Math.min(...times) : Date.now() - 3600e3;
  let t1 = times.length ? Math.max(...times) : Date.now();
  if (t1 === t0) t1 = t0 + 10e3;
  const ticks = niceTicks(values.length ? Math.max(...values) : 0);
  const yMax = ticks[ticks.length - 1] || 1;
  const plotW = width - padL - padR;
  const plotH = height - padT - padB;
  const x = (t) => padL + ((t - t0) / (t1 - t0)) * plotW;
  const y = (v) => padT + plotH - (v / yMax) * plotH;

  const nPoints = values.length;
  const summary = series.map((s) => {
    const vs = s.points.map((p) => p[1]).filter((v) => v !== null && v !== undefined && Number.isFinite(v));
    if (!vs.length) return `${s.name}: no data`;
    return `${s.name}: latest ${format(vs[vs.length - 1])}, max ${format(Math.max(...vs))}`;
  }).join('; ');
  const label = `${title}${unit ? ` (${unit})` : ''}, ${timeLabel(t0)} to ${timeLabel(t1)}. ${nPoints ? summary : 'No data yet.'}`;

  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart-svg', role: 'img', 'aria-label': label, 'data-points': nPoints, focusable: 'false' });
  // grid + y axis labels
  for (const tv of ticks) {
    root.appendChild(svg('line', { x1: padL, x2: width - padR, y1: y(tv), y2: y(tv), class: 'chart-gridline' }));
    root.appendChild(svg('text', { x: padL - 6, y: y(tv) + 4, class: 'chart-label chart-label-y', 'text-anchor': 'end' }, format(tv)));
  }
  // x axis + time labels
  root.appendChild(svg('line', { x1: padL, x2: width - padR, y1: padT + plotH, y2: padT + plotH, class: 'chart-axis' }));
  root.appendChild(svg('line', { x1: padL, x2: padL, y1: padT, y2: padT + plotH, class: 'chart-axis' }));
  const xTicks = 5;
  for (let i = 0; i <= xTicks; i += 1) {
    const tv = t0 + ((t1 - t0) * i) / xTicks;
    root.appendChild(svg('line', { x1: x(tv), x2: x(tv), y1: padT + plotH, y2: padT + plotH + 4, class: 'chart-axis' }));
    root.appendChild(svg('text', { x: x(tv), y: height - 8, class: 'chart-label chart-label-x', 'text-anchor': i === 0 ? 'start' : i === xTicks ? 'end' : 'middle' }, timeLabel(tv, t1 - t0 < 10 * 60e3)));
  }
  // series
  series.forEach((s, i) => {
    let d = '';
    let pen = false;
    const pts = [];
    for (const [t, v] of s.points) {
      if (v === null || v === undefined || !Number.isFinite(v)) { pen = false; continue; }
      d += `${pen ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
      pts.push([t, v]);
    }
    const cls = `chart-line chart-series-${i % 8}`;
    if (d) root.appendChild(svg('path', { d, class: cls, fill: 'none' }, svg('title', {}, s.name)));
    // Dots when sparse (and always for isolated single points), so a lone sample shows.
    if (pts.length <= 40) {
      for (const [t, v] of pts) root.appendChild(svg('circle', { cx: x(t).toFixed(1), cy: y(v).toFixed(1), r: 2.5, class: `chart-dot chart-series-${i % 8}` }, svg('title', {}, `${s.name} ${timeLabel(t)}: ${format(v)}`)));
    }
  });

  const legend = html('ul', 'chart-legend', ...series.map((s, i) => html('li', null, html('span', `chart-swatch chart-series-${i % 8}`), s.name)));
  legend.setAttribute('aria-hidden', 'true');

  // the table alternative: one row per sample time (at most maxTableRows, the latest)
  const rowsByTime = new Map();
  series.forEach((s, i) => { for (const [t, v] of s.points) { if (!rowsByTime.has(t)) rowsByTime.set(t, []); rowsByTime.get(t)[i] = v; } });
  let rowTimes = [...rowsByTime.keys()].sort((a, b) => a - b);
  if (rowTimes.length > maxTableRows) {
    const step = Math.ceil(rowTimes.length / maxTableRows);
    rowTimes = rowTimes.filter((_, i) => (rowTimes.length - 1 - i) % step === 0);
  }
  const thead = html('thead', null, html('tr', null, html('th', null, 'Time'), ...series.map((s) => html('th', null, s.name))));
  thead.querySelectorAll('th').forEach((th) => th.setAttribute('scope', 'col'));
  const tbody = html('tbody', null, ...rowTimes.slice().reverse().map((t) => html('tr', null,
    html('th', null, timeLabel(t, true)),
    ...series.map((_, i) => { const v = rowsByTime.get(t)[i]; return html('td', null, v === null || v === undefined ? '—' : format(v)); }))));
  tbody.querySelectorAll('th').forEach((th) => th.setAttribute('scope', 'row'));
  const tbl = html('table', 'adm-table chart-table', html('caption', null, `${title}${unit ? ` (${unit})` : ''}`), thead, tbody);
  const details = html('details', 'chart-data', html('summary', null, 'Show as a table'), html('div', 'adm-table-wrap', tbl));

  const heading = html('figcaption', 'chart-title', title, unit ? html('small', null, ` ${unit}`) : null);
  const fig = html('figure', 'chart', heading, root, legend, details);
  fig.setAttribute('data-chart', title);
  return fig;
}

/**
 * A horizontal bar list: [{label, value, text}] → <ul class="bars">; widths set with CSSOM
 * (the CSP forbids style attributes, not el.style).
 */
export function barList(items, { max, label } = {}) {
  const top = max || Math.max(1, ...items.map((i) => i.value || 0));
  const ul = html('ul', 'bars');
  if (label) ul.setAttribute('aria-label', label);
  for (const it of items) {
    const fill = html('span', 'bar-fill');
    fill.style.width = `${Math.max(0, Math.min(100, ((it.value || 0) / top) * 100)).toFixed(1)}%`;
    const track = html('span', 'bar-track', fill);
    track.setAttribute('aria-hidden', 'true');
    ul.appendChild(html('li', 'bar', html('span', 'bar-label', it.label), track, html('span', 'bar-text', it.text)));
  }
  return ul;
}

// camshim's dashboard: reads /dashboard/api/* (docs/dashboard-api.md) and draws the page.
// Every value from the daemon (names come from cameras, which may look up anything) reaches the
// page as a text node or an attribute value, never as markup; the Content-Security-Policy forbids
// inline script as a second line of defence.
const API = '/dashboard/api/';
const REFRESH_MS = 10_000;
const SVG = 'http://www.w3.org/2000/svg';

/** An element with text children (strings become text nodes) and attributes set one by one. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined && value !== null) node.setAttribute(key, String(value));
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(child === undefined || child === null ? '' : String(child)));
  return node;
}

function svg(tag, attributes = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
}

/** Local time: today's as the time of day only, older ones with their date (ISO-like, sortable by eye). */
function time(iso) {
  if (!iso) return '–';
  const date = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  const clockText = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  if (date.toDateString() === new Date().toDateString()) return clockText;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${clockText.slice(0, 5)}`;
}
/** An axis label: seconds only where the axis spans minutes. */
const clock = (ms, span) => new Date(ms).toLocaleTimeString([], span < 600_000 ? { hour: '2-digit', minute: '2-digit', second: '2-digit' } : { hour: '2-digit', minute: '2-digit' });

function cadence(ms) {
  if (ms === undefined) return '–';
  const seconds = ms / 1000;
  if (seconds < 1) return '<1 s';
  if (seconds < 90) return `~${Math.round(seconds)} s`;
  const minutes = seconds / 60;
  if (minutes < 90) return `~${Math.round(minutes)} min`;
  return `~${Math.round(minutes / 60)} h`;
}

/**
 * Fills a table: columns are [heading, value of a row, class]. An empty table says so in one row.
 */
function fill(table, columns, rows, empty) {
  const head = el('tr', {}, ...columns.map(([heading, , cls]) => el('th', { class: cls }, heading)));
  const body = rows.length === 0
    ? [el('tr', {}, el('td', { class: 'empty', colspan: columns.length }, empty))]
    : rows.map((row) => el('tr', {}, ...columns.map(([, value, cls]) => el('td', { class: cls }, value(row)))));
  table.replaceChildren(el('thead', {}, head), el('tbody', {}, ...body));
}

const who = (row) => [row.client, row.host, row.mac].filter((part) => part !== undefined).join(' · ');

const NAME_COLUMNS = [
  ['name', (row) => row.name, 'name'],
  ['list', (row) => row.list ?? '–'],
  ['attempts', (row) => row.attempts, 'num'],
  ['clients', (row) => row.clients, 'num'],
  ['cadence', (row) => cadence(row.cadenceMs)],
  ['first seen', (row) => time(row.firstSeen)],
  ['last seen', (row) => time(row.lastSeen)],
];

async function getJson(path) {
  const response = await fetch(API + path, { cache: 'no-store', headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

function drawSummary(summary) {
  fill(document.getElementById('sinkholed'), NAME_COLUMNS, summary.sinkholed, 'nothing sinkholed yet');
  fill(document.getElementById('unlisted'), NAME_COLUMNS, summary.unlisted, 'no unlisted names');
  const fresh = [...summary.new.sinkholed.map((row) => ({ ...row, kind: 'sinkholed' })), ...summary.new.unlisted.map((row) => ({ ...row, kind: 'unlisted' }))];
  fill(document.getElementById('new-names'), [['name', (row) => row.name, 'name'], ['answer', (row) => row.kind], ...NAME_COLUMNS.slice(1)], fresh, 'no new names');
  fill(document.getElementById('clients'), [
    ['client', who],
    ['sinkholed', (row) => row.sinkholed, 'num'],
    ['unlisted', (row) => row.unlisted, 'num'],
    ['redirected', (row) => row.redirected, 'num'],
    ['most tried', (row) => row.top.map((top) => `${top.name} (${top.attempts})`).join(', '), 'name'],
    ['last seen', (row) => time(row.lastSeen)],
  ], summary.clients, 'no clients yet');
}

/** One row per client, one tick per attempt: a camera calling home on a timer draws a regular comb. */
function drawTimeline(timeline) {
  const box = document.getElementById('timeline');
  if (timeline.clients.length === 0) { box.replaceChildren(el('p', { class: 'hint' }, 'no attempts in this window')); return; }
  // From the first attempt shown to now, whatever the window asked: a comb stays readable.
  const end = Date.parse(timeline.generatedAt);
  let start = end;
  for (const client of timeline.clients) if (client.points.length > 0) start = Math.min(start, client.points[0][0]);
  const span = Math.max(end - start, 60_000);
  start = end - span;
  const left = 230; const right = 990; const rowHeight = 24; const top = 6;
  const height = top + timeline.clients.length * rowHeight + 22;
  const chart = svg('svg', { class: 'timeline', viewBox: `0 0 1000 ${height}`, role: 'img', 'aria-label': 'attempts per client over time' });
  const x = (ms) => left + ((ms - start) / span) * (right - left);
  timeline.clients.forEach((client, row) => {
    const y = top + row * rowHeight + rowHeight / 2;
    const group = svg('g', { class: 'timeline-row', 'data-client': client.client });
    const label = svg('text', { x: 0, y: y + 4 });
    label.textContent = [client.client, client.host].filter((part) => part !== undefined).join(' ');
    group.append(label, svg('line', { class: 'row', x1: left, x2: right, y1: y, y2: y }));
    for (const [ms, index] of client.points) {
      const name = timeline.names[index];
      const tick = svg('line', { class: `point ${name.event}`, x1: x(ms).toFixed(1), x2: x(ms).toFixed(1), y1: y - 8, y2: y + 8 });
      const title = svg('title', {});
      title.textContent = `${time(new Date(ms).toISOString())}  ${name.name}  (${name.event}${name.list === null ? '' : `, list ${name.list}: ${name.rule}`})`;
      tick.append(title);
      group.append(tick);
    }
    chart.append(group);
  });
  for (let i = 0; i <= 4; i++) {
    const ms = start + (span * i) / 4;
    const label = svg('text', { class: 'axis', x: x(ms), y: height - 6, 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle' });
    label.textContent = clock(ms, span);
    chart.append(label);
  }
  box.replaceChildren(chart);
}

function drawNtp(ntp) {
  const line = document.getElementById('ntp-clock');
  if (!ntp.enabled) { line.replaceChildren('The NTP server is off.'); fill(document.getElementById('ntp-clients'), [['client', who]], [], 'no NTP server'); return; }
  line.replaceChildren('Clock ', el('strong', { class: `state-${ntp.clock.state}` }, ntp.clock.state), ` since ${time(ntp.clock.since)} (${ntp.clock.reason}); ${ntp.served} replies served.`);
  fill(document.getElementById('ntp-clients'), [
    ['client', who],
    ['group', (row) => row.group],
    ['requests', (row) => row.requests, 'num'],
    ['first seen', (row) => time(row.firstSeen)],
    ['last request', (row) => time(row.lastRequest)],
  ], ntp.clients, 'no NTP clients yet');
}

function drawLists(lists) {
  document.getElementById('list-errors').replaceChildren(...lists.errors.map((error) => el('li', {}, error)));
  fill(document.getElementById('lists'), [
    ['list', (row) => row.name, 'name'],
    ['kind', (row) => row.kind],
    ['entries', (row) => row.entries, 'num'],
    ['source', (row) => (row.bundled ? 'bundled' : row.source), 'name'],
    ['last refresh', (row) => time(row.lastRefresh ?? row.modified)],
    ['last error', (row) => row.lastError ?? ''],
  ], lists.lists, 'no lists loaded');
}

function drawUpstreams(upstream) {
  fill(document.getElementById('upstreams'), [
    ['upstream', (row) => row.upstream, 'name'],
    ['state', (row) => el('span', { class: `state-${row.state}` }, row.state)],
    ['queries', (row) => row.queries, 'num'],
    ['answers', (row) => row.answers, 'num'],
    ['timeouts', (row) => row.timeouts, 'num'],
    ['failures', (row) => row.failures, 'num'],
  ], upstream.upstreams, 'no upstream (nothing is forwarded)');
}

let timer;
async function refresh() {
  clearTimeout(timer);
  // A tab nobody looks at costs the router nothing; it catches up when shown again.
  if (document.hidden) return;
  const status = document.getElementById('status');
  const since = document.getElementById('new-since').value;
  const windowChoice = document.getElementById('timeline-window').value;
  try {
    const [summary, timeline, ntp, lists, upstream] = await Promise.all([
      getJson(`summary?since=${encodeURIComponent(since)}`), getJson(`timeline?since=${encodeURIComponent(windowChoice)}`),
      getJson('ntp'), getJson('lists'), getJson('upstream'),
    ]);
    drawSummary(summary);
    drawTimeline(timeline);
    drawNtp(ntp);
    drawLists(lists);
    drawUpstreams(upstream);
    status.className = '';
    status.textContent = `${summary.queries} logged queries since ${time(summary.first)}; updated ${time(new Date().toISOString())}, every ${REFRESH_MS / 1000} s`;
    document.body.dataset.loaded = String(Number(document.body.dataset.loaded ?? 0) + 1);
  } catch (error) {
    status.className = 'error';
    status.textContent = `could not update: ${error instanceof Error ? error.message : String(error)}; retrying`;
  }
  timer = setTimeout(refresh, REFRESH_MS);
}

document.getElementById('new-since').addEventListener('change', refresh);
document.getElementById('timeline-window').addEventListener('change', refresh);
document.addEventListener('visibilitychange', () => { if (!document.hidden) void refresh(); });
void refresh();

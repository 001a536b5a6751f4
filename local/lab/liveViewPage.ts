/**
 * The script of the live view (browser JavaScript, not compiled: a test parses it). It polls the
 * lab's state and the watchdog's API through the lab control every 2 s and rebuilds the page.
 * Every value from them goes in as text (`append` of strings makes text nodes), never as HTML.
 */
const SCRIPT = String.raw`
'use strict';
const POLL_MS = 2000;
// Pairs whose failover instance is read: all of them once (a finished failover shows on load),
// then those with a running failover, kept until the API no longer knows the instance.
const followed = new Set();
let firstPoll = true;

function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  return node;
}
const row = (...cells) => el('tr', '', ...cells.map((c) => el('td', '', c)));
const headRow = (...names) => el('tr', '', ...names.map((n) => el('th', '', n)));
const table = (head, rows) => el('table', '', el('thead', '', head), el('tbody', '', ...rows));
const badge = (text, tone) => el('span', 'badge ' + (tone || 'neutral'), text);
const failed = (part) => part !== null && typeof part === 'object' && part.error !== undefined;
const problemOf = (part) => el('span', 'bad', (part.error && part.error.code ? part.error.code + ': ' : '') + (part.error && part.error.message ? part.error.message : String(part.error)));

function age(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '-';
  if (seconds < 90) return seconds.toFixed(1) + ' s';
  const whole = Math.round(seconds);
  if (whole < 5400) return Math.floor(whole / 60) + ' min ' + (whole % 60) + ' s';
  const minutes = Math.round(whole / 60);
  return Math.floor(minutes / 60) + ' h ' + (minutes % 60) + ' min';
}
const secondsSince = (iso) => (iso ? (Date.now() - Date.parse(iso)) / 1000 : null);
const between = (from, to) => (from && to ? (Date.parse(to) - Date.parse(from)) / 1000 : null);
const clock = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '-');

function toneOf(state) {
  if (state === 'ok' || state === 'done' || state === 'completed' || state === 'Completed' || state === 'up') return 'good';
  if (state === 'running' || state === 'Running' || state === 'Pending' || state === 'skipped') return 'busy';
  if (state === undefined || state === null) return 'neutral';
  return 'warn';
}

async function getJson(path) {
  const res = await fetch(path, { cache: 'no-store', headers: { accept: 'application/json' } });
  let body = null;
  try { body = await res.json(); } catch (_e) { body = null; }
  return { status: res.status, body };
}

function watchdogPart(p) {
  if (!p) return el('p', 'muted', 'the watchdog API has no record of this pair');
  const rows = [];
  const hb = p.heartbeat;
  if (hb === null) rows.push(row('heartbeat', 'not checked yet'));
  else if (failed(hb)) rows.push(row('heartbeat', problemOf(hb)));
  else {
    const down = hb.primaryDown && hb.primaryDown.suspected ? ' - Primary suspected down' + (hb.primaryDown.conclusive ? ' (conclusive)' : '') : '';
    rows.push(row('heartbeat', el('span', '', badge(hb.state, toneOf(hb.state)), ' since ' + clock(hb.since) + down)));
    rows.push(row('heartbeat age', age(hb.primaryHeartbeatAgeSeconds ?? hb.heartbeatAgeSeconds) + ' (checked ' + age(hb.checkAgeSeconds) + ' ago)'));
  }
  const b = p.backup;
  if (b === null) rows.push(row('backup', 'not checked yet'));
  else if (failed(b)) rows.push(row('backup', problemOf(b)));
  else rows.push(row('backup', el('span', '', badge(b.state, toneOf(b.state)), ' newest ' + (b.newest ? age(b.newest.ageSeconds) + ' old' : 'none') + (b.overdue ? ', overdue' : ''))));
  const a = p.active;
  if (failed(a)) rows.push(row('active', problemOf(a)));
  else if (a) rows.push(row('active', a.side + ' (' + a.host + ') at epoch ' + a.epoch + (a.fenceRecord ? '' : ', no fence record')));
  const m = p.maintenance;
  if (failed(m)) rows.push(row('maintenance', problemOf(m)));
  else if (m) rows.push(row('maintenance', m.active ? badge('on' + (m.until ? ' until ' + clock(m.until) : ''), 'warn') : 'off'));
  const d = p.lastDecision;
  if (d && !failed(d)) rows.push(row('last decision', d.action + (d.reason ? ' (' + d.reason + ')' : '') + ' at ' + clock(d.decidedAt)));
  return table(headRow('watchdog', ''), rows);
}

function hostsPart(labPair) {
  if (!labPair) return el('p', 'muted', 'not in the lab');
  const hosts = ['primary', 'secondary'].map((side) => {
    const h = labPair[side];
    const agent = h.agent ? (h.agent.fenced ? 'fenced' : 'free') + ', epoch seen ' + h.agent.epochSeen : 'silent';
    const service = h.adTempus ? h.adTempus.state + (h.adTempus.startupType ? ', ' + h.adTempus.startupType : '') + (h.adTempus.jobsRun === false ? ', -norun' : '') : '-';
    return row(side, h.host, badge(h.power + (h.hung ? ', hung' : ''), h.hung ? 'warn' : toneOf(h.power)), agent, service);
  });
  const locks = labPair.databases.map((d) =>
    row(d.name, d.owner || 'released', age(d.heartbeatAgeSeconds) + ' / ' + d.takeoverDelaySeconds + ' s', d.cutOff ? badge('cut off', 'warn') : 'reachable',
      d.backups.taken + ' taken, newest ' + (d.backups.newest ? age(secondsSince(d.backups.newest)) + ' old' : 'none') + (d.backups.paused ? ' (paused)' : '')));
  return el('div', '', table(headRow('side', 'host', 'power', 'agent', 'adTempus'), hosts),
    table(headRow('database', 'lock owner', 'heartbeat age / takeover', 'watchdog reach', 'backups'), locks));
}

function failoverPart(f) {
  if (!f) return el('p', 'muted', 'no failover');
  // Once finished, the result holds the whole timeline; the last progress may stop short of it.
  const progress = f.result || f.progress || {};
  const head = el('p', '', badge(f.runtimeStatus, toneOf(f.runtimeStatus)), ' ' + f.instanceId + ', ' + (progress.trigger || '?') + (progress.requestedBy ? ' by ' + progress.requestedBy : '') + ', started ' + clock(progress.startedAt));
  const parts = [head];
  if (f.running && f.progress) {
    parts.push(el('p', '', 'phase ' + f.progress.phase + (f.progress.epoch !== undefined ? ', epoch ' + f.progress.epoch : '') + (f.progress.cancellable ? ', cancellable' : '')));
    const w = f.progress.awaiting;
    if (w) parts.push(el('p', 'awaiting', 'awaiting ' + w.event + ' until ' + clock(w.until) + ' (' + (secondsSince(w.until) < 0 ? age(-secondsSince(w.until)) + ' left' : 'past') + '): ' + w.reasons.map((r) => r.code).join(', ')));
  }
  if (f.result) {
    const t = f.result.timings || {};
    parts.push(el('p', '', badge(f.result.outcome, toneOf(f.result.outcome)), ' ' + f.result.code + ': ' + f.result.detail + (t.rtoSeconds !== undefined ? ' - RTO ' + age(t.rtoSeconds) : '') + (f.result.dataLoss && f.result.dataLoss.seconds !== undefined ? ', data loss ' + age(f.result.dataLoss.seconds) : '')));
  }
  if (f.failure) parts.push(el('p', 'bad', String(f.failure)));
  const steps = (progress.steps || []).map((s) =>
    row(s.step, badge(s.outcome, toneOf(s.outcome)), clock(s.startedAt), age(s.endedAt ? between(s.startedAt, s.endedAt) : secondsSince(s.startedAt)) + (s.endedAt ? '' : ' so far'), s.detail));
  parts.push(table(headRow('step', 'outcome', 'started', 'took', 'detail'), steps));
  return el('div', 'timeline', ...parts);
}

function render(labState, apiPairs, failovers) {
  const ids = [];
  for (const p of (labState ? labState.pairs : []).concat(apiPairs)) if (!ids.includes(p.id)) ids.push(p.id);
  const cards = ids.map((id) => {
    const labPair = labState ? labState.pairs.find((p) => p.id === id) : undefined;
    const p = apiPairs.find((x) => x.id === id);
    const strategy = (p && p.strategy) || (labPair && labPair.strategy) || '';
    return el('section', 'pair', el('h2', '', id + ' ', el('small', 'muted', strategy)),
      el('h3', '', 'watchdog'), watchdogPart(p),
      el('h3', '', 'lab hosts and locks'), hostsPart(labPair),
      el('h3', '', 'failover'), failoverPart(failovers[id]));
  });
  document.getElementById('pairs').replaceChildren(...cards);
}

async function poll() {
  const problems = [];
  try {
    const [lab, api] = await Promise.all([getJson('/lab'), getJson('/lab/api/pairs')]);
    if (lab.status !== 200) problems.push('lab state: HTTP ' + lab.status);
    if (api.status !== 200) problems.push('watchdog API: ' + (api.body && api.body.error ? (api.body.error.message || api.body.error) : 'HTTP ' + api.status));
    const labState = lab.status === 200 ? lab.body : null;
    const apiPairs = api.status === 200 && api.body && Array.isArray(api.body.pairs) ? api.body.pairs : [];
    for (const p of apiPairs) if (firstPoll || (p.failover && !failed(p.failover))) followed.add(p.id);
    if (apiPairs.length > 0) firstPoll = false;
    const failovers = {};
    await Promise.all([...followed].map(async (id) => {
      const f = await getJson('/lab/api/failovers/failover-' + encodeURIComponent(id));
      if (f.status === 200) failovers[id] = f.body;
      else if (f.status === 404) followed.delete(id);
      else problems.push('failover of ' + id + ': HTTP ' + f.status);
    }));
    render(labState, apiPairs, failovers);
  } catch (e) {
    problems.push(String(e));
  }
  document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  document.getElementById('problems').textContent = problems.join('; ');
  setTimeout(poll, POLL_MS);
}
poll();
`;

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1rem 2rem; color: #1b1b1b; background: #fafafa; }
header { display: flex; gap: 1rem; align-items: baseline; }
h1 { font-size: 1.3rem; margin: 0; }
h2 { margin: 0 0 .3rem; font-size: 1.15rem; }
h3 { margin: .8rem 0 .2rem; font-size: .95rem; color: #555; text-transform: uppercase; letter-spacing: .03em; }
.pair { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: .8rem 1rem; margin: 1rem 0; }
table { border-collapse: collapse; margin: .2rem 0 .4rem; }
th, td { text-align: left; padding: .15rem .8rem .15rem 0; vertical-align: top; }
th { font-weight: 600; color: #555; border-bottom: 1px solid #ddd; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: 3px; font-weight: 600; }
.good { background: #d7f5dd; color: #11602a; }
.busy { background: #dbe8ff; color: #1b3f8a; }
.warn { background: #ffe1d6; color: #8a2b0c; }
.neutral { background: #eee; color: #444; }
.muted { color: #777; }
.bad, #problems { color: #a11; }
.awaiting { font-weight: 600; color: #8a5a00; }
`;

/**
 * GET /lab/view: one self-contained page (no external assets) a person keeps open while breaking
 * the lab: per pair the watchdog's view (heartbeat state and age, backup age, active side and
 * epoch), the lab's hosts and locks, and the failover's timeline as it runs.
 */
export const LIVE_VIEW_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>adTempus watchdog lab: live view</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>adTempus watchdog lab: live view</h1><span id="updated" class="muted">loading</span><span id="problems"></span></header>
<main id="pairs"></main>
<script>${SCRIPT}</script>
</body>
</html>
`;

/** The page's script, for the test that parses it. */
export const LIVE_VIEW_SCRIPT = SCRIPT;

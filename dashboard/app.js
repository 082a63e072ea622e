// InfiniOffice dashboard: plain JavaScript over the REST API (docs/api.md). No build step,
// nothing loaded from other origins. Text is always set with textContent (never innerHTML).
'use strict';

const API = '/api/v1';
const main = document.getElementById('main');
let me = null;

// ---- helpers ----
function h(tag, attrs, ...children) {
  const svg = ['svg', 'rect', 'line', 'text', 'g', 'path', 'title'].includes(tag);
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'style') Object.assign(el.style, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.setAttribute('class', v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function token() { return sessionStorage.getItem('infini_token') || ''; }

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || ('HTTP ' + status));
    this.status = status;
    this.body = body;
  }
}

async function api(path, options = {}) {
  const res = await fetch(API + path, {
    method: options.method || 'GET',
    headers: Object.assign({ Authorization: 'Bearer ' + token() },
                           options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    body: options.body,
  });
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (res.status === 401 && !options.login) { signOut('Your session ended; sign in again.'); throw new ApiError(401, body); }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

function page(title, ...content) {
  main.replaceChildren(h('h1', {}, title), ...content);
}

function showError(e) {
  main.append(h('div', { class: 'error', role: 'alert' }, e.message));
}

function fmtDuration(s) {
  if (s === null || s === undefined) return '—';
  return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
}
function fmtLocal(iso) { return iso ? iso.replace('T', ' ').slice(0, 16) : '—'; }
function fmtMoney(micros) {
  if (micros === null || micros === undefined) return '—';
  return '$' + (micros / 1e6).toFixed(micros < 100000 ? 4 : 2);
}
function fmtPct(x) { return x === null || x === undefined ? '—' : (x * 100).toFixed(0) + '%'; }
function badge(outcome) { return h('span', { class: 'badge ' + (outcome || '') }, outcome || 'in progress'); }
function canWrite(role) { return me && (me.role === 'owner' || (role === 'staff' && me.role === 'staff')); }

function table(columns, rows, onClick) {
  return h('table', {},
    h('thead', {}, h('tr', {}, columns.map(c => h('th', {}, c[0])))),
    h('tbody', {}, rows.length === 0
      ? h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, 'Nothing here yet.'))
      : rows.map(r => h('tr', onClick ? { class: 'link', onclick: () => onClick(r) } : {},
          columns.map(c => h('td', {}, c[1](r)))))));
}

function pager(data, go) {
  const prev = h('button', { type: 'button', disabled: data.offset === 0,
                             onclick: () => go(Math.max(0, data.offset - data.limit)) }, '← Newer');
  const next = h('button', { type: 'button', disabled: data.next_offset === null,
                             onclick: () => go(data.next_offset) }, 'Older →');
  const to = Math.min(data.total, data.offset + data.limit);
  return h('div', { class: 'pager' }, h('span', { class: 'muted' },
    data.total ? `${data.offset + 1}–${to} of ${data.total}` : '0 of 0'), prev, next);
}

// ---- login ----
function renderLogin(message) {
  document.getElementById('top').hidden = true;
  const input = h('input', { id: 'token', type: 'password', placeholder: 'inf_…', autocomplete: 'off' });
  const err = h('div', {});
  if (message) err.append(h('div', { class: 'error' }, message));
  const form = h('form', { class: 'card login', onsubmit: async (ev) => {
    ev.preventDefault();
    sessionStorage.setItem('infini_token', input.value.trim());
    try {
      me = await api('/me', { login: true });
      if (location.hash === '#/calls') route(); else location.hash = '#/calls';  // hashchange routes
    } catch (e) {
      sessionStorage.removeItem('infini_token');
      err.replaceChildren(h('div', { class: 'error', role: 'alert' },
        e.status === 401 ? 'That token was not accepted.' : e.message));
    }
  } },
    h('h1', {}, 'Sign in'),
    h('p', { class: 'muted' }, 'Paste an API token (create one with ', h('code', {}, 'infini token create'), ').'),
    h('label', {}, 'API token', input), err,
    h('div', { class: 'toolbar' }, h('button', { class: 'primary', type: 'submit', id: 'signin' }, 'Sign in')));
  main.replaceChildren(form);
  input.focus();
}

function signOut(message) {
  sessionStorage.removeItem('infini_token');
  me = null;
  renderLogin(message);
}
document.getElementById('signout').addEventListener('click', () => { location.hash = ''; signOut(); });

// ---- calls ----
async function renderCalls(params) {
  const q = new URLSearchParams(params);
  if (!q.get('limit')) q.set('limit', '25');
  const outcome = h('select', { id: 'f-outcome' },
    ['', 'booked', 'voicemail', 'transferred', 'answered', 'abandoned'].map(o =>
      h('option', { value: o, selected: q.get('outcome') === o }, o || 'any outcome')));
  const from = h('input', { type: 'date', id: 'f-from', value: q.get('from') || '' });
  const to = h('input', { type: 'date', id: 'f-to', value: q.get('to') || '' });
  const apply = () => {
    const n = new URLSearchParams();
    if (outcome.value) n.set('outcome', outcome.value);
    if (from.value) n.set('from', from.value);
    if (to.value) n.set('to', to.value);
    location.hash = '#/calls?' + n.toString();
  };
  page('Calls', h('div', { class: 'filters' },
    h('label', {}, 'Outcome', outcome), h('label', {}, 'From', from), h('label', {}, 'To', to),
    h('button', { type: 'button', onclick: apply }, 'Filter')));
  try {
    const data = await api('/calls?' + q.toString());
    main.append(h('div', { class: 'card' }, table([
      ['Started', c => fmtLocal(c.started_local)],
      ['Caller', c => c.from || '—'],
      ['Outcome', c => badge(c.outcome)],
      ['Duration', c => fmtDuration(c.duration_s)],
      ['Summary', c => c.summary || ''],
    ], data.calls, c => { location.hash = '#/calls/' + c.id; }),
    pager(data, off => { q.set('offset', off); location.hash = '#/calls?' + q.toString(); })));
  } catch (e) { showError(e); }
}

function latencyBar(turn, scaleMs) {
  const l = turn.latency_ms || {};
  if (l.total === undefined) return null;
  const stages = ['asr', 'decision', 'tts', 'send'];
  const bar = h('div', { class: 'bar', title: `total ${l.total} ms` },
    stages.filter(s => l[s] !== undefined && l[s] > 0).map(s =>
      h('div', { class: 'seg ' + s, title: `${s} ${l[s]} ms`,
                 style: { width: Math.max(0.5, 100 * l[s] / scaleMs) + '%' } })));
  const parts = stages.filter(s => l[s] !== undefined).map(s => `${s} ${l[s]}`).join(' · ');
  return h('div', { class: 'latency', 'data-total-ms': l.total }, bar,
    h('div', { class: 'label' }, `reply in ${l.total} ms — ${parts}`));
}

async function renderCall(id) {
  page('Call #' + id);
  let d;
  try { d = await api('/calls/' + encodeURIComponent(id)); } catch (e) { return showError(e); }
  const c = d.call;
  const scale = Math.max(1, ...d.turns.map(t => (t.latency_ms || {}).total || 0));
  const info = h('div', { class: 'card' }, h('dl', { class: 'kv' },
    h('dt', {}, 'Started'), h('dd', {}, fmtLocal(c.started_local)),
    h('dt', {}, 'Caller'), h('dd', {}, c.from || '—'),
    h('dt', {}, 'Outcome'), h('dd', { id: 'call-outcome' }, badge(c.outcome)),
    h('dt', {}, 'Duration'), h('dd', {}, fmtDuration(c.duration_s)),
    h('dt', {}, 'Status'), h('dd', {}, c.status),
    h('dt', {}, 'Summary'), h('dd', {}, c.summary || '—'),
    h('dt', {}, 'Cost'), h('dd', {}, fmtMoney(d.cost_micros)),
    h('dt', {}, 'Recording'), h('dd', {}, c.recording_url
      ? h('a', { href: c.recording_url, target: '_blank', rel: 'noopener' }, 'listen') : '—')));
  const booking = h('div', { class: 'card', id: 'booking' }, h('h2', {}, 'Booking'),
    d.appointments.length === 0 ? h('p', { class: 'muted' }, 'No appointment was booked on this call.')
      : d.appointments.map(a => h('dl', { class: 'kv booking' },
          h('dt', {}, 'Service'), h('dd', {}, a.service_id),
          h('dt', {}, 'When'), h('dd', {}, fmtLocal(a.start_local) + ' – ' + fmtLocal(a.end_local).slice(11)),
          h('dt', {}, 'With'), h('dd', {}, a.resource),
          h('dt', {}, 'Customer'), h('dd', {}, `${a.customer_name} ${a.customer_phone}`),
          a.address ? [h('dt', {}, 'Address'), h('dd', {}, a.address)] : null)),
    d.sms.length ? [h('h2', {}, 'SMS sent'), d.sms.map(s => h('p', { class: 'sms' }, `To ${s.to}: ${s.body} (${s.status})`))] : null);
  const transcript = h('div', { class: 'card' }, h('h2', {}, 'Transcript'),
    h('div', { class: 'legend' }, ['asr', 'decision', 'tts', 'send'].map(s => h('span', {}, h('i', { class: s }), s))),
    h('div', { class: 'transcript', id: 'transcript' }, d.turns.length === 0 ? h('p', { class: 'muted' }, 'No transcript.') :
      d.turns.map(t => h('div', { class: 'turn ' + t.speaker },
        h('div', { class: 'who' }, t.speaker), h('div', { class: 'text' }, t.text), latencyBar(t, scale)))));
  const actions = h('div', { class: 'card' }, h('h2', {}, 'Actions'), table([
    ['Kind', a => a.kind], ['Detail', a => typeof a.detail === 'string' ? a.detail : JSON.stringify(a.detail)],
  ], d.actions));
  main.append(h('p', {}, h('a', { href: '#/calls' }, '← All calls')), h('div', { class: 'row' }, info, booking), transcript, actions);
}

// ---- appointments ----
async function renderAppointments(params) {
  const q = new URLSearchParams(params);
  page('Appointments');
  try {
    const data = await api('/appointments?' + q.toString());
    main.append(h('div', { class: 'card' }, table([
      ['When', a => fmtLocal(a.start_local)], ['Service', a => a.service_id], ['With', a => a.resource],
      ['Customer', a => a.customer_name], ['Phone', a => a.customer_phone],
      ['Call', a => a.call_id ? h('a', { href: '#/calls/' + a.call_id }, '#' + a.call_id) : '—'],
      ['', a => canWrite('staff') ? h('button', { type: 'button', class: 'danger', onclick: async () => {
        if (!confirm(`Cancel ${a.customer_name}'s appointment on ${fmtLocal(a.start_local)}?`)) return;
        try { await api('/appointments/' + encodeURIComponent(a.id) + '/cancel', { method: 'POST' }); route(); }
        catch (e) { showError(e); }
      } }, 'Cancel') : ''],
    ], data.appointments), pager(data, off => { q.set('offset', off); location.hash = '#/appointments?' + q; })));
  } catch (e) { showError(e); }
}

// ---- voicemails and callbacks ----
async function renderMessages() {
  page('Voicemails & callbacks');
  try {
    const [vm, cb] = await Promise.all([api('/voicemails?limit=200'), api('/callbacks?limit=200')]);
    main.append(h('div', { class: 'card' }, h('h2', {}, 'Voicemails'), table([
      ['Received', v => new Date(v.created_utc * 1000).toLocaleString()], ['From', v => `${v.caller_name} ${v.caller_phone}`],
      ['Message', v => v.message],
      ['Call', v => v.call_id ? h('a', { href: '#/calls/' + v.call_id }, '#' + v.call_id) : '—'],
    ], vm.voicemails)),
    h('div', { class: 'card' }, h('h2', {}, 'Callbacks / leads'), table([
      ['Created', c => new Date(c.created_utc * 1000).toLocaleString()], ['Who', c => `${c.caller_name} ${c.caller_phone}`],
      ['Wants', c => c.request], ['Urgency', c => c.urgency], ['Best time', c => c.best_time],
      ['Status', c => c.status],
      ['', c => canWrite('staff') ? h('button', { type: 'button', onclick: async () => {
        try {
          await api(`/callbacks/${c.id}/status`, { method: 'POST',
            body: JSON.stringify({ status: c.status === 'done' ? 'open' : 'done' }) });
          route();
        } catch (e) { showError(e); }
      } }, c.status === 'done' ? 'Reopen' : 'Mark done') : ''],
    ], cb.callbacks)));
  } catch (e) { showError(e); }
}

// ---- SMS ----
async function renderSms(params) {
  const q = new URLSearchParams(params);
  page('SMS outbox');
  try {
    const data = await api('/sms?' + q.toString());
    main.append(h('div', { class: 'card' }, table([
      ['Queued', s => new Date(s.created_utc * 1000).toLocaleString()], ['To', s => s.to], ['Message', s => s.body],
      ['Status', s => s.status + (s.error ? ` (${s.error})` : '')],
      ['Call', s => s.call_id ? h('a', { href: '#/calls/' + s.call_id }, '#' + s.call_id) : '—'],
    ], data.sms), pager(data, off => { q.set('offset', off); location.hash = '#/sms?' + q; })));
  } catch (e) { showError(e); }
}

// ---- analytics ----
function barChart(days) {
  const W = 1000, H = 220, pad = 28;
  const max = Math.max(1, ...days.map(d => d.calls));
  const bw = Math.min(60, (W - pad * 2) / Math.max(1, days.length));
  const svg = h('svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', id: 'chart-calls',
                         'aria-label': 'Calls per day' });
  svg.append(h('line', { x1: pad, y1: H - pad, x2: W - pad, y2: H - pad, stroke: '#cbd5e1' }));
  svg.append(h('text', { x: 2, y: pad - 8 }, String(max)));
  days.forEach((d, i) => {
    const x = pad + i * bw + 2, hAll = (H - pad * 2) * d.calls / max, hB = (H - pad * 2) * d.booked / max;
    const g = h('g', {}, h('title', {}, `${d.date}: ${d.calls} calls, ${d.booked} booked`));
    g.append(h('rect', { x, y: H - pad - hAll, width: Math.max(1, bw - 4), height: hAll, fill: '#c7d2fe' }));
    g.append(h('rect', { x, y: H - pad - hB, width: Math.max(1, bw - 4), height: hB, fill: '#2563eb', class: 'booked-bar' }));
    svg.append(g);
    if (days.length <= 14 || i % Math.ceil(days.length / 10) === 0)
      svg.append(h('text', { x: x, y: H - 8 }, d.date.slice(5)));
  });
  return svg;
}

function hbars(entries, unit) {
  const W = 480, rowH = 26, labelW = 110;
  const max = Math.max(1, ...entries.map(e => e[1]));
  const svg = h('svg', { viewBox: `0 0 ${W} ${entries.length * rowH + 6}`, width: '100%', role: 'img' });
  entries.forEach(([name, v], i) => {
    const y = i * rowH + 4, w = (W - labelW - 80) * v / max;
    svg.append(h('text', { x: 0, y: y + 14 }, name));
    svg.append(h('rect', { x: labelW, y, width: Math.max(1, w), height: rowH - 8, fill: '#60a5fa', rx: 3 }));
    svg.append(h('text', { x: labelW + w + 6, y: y + 14 }, `${Math.round(v)}${unit}`));
  });
  return svg;
}

async function renderAnalytics(params) {
  const q = new URLSearchParams(params);
  const from = h('input', { type: 'date', value: q.get('from') || '' });
  const to = h('input', { type: 'date', value: q.get('to') || '' });
  page('Analytics', h('div', { class: 'filters' }, h('label', {}, 'From', from), h('label', {}, 'To', to),
    h('button', { type: 'button', onclick: () => {
      const n = new URLSearchParams();
      if (from.value) n.set('from', from.value);
      if (to.value) n.set('to', to.value);
      location.hash = '#/analytics?' + n;
    } }, 'Show')));
  let a;
  try { a = await api('/analytics?' + q.toString()); } catch (e) { return showError(e); }
  const tile = (k, v, id) => h('div', { class: 'tile', id }, h('div', { class: 'v' }, v), h('div', { class: 'k' }, k));
  const total = a.latency_ms.total;
  main.append(h('div', { class: 'tiles' },
    tile('Calls', a.calls, 'tile-calls'),
    tile('Booking success', fmtPct(a.booking_success_rate), 'tile-booking'),
    tile('After hours', fmtPct(a.after_hours_share), 'tile-after-hours'),
    tile('Reply latency p50 / p95', total ? `${total.p50} / ${total.p95} ms` : '—', 'tile-latency'),
    tile('Cost per call', fmtMoney(a.cost.per_call_micros), 'tile-cost')),
  h('div', { class: 'card' }, h('h2', {}, 'Calls per day (dark: booked)'), barChart(a.calls_per_day)),
  h('div', { class: 'row' },
    h('div', { class: 'card' }, h('h2', {}, 'Outcomes'), hbars(Object.entries(a.outcomes), '')),
    h('div', { class: 'card' }, h('h2', {}, 'Latency p50 per stage'),
      Object.keys(a.latency_ms).length ? hbars(Object.entries(a.latency_ms).map(([k, v]) => [k, v.p50]), ' ms')
        : h('p', { class: 'muted' }, 'No measured turns in this range.'))),
  h('div', { class: 'card' }, h('h2', {}, 'Latency percentiles (ms)'), table([
    ['Stage', r => r[0]], ['n', r => r[1].n], ['p50', r => r[1].p50], ['p90', r => r[1].p90],
    ['p95', r => r[1].p95], ['p99', r => r[1].p99], ['max', r => r[1].max],
  ], Object.entries(a.latency_ms))),
  h('div', { class: 'card' }, h('h2', {}, 'Cost by kind'), table([
    ['Kind', r => r[0]], ['Quantity', r => r[1].quantity], ['Cost', r => fmtMoney(r[1].cost_micros)],
  ], Object.entries(a.cost.by_kind))));
}

// ---- script editor ----
async function renderScript() {
  page('Script');
  let s;
  try { s = await api('/script'); } catch (e) { return showError(e); }
  const editor = h('textarea', { class: 'editor', id: 'script-editor', spellcheck: 'false' });
  editor.value = JSON.stringify(s.config, null, 2);
  const status = h('div', { id: 'script-status' });
  const version = h('span', { class: 'muted', id: 'script-version' }, `live version ${s.version} (${s.source})`);
  const report = (ok, text, errors) => {
    status.replaceChildren(h('div', { class: ok ? 'success' : 'error', role: 'status' }, text,
      (errors || []).length ? h('ul', {}, errors.map(e => h('li', {}, h('code', {}, e.path || '(document)'), ': ', e.message))) : null));
  };
  const validate = async () => {
    try {
      const r = await api('/script/validate', { method: 'POST', body: editor.value });
      r.valid ? report(true, 'Valid.') : report(false, 'Not valid:', r.errors);
    } catch (e) { report(false, e.message); }
  };
  const save = async () => {
    try {
      const r = await api('/script', { method: 'PUT', body: editor.value });
      version.textContent = `live version ${r.version} (store)`;
      report(true, `Saved: version ${r.version} is live.`);
    } catch (e) {
      const errs = e.body && e.body.error && e.body.error.errors;
      // A 422 lists every problem ({path, message}); the config that was live stays live.
      if (errs && errs.length) report(false, `Not saved: ${errs.length} problem${errs.length === 1 ? '' : 's'}; the current version stays live.`, errs);
      else report(false, e.message, errs);
    }
  };
  const canSave = me && me.role === 'owner';
  main.append(h('div', { class: 'card' },
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', id: 'validate', onclick: validate }, 'Validate'),
      h('button', { type: 'button', class: 'primary', id: 'save', onclick: save, disabled: !canSave,
                    title: canSave ? null : 'Only an owner can change the script' }, 'Save'),
      version),
    status, editor,
    h('p', { class: 'muted' }, 'The format is described in docs/flow-format.md. A rejected config never replaces the live one.')));
}

// ---- router ----
const pages = {
  calls: renderCalls, appointments: renderAppointments, messages: renderMessages, sms: renderSms,
  analytics: renderAnalytics, script: renderScript,
};

async function route() {
  if (!token()) return renderLogin();
  if (!me) {
    try { me = await api('/me', { login: true }); } catch (e) { return signOut(e.status === 401 ? 'Sign in again.' : e.message); }
  }
  document.getElementById('top').hidden = false;
  document.getElementById('whoami').textContent = `${me.name} · ${me.role}`;
  const hash = location.hash.replace(/^#\/?/, '') || 'calls';
  const [path, query] = hash.split('?');
  const parts = path.split('/');
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === parts[0]);
  const params = Object.fromEntries(new URLSearchParams(query || ''));
  if (parts[0] === 'calls' && parts[1]) return renderCall(parts[1]);
  return (pages[parts[0]] || renderCalls)(params);
}

window.addEventListener('hashchange', route);
route();

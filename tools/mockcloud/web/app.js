// mockcloud's web page: reads the admin API (/_mock/*) once a second and shows it.
// Everything that came from the network goes into the page as text (textContent, setAttribute
// with fixed names), never as markup: records are untrusted.
'use strict';

const POLL_MS = 1000;
const PAGE_SIZE = 50;
const FILTER_WINDOW = 5000;  // a filter searches the newest items of the type, at most this many
const REQUESTS_SHOWN = 100;  // the newest upload requests
const MAX_COLUMNS = 40;
const MAX_CELL = 160;

const state = {
  view: 'items',
  stats: null,
  dataType: null,       // the DataType shown
  page: 0,              // 0 = newest
  filter: '',
  itemsKey: '',         // what the table shows now, so that an unchanged poll redraws nothing
  requestsKey: '',
  faultsKey: '',
  controlKey: '',
  selectedItem: null,   // the index (arrival order) of the record shown in full
  selectedRequest: null,
  busy: false,
  again: false,         // asked for while busy: refresh once more when done
};

const $ = (id) => document.getElementById(id);

// A record's own member, never one inherited from Object.prototype ("constructor", …).
function own(object, name) {
  return object !== null && typeof object === 'object' &&
      Object.prototype.hasOwnProperty.call(object, name) ? object[name] : undefined;
}

// An element with a fixed class and children; strings become text nodes.
function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A received time "2026-12-02T14:19:16.168Z" as "14:19:16.168", the whole of it on hover.
function timeCell(time) {
  const text = String(time || '');
  const cell = el('td', 'time', text.replace(/^\d{4}-\d\d-\d\dT(.*)Z$/, '$1'));
  cell.title = text;
  return cell;
}

function clip(text) {
  return text.length > MAX_CELL ? text.slice(0, MAX_CELL) + '…' : text;
}

// A cell of a record's value: strings as they are, everything else as JSON.
function valueCell(value) {
  if (value === undefined) return el('td', 'null', '');
  if (value === null) return el('td', 'null', 'null');
  if (typeof value === 'string') return el('td', null, clip(value));
  if (typeof value === 'number') return el('td', 'num', String(value));
  return el('td', null, clip(JSON.stringify(value)));
}

async function api(path, options) {
  const response = await fetch(path, Object.assign({cache: 'no-store'}, options));
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch (e) {
    body = null;
  }
  if (!response.ok) {
    const message = body && body.error && typeof body.error.message === 'string'
        ? body.error.message : `HTTP ${response.status}`;
    const error = new Error(message);
    error.status = response.status;
    throw error;
  }
  return body;
}

function showBanner(text) {
  const banner = $('banner');
  banner.textContent = text || '';
  banner.hidden = !text;
}

// ---- views and navigation

function showView(view) {
  if (!['items', 'requests', 'faults', 'control'].includes(view)) view = 'items';
  state.view = view;
  for (const name of ['items', 'requests', 'faults', 'control']) {
    $('view-' + name).hidden = name !== view;
    $('tab-' + name).classList.toggle('active', name === view);
  }
  refresh();
}

function routeFromHash() {
  const hash = decodeURIComponent(location.hash.replace(/^#/, ''));
  const slash = hash.indexOf('/');
  const view = slash < 0 ? hash : hash.slice(0, slash);
  if (view === 'items' && slash >= 0) selectDataType(hash.slice(slash + 1), false);
  showView(view || 'items');
}

// ---- summary and DataTypes

function renderSummary(stats) {
  const parts = [`${stats.items} items`, `${stats.requests} requests`,
                 `${stats.accepted} accepted`, `${stats.rejected} refused`,
                 `${stats.duplicates} duplicates`, `${stats.faultsFired} faulted`,
                 `store: ${stats.store}`];
  $('summary').textContent = parts.join(' · ');
}

function renderDataTypes(stats) {
  const list = $('data-types');
  const types = Object.keys(stats.dataTypes || {}).sort();
  $('no-data-types').hidden = types.length > 0;
  if (state.dataType === null && types.length > 0) selectDataType(types[0], false);
  const key = JSON.stringify([types.map((t) => [t, stats.dataTypes[t]]), state.dataType]);
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  list.replaceChildren(...types.map((type) => {
    const item = el('li', type === state.dataType ? 'selected' : null,
                    el('span', 'name', type), el('span', 'count', String(stats.dataTypes[type])));
    item.dataset.type = type;
    item.addEventListener('click', () => selectDataType(type, true));
    return item;
  }));
}

function selectDataType(type, updateHash) {
  if (state.dataType !== type) {
    state.dataType = type;
    state.page = 0;
    state.selectedItem = null;
    state.itemsKey = '';
    $('item-detail').hidden = true;
  }
  if (updateHash) history.replaceState(null, '', '#items/' + encodeURIComponent(type));
  if (state.stats) renderDataTypes(state.stats);
  refresh();
}

// ---- items

function typeCount() {
  if (!state.stats || state.dataType === null) return 0;
  const count = own(state.stats.dataTypes, state.dataType);
  return typeof count === 'number' ? count : 0;
}

async function loadItems() {
  const type = state.dataType;
  const count = typeCount();
  $('items-title').textContent = type === null ? 'Items' : type;
  if (type === null) {
    renderItems([], 0, 0, '');
    return;
  }
  const filter = state.filter.trim().toLowerCase();
  const key = JSON.stringify([type, count, state.page, filter]);
  if (key === state.itemsKey) return;
  let offset;
  let limit;
  if (filter) {
    offset = Math.max(0, count - FILTER_WINDOW);
    limit = count - offset;
  } else {
    const end = Math.max(0, count - state.page * PAGE_SIZE);
    offset = Math.max(0, end - PAGE_SIZE);
    limit = end - offset;
  }
  let rows = [];
  if (limit > 0) {
    const body = await api(`/_mock/items?dataType=${encodeURIComponent(type)}` +
                           `&offset=${offset}&limit=${limit}&meta=true`);
    if (body && body.discarded) {
      state.itemsKey = key;
      renderItems([], count, 0, 'mockcloud runs with --discard: items are counted, not kept.');
      return;
    }
    const items = body && Array.isArray(body.items) ? body.items : [];
    rows = items.map((entry, i) => ({index: offset + i, entry}));
    rows.reverse();  // newest first
  }
  if (state.dataType !== type) return;  // changed while we waited
  state.itemsKey = key;
  let note = '';
  let total = rows.length;
  if (filter) {
    rows = rows.filter((row) => JSON.stringify(row.entry.item).toLowerCase().includes(filter));
    total = rows.length;
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    if (state.page >= pages) state.page = pages - 1;
    rows = rows.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE);
    note = `${total} of ${Math.min(count, FILTER_WINDOW)} ` +
           (count > FILTER_WINDOW ? `newest items match (the filter searches the newest ${FILTER_WINDOW})`
                                  : 'items match');
  } else {
    total = count;
  }
  renderItems(rows, total, state.page, note);
}

function renderItems(rows, total, page, note) {
  $('items-note').textContent = note;
  const first = total === 0 ? 0 : page * PAGE_SIZE + 1;
  const last = Math.min(total, (page + 1) * PAGE_SIZE);
  $('page-info').textContent = total === 0 ? 'no items' : `${first}–${last} of ${total}, newest first`;
  $('newer').disabled = page === 0;
  $('older').disabled = last >= total;
  const columns = [];
  const seen = new Set();
  for (const row of rows) {
    const item = row.entry && row.entry.item;
    if (item === null || typeof item !== 'object') continue;
    for (const name of Object.keys(item)) {
      if (!seen.has(name) && columns.length < MAX_COLUMNS) {
        seen.add(name);
        columns.push(name);
      }
    }
  }
  const table = $('items-table');
  table.tHead.replaceChildren(el('tr', null, el('th', null, '#'), el('th', null, 'received'),
                                 ...columns.map((c) => el('th', null, c))));
  table.tBodies[0].replaceChildren(...rows.map((row) => {
    const item = row.entry.item || {};
    const tr = el('tr', row.index === state.selectedItem ? 'selected' : null,
                  el('td', 'num', String(row.index + 1)),
                  timeCell(row.entry.time),
                  ...columns.map((c) => valueCell(own(item, c))));
    tr.dataset.index = String(row.index);
    tr.addEventListener('click', () => showItem(row, tr));
    return tr;
  }));
}

function showItem(row, tr) {
  state.selectedItem = row.index;
  for (const other of $('items-table').tBodies[0].rows) other.classList.remove('selected');
  tr.classList.add('selected');
  const entry = row.entry;
  $('item-detail-title').textContent =
      `${entry.dataType} #${row.index + 1} · request ${entry.requestId || '(none)'} · ${entry.time}`;
  $('item-json').textContent = JSON.stringify(entry.item, null, 2) +
      '\n\n' + JSON.stringify({ipName: entry.ipName, resourceId: entry.resourceId}, null, 2);
  $('item-detail').hidden = false;
}

// ---- requests

function schemaSummary(schema) {
  if (schema === null || schema === undefined) return '';
  if (!schema.checked) return 'not checked';
  if (!schema.itemsWithProblems) return `${schema.table}: fits`;
  const names = [].concat(schema.unknownFields || [], schema.reservedFields || [],
                          (schema.typeMismatches || []).map((m) => m.field));
  return `${schema.table}: ${schema.itemsWithProblems} of ${schema.items} items do not fit (` +
         names.slice(0, 5).join(', ') + (names.length > 5 ? ', …' : '') + ')';
}

async function loadRequests() {
  const count = state.stats ? state.stats.requests : 0;
  const key = String(count);
  if (key === state.requestsKey) return;
  const offset = Math.max(0, count - REQUESTS_SHOWN);
  const body = await api(`/_mock/requests?offset=${offset}&limit=${REQUESTS_SHOWN}`);
  state.requestsKey = key;
  const requests = body && Array.isArray(body.requests) ? body.requests : [];
  const total = body ? body.count : 0;
  $('requests-info').textContent = total > REQUESTS_SHOWN
      ? `the newest ${REQUESTS_SHOWN} of ${total}, newest first` : `${total}, newest first`;
  const rows = requests.map((r, i) => ({index: offset + i, r})).reverse();
  $('requests-table').tBodies[0].replaceChildren(...rows.map(({index, r}) => {
    const status = Number(r.status);
    const statusCell = el('td', `num status-${String(status).charAt(0)}`, String(r.status));
    const schema = schemaSummary(r.schema);
    const tr = el('tr', index === state.selectedRequest ? 'selected' : null,
                  el('td', 'num', String(index + 1)), timeCell(r.time),
                  el('td', null, String(r.endpoint)), el('td', null, String(r.dataType)),
                  statusCell, el('td', null, String(r.requestId)),
                  el('td', null, r.duplicate ? 'duplicate' : ''),
                  el('td', 'num', String(r.itemCount)), el('td', 'num', String(r.compressedBytes)),
                  el('td', r.schema && r.schema.itemsWithProblems ? 'problem' : null, schema),
                  el('td', null, clip(String(r.message || ''))));
    tr.dataset.index = String(index);
    tr.dataset.status = String(r.status);
    tr.addEventListener('click', () => showRequest(index, r, tr));
    return tr;
  }));
}

function showRequest(index, r, tr) {
  state.selectedRequest = index;
  for (const other of $('requests-table').tBodies[0].rows) other.classList.remove('selected');
  tr.classList.add('selected');
  $('request-detail-title').textContent =
      `#${index + 1} · ${r.endpoint} ${r.dataType} · ${r.status} · request ${r.requestId || '(none)'}`;
  const headers = r.headers && typeof r.headers === 'object' ? r.headers : {};
  $('request-headers').tBodies[0].replaceChildren(...Object.keys(headers).map(
      (name) => el('tr', null, el('th', null, name), el('td', null, String(headers[name])))));
  $('request-schema').textContent = JSON.stringify(r.schema, null, 2);
  $('request-detail').hidden = false;
}

// ---- faults

async function loadFaults() {
  const body = await api('/_mock/faults');
  const key = JSON.stringify(body);
  if (key === state.faultsKey) return;
  state.faultsKey = key;
  const faults = body && Array.isArray(body.faults) ? body.faults : [];
  $('faults-table').tBodies[0].replaceChildren(...faults.map((f) => el('tr', null,
      el('td', 'num', String(f.id)), el('td', null, String(f.target)),
      el('td', 'num', String(f.status)), el('td', 'num', String(f.remaining)),
      el('td', 'num', f.retryAfter === null || f.retryAfter === undefined ? '' : String(f.retryAfter)),
      el('td', null, f.retryAfterDate ? 'yes' : ''), el('td', 'num', String(f.latencyMs)),
      el('td', 'num', String(f.probability)), el('td', 'num', String(f.fired)))));
  $('faults-info').textContent = (faults.length === 0 ? 'No faults: every request is handled normally. '
                                                     : `${faults.length} in force. `) +
                                 `${body ? body.fired : 0} requests answered by a fault so far.`;
}

function faultMessage(text, ok) {
  const message = $('fault-message');
  message.textContent = text;
  message.className = 'message ' + (ok ? 'ok' : 'error');
}

async function addFault(event) {
  event.preventDefault();
  const fault = {
    target: $('fault-target').value,
    status: Number($('fault-status').value),
    count: Number($('fault-count').value),
    latencyMs: Number($('fault-latency').value || 0),
    probability: Number($('fault-probability').value || 1),
  };
  const retryAfter = $('fault-retry-after').value;
  if (retryAfter !== '') {
    fault.retryAfter = Number(retryAfter);
    fault.retryAfterDate = $('fault-retry-after-date').checked;
  }
  try {
    const added = await api('/_mock/faults', {method: 'POST', body: JSON.stringify(fault),
                                              headers: {'Content-Type': 'application/json'}});
    faultMessage(`Added fault ${added.id}: ${added.target} → ${added.status}, ` +
                 `${added.remaining} request(s).`, true);
  } catch (e) {
    faultMessage(`Refused: ${e.message}`, false);
  }
  state.faultsKey = '';
  refresh();
}

async function clearFaults() {
  try {
    const body = await api('/_mock/faults', {method: 'DELETE'});
    faultMessage(`Cleared ${body.cleared} fault(s).`, true);
  } catch (e) {
    faultMessage(`Failed: ${e.message}`, false);
  }
  state.faultsKey = '';
  refresh();
}

// ---- control plane

async function loadControl() {
  const redirect = await api('/_mock/redirect');
  let configurations = null;
  let configurationsError = '';
  try {
    configurations = await api('/_mock/configurations');
  } catch (e) {
    if (e.status !== 400) throw e;
    configurationsError = e.message;  // no agentConfigurations request yet
  }
  const stats = state.stats || {};
  const key = JSON.stringify([redirect, configurations, configurationsError,
                              stats.controlPlaneCalls, stats.controlPlaneStatuses]);
  if (key === state.controlKey) return;
  state.controlKey = key;
  $('redirect').checked = Boolean(redirect && redirect.enabled);
  $('redirect-endpoint').textContent = redirect ? String(redirect.endpoint) : '';
  const list = configurations && Array.isArray(configurations.configurations)
      ? configurations.configurations : [];
  $('configurations-info').textContent = configurations
      ? `For ${configurations.resourceId} (the agent of the last agentConfigurations request): ` +
        `${list.length} configuration(s).`
      : configurationsError;
  $('configurations-table').tBodies[0].replaceChildren(...list.map((c) => el('tr', null,
      el('td', null, String(c.configurationId)), el('td', null, String(c.eTag)),
      el('td', null, String(c.source)))));
  const rows = [
    ['calls', stats.controlPlaneCalls], ['direct', stats.controlPlaneDirectCalls],
    ['under /dce', stats.controlPlaneDceCalls], ['redirected (421)', stats.controlPlaneRedirects],
    ['200', stats.controlPlaneOk], ['304', stats.controlPlaneNotModified],
    ['statuses', JSON.stringify(stats.controlPlaneStatuses || {})],
    ['last path', stats.lastControlPlanePath === null ? '(none yet)' : stats.lastControlPlanePath],
    ['last If-None-Match', JSON.stringify(stats.lastIfNoneMatch || [])],
    ['tokens issued', stats.tokensIssued],
  ];
  $('control-stats').tBodies[0].replaceChildren(...rows.map(([name, value]) =>
      el('tr', null, el('th', null, name), el('td', null, String(value === undefined ? '' : value)))));
}

async function setRedirect() {
  const enabled = $('redirect').checked;
  try {
    await api('/_mock/redirect', {method: 'POST', body: JSON.stringify({enabled}),
                                  headers: {'Content-Type': 'application/json'}});
  } catch (e) {
    showBanner(`Redirect not changed: ${e.message}`);
  }
  state.controlKey = '';
  refresh();
}

// ---- polling

let timer = null;

async function refresh() {
  if (state.busy) {
    state.again = true;
    return;
  }
  state.busy = true;
  state.again = false;
  clearTimeout(timer);
  try {
    const stats = await api('/_mock/stats');
    state.stats = stats;
    renderSummary(stats);
    renderDataTypes(stats);
    if (state.view === 'items') await loadItems();
    if (state.view === 'requests') await loadRequests();
    if (state.view === 'faults') await loadFaults();
    if (state.view === 'control') await loadControl();
    showBanner('');
    $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (e) {
    showBanner(`Cannot read mockcloud's admin API: ${e.message}`);
  } finally {
    state.busy = false;
    if (state.again) {
      timer = setTimeout(refresh, 0);
    } else if ($('live').checked) {
      timer = setTimeout(refresh, POLL_MS);
    }
  }
}

function init() {
  $('filter').addEventListener('input', () => {
    state.filter = $('filter').value;
    state.page = 0;
    refresh();
  });
  $('newer').addEventListener('click', () => { state.page = Math.max(0, state.page - 1); refresh(); });
  $('older').addEventListener('click', () => { state.page += 1; refresh(); });
  $('item-detail-close').addEventListener('click', () => {
    $('item-detail').hidden = true;
    state.selectedItem = null;
  });
  $('request-detail-close').addEventListener('click', () => {
    $('request-detail').hidden = true;
    state.selectedRequest = null;
  });
  $('fault-form').addEventListener('submit', addFault);
  $('clear-faults').addEventListener('click', clearFaults);
  $('redirect').addEventListener('change', setRedirect);
  $('live').addEventListener('change', () => refresh());
  $('reset').addEventListener('click', async () => {
    if (!confirm('Reset mockcloud: remove every item, request, fault and counter?')) return;
    try {
      await api('/_mock/reset', {method: 'POST'});
    } catch (e) {
      showBanner(`Reset failed: ${e.message}`);
    }
    state.itemsKey = state.requestsKey = state.faultsKey = state.controlKey = '';
    state.dataType = null;
    refresh();
  });
  window.addEventListener('hashchange', routeFromHash);
  routeFromHash();
}

document.addEventListener('DOMContentLoaded', init);

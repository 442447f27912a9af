/* global document, window, AbortController, TextDecoder, sessionStorage */
// The ZeroDrop dashboard: the public GraphQL API only, with the server key typed in.
// It reads the newest event id, then the current picture; the orderEvents subscription
// (SSE over fetch, so the key travels in a header) continues from that id, and after any
// interruption resumes from the last id received, so nothing is missed.

const GRAPHQL = '/graphql';
const MAX_EVENT_ROWS = 200;
/** Webhook retries change without an order event: re-read the lists this often too. */
const REFRESH_EVERY_MS = 5_000;
const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

const ORDER_FIELDS = 'id store storeOrderId playerId status finishMode price { amountMinor currency } purchasedAt deliveredAt';

// Separate small queries: each stays well inside the server's query cost limit.
const QUERIES = {
  snapshot: `query DashboardSnapshot { latestOrderEventId app { name } }`,
  totals: `query DashboardTotals($timeZone: String!) {
    orderTotals(days: 7, timeZone: $timeZone) {
      __typename
      ... on OrderTotalsReport { timeZone rows { day store currency orders delivered awaitingFinish awaitingProduct revoked amountMinor } }
      ... on Error { message }
    }
  }`,
  pending: `query DashboardPending { orders(first: 20, filter: { status: DELIVERED }) { edges { node { ${ORDER_FIELDS} } } } }`,
  deliveries: `query DashboardDeliveries($status: [WebhookDeliveryStatus!]) {
    webhookDeliveries(first: 20, filter: { status: $status }) {
      edges { node { id status attempts lastError lastResponseStatus createdAt endpoint { url } event { id type } } }
    }
  }`,
};

const EVENTS = `subscription DashboardEvents($after: ID) {
  orderEvents(after: $after) { id type createdAt playerId data order { ${ORDER_FIELDS} } }
}`;

const RESEND = `mutation DashboardResend($id: ID!) {
  resendWebhookDelivery(input: { deliveryId: $id }) { __typename ... on Error { message } }
}`;

const $ = (id) => document.getElementById(id);

const state = {
  key: '',
  cursor: null,
  /** Ends the running subscription (a new connect, or leaving). */
  abort: null,
  /** ORDER_ACK_FAILED events seen live, newest first. */
  ackFailures: [],
  refreshTimer: null,
  refreshInterval: null,
};

// ---- GraphQL over fetch -----------------------------------------------------------

class ApiError extends Error {}

async function gql(query, variables) {
  const response = await fetch(GRAPHQL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${state.key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok || body.errors?.length) {
    throw new ApiError(body.errors?.[0]?.message ?? `HTTP ${response.status}`);
  }
  return body.data;
}

/**
 * Runs the subscription until it ends or fails; calls onEvent for each event. SSE
 * framing: blocks separated by a blank line, "event:" and "data:" lines.
 */
async function subscribe(after, signal, onEvent) {
  const response = await fetch(GRAPHQL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${state.key}` },
    body: JSON.stringify({ query: EVENTS, variables: { after } }),
    signal,
  });
  if (!response.ok || !response.body) throw new ApiError(`subscription refused: HTTP ${response.status}`);
  setStatus('live');
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffered += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const lines = block.split('\n');
      const type = lines.find((l) => l.startsWith('event:'))?.slice(6).trim();
      const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
      if (type === 'complete') return;
      if (type !== 'next' || !data) continue;
      const result = JSON.parse(data);
      if (result.errors?.length) throw new ApiError(result.errors[0].message);
      onEvent(result.data.orderEvents);
    }
  }
}

// ---- rendering ---------------------------------------------------------------------

function setStatus(text) {
  const status = $('status');
  status.textContent = text;
  status.dataset.state = text;
}

function showError(message) {
  $('error').textContent = message;
  $('error').hidden = !message;
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text ?? '';
  if (className) td.className = className;
  return td;
}

function badge(text) {
  const td = document.createElement('td');
  const span = document.createElement('span');
  span.className = `badge ${text}`;
  span.textContent = text;
  td.append(span);
  return td;
}

function row(cells, attributes = {}) {
  const tr = document.createElement('tr');
  tr.append(...cells);
  for (const [name, value] of Object.entries(attributes)) tr.setAttribute(name, value);
  return tr;
}

function fill(tableId, rows, emptyText, columns) {
  const body = $(tableId).tBodies[0];
  body.replaceChildren(...(rows.length ? rows : [row([Object.assign(cell(emptyText, 'empty'), { colSpan: columns })])]));
}

const formats = new Map();
/** Minor units (a decimal string) as money in its currency, without floating point. */
function money(amountMinor, currency) {
  if (amountMinor === null || amountMinor === undefined) return '';
  if (!currency) return String(amountMinor);
  let format = formats.get(currency);
  if (!format) {
    try {
      format = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    } catch {
      format = null;
    }
    formats.set(currency, format);
  }
  if (!format) return `${amountMinor} ${currency}`;
  const digits = format.resolvedOptions().maximumFractionDigits;
  const minor = BigInt(amountMinor);
  const negative = minor < 0n;
  const abs = negative ? -minor : minor;
  const scale = 10n ** BigInt(digits);
  const whole = abs / scale;
  const fraction = (abs % scale).toString().padStart(digits, '0');
  const parts = format.formatToParts(0);
  const symbol = parts.filter((p) => p.type === 'currency').map((p) => p.value).join('');
  return `${negative ? '-' : ''}${symbol}${whole.toLocaleString()}${digits ? `.${fraction}` : ''}`;
}

const time = (iso) => (iso ? new Date(iso).toLocaleString() : '');
const priceOf = (order) => (order?.price ? money(order.price.amountMinor, order.price.currency) : '');

function renderTotals(report) {
  if (report.__typename !== 'OrderTotalsReport') {
    showError(report.message);
    return;
  }
  $('time-zone').textContent = `(${report.timeZone})`;
  fill(
    'totals',
    report.rows.map((r) =>
      row(
        [
          cell(r.day),
          cell(r.store),
          cell(String(r.orders), 'num'),
          cell(String(r.delivered), 'num'),
          cell(String(r.awaitingFinish), 'num'),
          cell(String(r.awaitingProduct), 'num'),
          cell(String(r.revoked), 'num'),
          cell(money(r.amountMinor, r.currency), 'num'),
        ],
        { 'data-total': `${r.day}:${r.store}:${r.currency ?? ''}`, 'data-orders': String(r.orders) },
      ),
    ),
    'No orders in the last 7 days',
    8,
  );
}

function renderPending(orders) {
  fill(
    'pending',
    orders.map((o) =>
      row([cell(time(o.deliveredAt)), cell(o.store), cell(o.storeOrderId), cell(o.playerId), cell(o.finishMode === 'CLIENT' ? 'client' : 'ZeroDrop')], {
        'data-pending': o.storeOrderId,
      }),
    ),
    'Nothing pending',
    5,
  );
}

function renderDeliveries(deliveries) {
  fill(
    'deliveries',
    deliveries.map((d) =>
      row(
        [
          cell(time(d.createdAt)),
          cell(`${d.event.type} #${d.event.id}`),
          cell(d.endpoint.url),
          badge(d.status),
          cell(String(d.attempts), 'num'),
          cell(d.lastResponseStatus ? `HTTP ${d.lastResponseStatus}` : ''),
        ],
        { 'data-delivery': d.id },
      ),
    ),
    'No webhook deliveries',
    6,
  );
}

function renderFailures(failedDeliveries) {
  const rows = [
    ...state.ackFailures.map((e) =>
      row(
        [
          cell(time(e.createdAt)),
          badge('ORDER_ACK_FAILED'),
          cell(`${e.order?.store ?? ''} ${e.order?.storeOrderId ?? ''}: attempt ${e.data?.attempt ?? '?'}: ${e.data?.error ?? ''}`, 'detail'),
          cell(''),
        ],
        { 'data-failure': `event:${e.id}` },
      ),
    ),
    ...failedDeliveries.map((d) => {
      const action = document.createElement('td');
      if (d.status === 'FAILED') {
        const button = document.createElement('button');
        button.textContent = 'Resend';
        button.addEventListener('click', () => resend(d.id, button));
        action.append(button);
      }
      return row(
        [
          cell(time(d.createdAt)),
          badge(d.status),
          cell(`webhook ${d.event.type} #${d.event.id} → ${d.endpoint.url}: ${d.lastError ?? ''}`, 'detail'),
          action,
        ],
        { 'data-failure': `delivery:${d.id}` },
      );
    }),
  ];
  fill('failures', rows, 'No failures', 4);
}

function addEventRow(event) {
  const order = event.order;
  const tr = row(
    [
      cell(time(event.createdAt)),
      badge(event.type),
      cell(order?.store),
      cell(order?.storeOrderId),
      cell(event.playerId),
      cell(priceOf(order), 'num'),
      order ? badge(order.status) : cell(''),
    ],
    { 'data-event-id': event.id, 'data-order': order?.storeOrderId ?? '', 'data-type': event.type, class: 'fresh' },
  );
  const body = $('events').tBodies[0];
  body.querySelector('td.empty')?.parentElement.remove();
  body.prepend(tr);
  while (body.rows.length > MAX_EVENT_ROWS) body.lastElementChild.remove();
}

// ---- flow ----------------------------------------------------------------------------

/** Re-reads totals, pending acknowledgements and webhook deliveries. */
async function refresh() {
  const nodes = (connection) => connection.edges.map((e) => e.node);
  const [totals, pending, deliveries, failed] = await Promise.all([
    gql(QUERIES.totals, { timeZone }),
    gql(QUERIES.pending, {}),
    gql(QUERIES.deliveries, {}),
    gql(QUERIES.deliveries, { status: ['RETRYING', 'FAILED'] }),
  ]);
  renderTotals(totals.orderTotals);
  renderPending(nodes(pending.orders));
  renderDeliveries(nodes(deliveries.webhookDeliveries));
  renderFailures(nodes(failed.webhookDeliveries));
}

/** Totals, pending and deliveries change with events: re-read them, at most a few times a second. */
function scheduleRefresh() {
  if (state.refreshTimer) return;
  state.refreshTimer = window.setTimeout(() => {
    state.refreshTimer = null;
    refresh().catch((err) => showError(err.message));
  }, 250);
}

function onEvent(event) {
  state.cursor = event.id;
  $('cursor').textContent = `(last event #${event.id})`;
  addEventRow(event);
  if (event.type === 'ORDER_ACK_FAILED') state.ackFailures = [event, ...state.ackFailures].slice(0, 20);
  scheduleRefresh();
}

async function follow(signal) {
  let delay = 500;
  while (!signal.aborted) {
    try {
      await subscribe(state.cursor, signal, onEvent);
      delay = 500;
    } catch (err) {
      if (signal.aborted) return;
      showError(err.message);
    }
    if (signal.aborted) return;
    // The stream ended (server restart, network): resume after the last event received.
    setStatus('reconnecting');
    await new Promise((resolve) => window.setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 10_000);
  }
}

async function connect(key) {
  state.abort?.abort();
  state.key = key;
  state.ackFailures = [];
  setStatus('connecting');
  showError('');
  try {
    // The cursor is read before the lists: whatever commits after it arrives as an event.
    const data = await gql(QUERIES.snapshot, {});
    $('app-name').textContent = data.app?.name ? `· ${data.app.name}` : '';
    state.cursor = data.latestOrderEventId;
    $('cursor').textContent = `(after event #${state.cursor})`;
    fill('events', [], 'Waiting for events…', 7);
    await refresh();
    $('board').hidden = false;
    sessionStorage.setItem('zerodrop.serverKey', key);
  } catch (err) {
    setStatus('disconnected');
    showError(err instanceof ApiError ? err.message : `Cannot reach the API: ${err.message}`);
    return;
  }
  const abort = new AbortController();
  state.abort = abort;
  window.clearInterval(state.refreshInterval);
  state.refreshInterval = window.setInterval(scheduleRefresh, REFRESH_EVERY_MS);
  void follow(abort.signal);
}

async function resend(deliveryId, button) {
  button.disabled = true;
  try {
    const data = await gql(RESEND, { id: deliveryId });
    if (data.resendWebhookDelivery.__typename !== 'WebhookDeliveryPayload') showError(data.resendWebhookDelivery.message);
    await refresh();
  } catch (err) {
    showError(err.message);
    button.disabled = false;
  }
}

$('connect-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = $('server-key').value.trim();
  if (key) void connect(key);
});

// The key is kept for this tab only (sessionStorage), so a reload reconnects.
const saved = sessionStorage.getItem('zerodrop.serverKey');
if (saved) {
  $('server-key').value = saved;
  void connect(saved);
}

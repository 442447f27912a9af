/* global document, window, AbortController, TextDecoder, sessionStorage, atob, btoa */
// The ZeroDrop dashboard: the public GraphQL API only, with the server key typed in.
// It reads the newest event id, then the current picture (recent orders, totals, charts);
// the orderEvents subscription (SSE over fetch, so the key travels in a header) continues
// from that id, and after any interruption resumes from the last id received, so nothing
// is missed. Charts are SVG drawn here: no third-party script, nothing from a CDN.

const GRAPHQL = '/graphql';
const MAX_EVENT_ROWS = 200;
const RECENT_ORDERS = 25;
const CHART_DAYS = 14;
const SVG = 'http://www.w3.org/2000/svg';
/** Webhook retries change without an order event: re-read the lists this often too. */
const REFRESH_EVERY_MS = 5_000;
const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

const ORDER_FIELDS =
  'id store storeOrderId playerId status finishMode price { amountMinor currency } product { name } storeProductId purchasedAt deliveredAt';

// Separate small queries: each stays well inside the server's query cost limit.
const QUERIES = {
  snapshot: `query DashboardSnapshot { latestOrderEventId app { name } }`,
  totals: `query DashboardTotals($days: Int!, $timeZone: String!) {
    orderTotals(days: $days, timeZone: $timeZone) {
      __typename
      ... on OrderTotalsReport {
        timeZone
        rows { day store currency orders delivered awaitingFinish awaitingProduct revoked amountMinor refunds refundedAmountMinor }
      }
      ... on Error { message }
    }
  }`,
  recent: `query DashboardRecent($first: Int!) { orders(first: $first) { edges { node { ${ORDER_FIELDS} } } } }`,
  byStoreOrderId: `query DashboardFindByStoreOrder($id: String!) {
    orders(first: 20, filter: { storeOrderId: $id }) { edges { node { ${ORDER_FIELDS} } } }
  }`,
  byPlayer: `query DashboardFindByPlayer($player: String!) {
    orders(first: 50, filter: { playerId: $player }) { edges { node { ${ORDER_FIELDS} } } }
  }`,
  byId: `query DashboardFindById($id: ID!) { node(id: $id) { __typename ... on Order { ${ORDER_FIELDS} } } }`,
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
  /** The recent orders shown, newest first. */
  recent: [],
  /** What the charts were last drawn from. */
  chartKey: '',
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
  if (!response.ok || !response.body) {
    // The API's own words (a 401 names the credential to send), as for any other call.
    const body = await response.json().catch(() => ({}));
    throw new ApiError(body.errors?.[0]?.message ?? `subscription refused: HTTP ${response.status}`);
  }
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
/** Orders whose store states no price show a dash, not an empty cell or a zero. */
const priceOf = (order) => (order?.price ? money(order.price.amountMinor, order.price.currency) : '—');
const productOf = (order) => order?.product?.name ?? order?.storeProductId ?? '';

function renderTotals(report) {
  if (report.__typename !== 'OrderTotalsReport') {
    showError(report.message);
    return;
  }
  $('time-zone').textContent = `(${report.timeZone}, last ${CHART_DAYS} days)`;
  renderCharts(report.rows);
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
          cell(r.currency ? money(r.amountMinor, r.currency) : '—', 'num'),
          cell(String(r.refunds), 'num'),
          cell(r.currency ? money(r.refundedAmountMinor, r.currency) : '—', 'num'),
        ],
        { 'data-total': `${r.day}:${r.store}:${r.currency ?? ''}`, 'data-orders': String(r.orders) },
      ),
    ),
    `No orders in the last ${CHART_DAYS} days`,
    10,
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
      cell(productOf(order)),
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

/** One order as a table row (recent orders and search results). */
function orderRow(order, withId) {
  const player = document.createElement('td');
  const link = document.createElement('a');
  link.className = 'player';
  link.textContent = order.playerId;
  link.title = 'All orders of this player';
  link.addEventListener('click', () => {
    $('search').value = order.playerId;
    void search(order.playerId);
  });
  player.append(link);
  const cells = [
    cell(time(order.purchasedAt)),
    cell(order.store),
    cell(order.storeOrderId),
    player,
    cell(productOf(order), order.product ? '' : 'muted'),
    cell(priceOf(order), 'num'),
    badge(order.status),
  ];
  if (withId) cells.push(cell(order.id, 'id'));
  return row(cells, { 'data-order-id': order.id, 'data-order': order.storeOrderId });
}

function renderRecent(orders) {
  state.recent = orders.slice(0, RECENT_ORDERS);
  fill('recent', state.recent.map((o) => orderRow(o, false)), 'No orders yet', 7);
}

/** An order from an event moves to the top of the recent list, as it is now. */
function upsertRecent(order) {
  state.recent = [order, ...state.recent.filter((o) => o.id !== order.id)].slice(0, RECENT_ORDERS);
  fill('recent', state.recent.map((o) => orderRow(o, false)), 'No orders yet', 7);
  const tr = $('recent').tBodies[0].rows[0];
  tr?.classList.add('fresh');
}

/** The ids the last CHART_DAYS calendar days have in the dashboard's time zone, oldest first. */
function chartDays() {
  const format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  const days = new Set();
  // Noon steps keep daylight-saving changes from skipping or repeating a day.
  const noon = new Date();
  noon.setHours(12, 0, 0, 0);
  for (let i = CHART_DAYS - 1; i >= 0; i--) days.add(format.format(new Date(noon.getTime() - i * 86_400_000)));
  return [...days];
}

function svg(name, attributes = {}, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

const STORES = ['HUAWEI', 'NOWGG', 'HUYA'];
const storeClass = (store) => `store-${STORES.includes(store) ? store : 'other'}`;

/**
 * One chart per currency: per day, revenue stacked by store above the axis and refunds
 * below it, on one linear scale. Amounts stay BigInt; only the bar heights are scaled.
 */
function renderCharts(rows) {
  const days = chartDays();
  // Redrawn only when something changed: a periodic refresh must not reset a hovered bar.
  const key = JSON.stringify([days, rows]);
  if (key === state.chartKey) return;
  state.chartKey = key;
  $('chart-range').textContent = `(${days[0]} – ${days[days.length - 1]}, ${timeZone})`;
  const currencies = [...new Set(rows.filter((r) => r.currency).map((r) => r.currency))].sort();
  // A currency whose orders were all free (or all outside the granted states) has nothing to draw.
  const drawn = (r) => BigInt(r.amountMinor) > 0n || BigInt(r.refundedAmountMinor) > 0n;
  const figures = currencies
    .filter((currency) => rows.some((r) => r.currency === currency && drawn(r)))
    .map((currency) => chart(currency, days, rows.filter((r) => r.currency === currency)));
  if (!figures.length) {
    const empty = document.createElement('p');
    empty.className = 'hint';
    empty.textContent = `No priced orders or refunds in the last ${CHART_DAYS} days.`;
    figures.push(empty);
  }
  $('charts').replaceChildren(...figures);
}

function chart(currency, days, rows) {
  const width = 640;
  const height = 220;
  const left = 64;
  const right = 8;
  const top = 10;
  const bottom = 22;
  const stores = [...new Set(rows.map((r) => r.store))].sort();
  const sum = (list, field) => list.reduce((total, r) => total + BigInt(r[field]), 0n);
  const up = days.map((day) => sum(rows.filter((r) => r.day === day), 'amountMinor'));
  const down = days.map((day) => sum(rows.filter((r) => r.day === day), 'refundedAmountMinor'));
  const maxUp = up.reduce((a, b) => (b > a ? b : a), 0n);
  const maxDown = down.reduce((a, b) => (b > a ? b : a), 0n);
  const span = maxUp + maxDown || 1n;
  const plot = height - top - bottom;
  // The axis sits where revenue ends and refunds begin, proportionally to the largest of each.
  const axisY = top + Math.round((plot * Number((maxUp * 1000n) / span)) / 1000);
  const scale = (amount) => (plot * Number((amount * 100000n) / span)) / 100000;
  const slot = (width - left - right) / days.length;
  const barWidth = Math.max(4, slot * 0.6);

  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'data-currency': currency });
  root.append(svg('title', {}, `Revenue and refunds per day in ${currency}`));
  root.append(svg('line', { x1: left, x2: width - right, y1: top, y2: top, class: 'grid' }));
  root.append(svg('text', { x: left - 4, y: top + 4, 'text-anchor': 'end' }, money(maxUp.toString(), currency)));
  if (maxDown > 0n) {
    root.append(svg('line', { x1: left, x2: width - right, y1: height - bottom, y2: height - bottom, class: 'grid' }));
    root.append(svg('text', { x: left - 4, y: height - bottom, 'text-anchor': 'end' }, `-${money(maxDown.toString(), currency)}`));
  }
  days.forEach((day, i) => {
    const x = left + i * slot + (slot - barWidth) / 2;
    let yUp = axisY;
    let yDown = axisY;
    for (const store of stores) {
      const r = rows.find((row) => row.day === day && row.store === store);
      if (!r) continue;
      const revenue = BigInt(r.amountMinor);
      const refunded = BigInt(r.refundedAmountMinor);
      if (revenue > 0n) {
        const h = scale(revenue);
        yUp -= h;
        const bar = svg('rect', { x, y: yUp, width: barWidth, height: h, class: storeClass(store), 'data-day': day, 'data-store': store, 'data-kind': 'revenue', 'data-amount': r.amountMinor });
        bar.append(svg('title', {}, `${day} ${store}: revenue ${money(r.amountMinor, currency)} (${r.delivered} granted)`));
        root.append(bar);
      }
      if (refunded > 0n) {
        const h = scale(refunded);
        const bar = svg('rect', { x, y: yDown, width: barWidth, height: h, class: `${storeClass(store)} refund`, 'data-day': day, 'data-store': store, 'data-kind': 'refund', 'data-amount': r.refundedAmountMinor });
        bar.append(svg('title', {}, `${day} ${store}: refunds ${money(r.refundedAmountMinor, currency)} (${r.refunds} orders)`));
        root.append(bar);
        yDown += h;
      }
    }
    // Every other day labelled (MM-DD), the newest always.
    if ((days.length - 1 - i) % 2 === 0) {
      root.append(svg('text', { x: left + i * slot + slot / 2, y: height - 6, 'text-anchor': 'middle' }, day.slice(5)));
    }
  });
  root.append(svg('line', { x1: left, x2: width - right, y1: axisY, y2: axisY, class: 'axis' }));

  const figure = document.createElement('figure');
  figure.className = 'chart';
  const caption = document.createElement('figcaption');
  const total = up.reduce((a, b) => a + b, 0n);
  const refunds = down.reduce((a, b) => a + b, 0n);
  caption.textContent = `${currency}: revenue ${money(total.toString(), currency)}, refunds ${money(refunds.toString(), currency)}`;
  const legend = document.createElement('div');
  legend.className = 'legend';
  for (const store of stores) {
    const item = document.createElement('span');
    const swatch = document.createElement('i');
    swatch.className = storeClass(store);
    item.append(swatch, store);
    legend.append(item);
  }
  const refundItem = document.createElement('span');
  const refundSwatch = document.createElement('i');
  refundSwatch.className = 'refund';
  refundItem.append(refundSwatch, 'refunds (below the line)');
  legend.append(refundItem);
  figure.append(caption, root, legend);
  return figure;
}

// ---- search ---------------------------------------------------------------------------

/** A UUID or a global id (base64 of "Order:<uuid>") as the global id node() takes, or null. */
function orderGlobalId(text) {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)) return btoa(`Order:${text.toLowerCase()}`);
  try {
    return atob(text).startsWith('Order:') ? text : null;
  } catch {
    return null;
  }
}

/** One box for the three things support is given: a store order id, an order id or a player id. */
async function search(text) {
  const nodes = (connection) => connection.edges.map((e) => e.node);
  const globalId = orderGlobalId(text);
  const [byStoreOrder, byPlayer, byId] = await Promise.all([
    gql(QUERIES.byStoreOrderId, { id: text }),
    gql(QUERIES.byPlayer, { player: text }),
    globalId ? gql(QUERIES.byId, { id: globalId }) : Promise.resolve(null),
  ]).catch((err) => {
    showError(err.message);
    return [null, null, null];
  });
  if (!byStoreOrder) return;
  const found = new Map();
  if (byId?.node?.__typename === 'Order') found.set(byId.node.id, byId.node);
  for (const order of [...nodes(byStoreOrder.orders), ...nodes(byPlayer.orders)]) found.set(order.id, order);
  const orders = [...found.values()];
  $('search-results').hidden = false;
  $('search-clear').hidden = false;
  $('search-summary').textContent = `(${orders.length} for “${text}”)`;
  fill('found', orders.map((o) => orderRow(o, true)), `No order has the store order id, order id or player id “${text}”`, 8);
}

// ---- flow ----------------------------------------------------------------------------

/** Re-reads totals, pending acknowledgements and webhook deliveries. */
async function refresh() {
  const nodes = (connection) => connection.edges.map((e) => e.node);
  const [totals, pending, deliveries, failed] = await Promise.all([
    gql(QUERIES.totals, { days: CHART_DAYS, timeZone }),
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
  if (event.order) upsertRecent(event.order);
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
  state.chartKey = '';
  setStatus('connecting');
  showError('');
  try {
    // The cursor is read before the lists: whatever commits after it arrives as an event.
    const data = await gql(QUERIES.snapshot, {});
    $('app-name').textContent = data.app?.name ? `· ${data.app.name}` : '';
    state.cursor = data.latestOrderEventId;
    $('cursor').textContent = `(after event #${state.cursor})`;
    fill('events', [], 'Waiting for events…', 8);
    // Backfill: the newest orders as they are now; events after the cursor update them.
    const recent = await gql(QUERIES.recent, { first: RECENT_ORDERS });
    renderRecent(recent.orders.edges.map((e) => e.node));
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

$('search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('search').value.trim();
  if (text) void search(text);
});

$('search-clear').addEventListener('click', () => {
  $('search').value = '';
  $('search-results').hidden = true;
  $('search-clear').hidden = true;
});

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

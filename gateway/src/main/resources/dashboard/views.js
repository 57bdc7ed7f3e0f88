// The dashboard's views. Each takes the element to fill and the route's parameters, and returns a promise that
// settles when everything on it has loaded (the page marks itself ready then).

import * as api from './api.js';
import * as money from './money.js';
import * as chart from './chart.js';
import { h, usd, count, label, utc, panel, note, failure, share, genericTable } from './dom.js';

const DAY = 86400;

/** Dimensions offered in the explorer; any other tag name may be typed. */
export const DIMENSIONS = ['team', 'project', 'env', 'feature', 'customer', 'cost_center', 'model', 'requested_model',
  'provider', 'deployment', 'key', 'api', 'status', 'price_version'];

/** Where a click on a group value leads when no second dimension was chosen. */
const DRILL_NEXT = { model: 'key', key: 'feature', requested_model: 'model', deployment: 'model', price_version: 'model' };

// ---- time, in UTC like the ledger's day and hour buckets ----

const iso = date => date.toISOString().slice(0, 10);
const utcDay = (y, m, d) => new Date(Date.UTC(y, m, d));

function calendar(now = new Date()) {
  const y = now.getUTCFullYear(), m = now.getUTCMonth(), d = now.getUTCDate();
  return {
    today: iso(utcDay(y, m, d)),
    tomorrow: iso(utcDay(y, m, d + 1)),
    monthStart: iso(utcDay(y, m, 1)),
    dayOfMonth: d,
    daysInMonth: utcDay(y, m + 1, 0).getUTCDate(),
    daysAgo: n => iso(utcDay(y, m, d - n)),
    lastMonthStart: iso(utcDay(y, m - 1, 1)),
  };
}

const bucketSeconds = key => Date.parse(key.length === 10 ? key + 'T00:00:00Z' : key) / 1000;

/** Every bucket start from..to (exclusive), so that days without spend show as zero rather than vanish. */
function buckets(from, to, step, seen) {
  const start = Date.parse(from + 'T00:00:00Z') / 1000, end = Date.parse(to + 'T00:00:00Z') / 1000;
  if (!(end > start) || (end - start) / step > 2000) return [...seen].sort((a, b) => a - b);
  const xs = [];
  for (let t = start; t < end; t += step) xs.push(t);
  return xs;
}

// ---- overview ----

export async function overview(view) {
  const cal = calendar();
  const cards = h('div', { class: 'cards' });
  const daily = h('div', { class: 'chart', 'data-testid': 'daily-chart' });
  const tops = h('div', { class: 'grid3' });
  // budgets, findings and alerts one under another, each across the page: a third of it squeezed their tables unreadable
  const extras = h('div', {});
  view.append(h('h1', {}, 'Overview'), cards,
    panel('Spend per day this month', daily), tops, extras);

  const month = api.get('/admin/spend', { from: cal.monthStart, group_by: 'day' });
  const today = api.get('/admin/spend', { from: cal.today });
  // the planner's forecast when this gateway serves it (tollgate serve adds it); null means "not here"
  const planned = api.get('/admin/plan/forecast').catch(e => (api.notAvailable(e) ? null : { failed: e }));
  const work = [
    Promise.all([today, month, planned]).then(([t, m, p]) => {
      cards.append(
        card('Today', usd(t.total.cost_usd, { 'data-testid': 'spend-today' }), count(t.total.requests) + ' requests'),
        card('This month', usd(m.total.cost_usd, { 'data-testid': 'spend-month' }), count(m.total.requests) + ' requests since ' + cal.monthStart),
        forecastCard(m, p, cal),
        card('Savings this month', m.total.saved_usd === undefined
          ? h('span', { class: 'unavailable', 'data-testid': 'savings' }, 'not available')
          : usd(m.total.saved_usd, { 'data-testid': 'savings' }), 'from cache and routing'));
      const byDay = new Map(m.rows.map(r => [bucketSeconds(r.day), money.toNumber(money.parse(r.cost_usd))]));
      const xs = buckets(cal.monthStart, cal.tomorrow, DAY, byDay.keys());
      chart.bars(daily, xs, xs.map(x => byDay.get(x) || 0), 'spend');
    }).catch(e => cards.append(failure(e, 'Spend'))),
    ...[['team', 'Top teams'], ['model', 'Top models (as served)'], ['feature', 'Top features']].map(([dim, title]) => {
      const box = panel(title);
      tops.append(box);
      return api.get('/admin/spend', { from: cal.monthStart, group_by: dim })
        .then(body => box.append(topTable(dim, body, cal)))
        .catch(e => box.append(failure(e, title)));
    }),
    endpointPanel(extras, 'Budgets', '/admin/budgets', body => budgetTable(items(body, 'budgets'))),
    endpointPanel(extras, 'Prompt audit findings', '/admin/audit', body => findings(body, 5, OVERVIEW_FINDING_COLUMNS)),
    // the overview lists what fired; each alert's details are on the Alerts page
    endpointPanel(extras, 'Alerts', '/admin/alerts', body => genericTable(items(body, 'alerts').slice(0, 8), ALERT_COLUMNS, 'alerts', true), { limit: 8 }),
  ];
  return Promise.allSettled(work);
}

/**
 * Month-end: the planner's forecast of the whole ledger with its 95% interval when the gateway answers
 * /admin/plan/forecast, else the month so far spread evenly over the month; the card says which it shows.
 */
function forecastCard(m, p, cal) {
  const all = p && !p.failed && Array.isArray(p.scopes) ? p.scopes.find(s => s.scope === 'all') : null;
  if (all && all.forecast_usd !== null && all.forecast_usd !== undefined) {
    return card('Forecast month-end', usd(all.forecast_usd, { 'data-testid': 'forecast-month' }),
      h('span', { 'data-testid': 'forecast-kind' }, 'planner forecast (trend + weekday pattern), 95% interval '),
      usd(all.low_usd, { 'data-testid': 'forecast-low' }), ' – ', usd(all.high_usd, { 'data-testid': 'forecast-high' }));
  }
  const forecast = money.scale(money.parse(m.total.cost_usd), cal.daysInMonth, cal.dayOfMonth);
  const why = p === null ? '' : p && p.failed ? ' (planner forecast failed: ' + p.failed.message + ')'
    : ' (too little history for the planner forecast)';
  return card('Forecast month-end', usd(forecast, { 'data-testid': 'forecast-month' }),
    h('span', { 'data-testid': 'forecast-kind' }, 'linear projection: month to date ÷ ' + cal.dayOfMonth + ' days × '
      + cal.daysInMonth + ' days' + why));
}

function card(title, value, ...sub) {
  return h('div', { class: 'card' }, h('div', { class: 'card-title' }, title), h('div', { class: 'card-value' }, value),
    h('div', { class: 'card-sub' }, ...sub));
}

function topTable(dim, body, cal) {
  const total = money.parse(body.total.cost_usd);
  const rows = body.rows.slice(0, 5);
  if (!rows.length) return note('No spend this month.');
  return h('table', { class: 'grid', 'data-testid': 'top-' + dim },
    h('tbody', {}, rows.map(r => {
      const cost = money.parse(r.cost_usd);
      const name = r[dim] === null ? label(null)
        : h('a', { href: explorerHash({ group_by: [DRILL_NEXT[dim] || 'model'], period: 'month', filters: { [dim]: r[dim] } }) }, r[dim]);
      return h('tr', {}, h('td', {}, name), h('td', { class: 'num' }, usd(cost)),
        h('td', { class: 'wide' }, share(total > 0n ? money.toNumber(cost) / money.toNumber(total) : 0)));
    })));
}

/** A panel fed by an endpoint that other parts of the gateway provide; a short note when the gateway lacks it. */
function endpointPanel(parent, title, path, render, params = {}) {
  const box = panel(title);
  parent.append(box);
  return api.get(path, params).then(body => box.append(render(body)))
    .catch(e => box.append(failure(e, title)));
}

const ALERT_COLUMNS = ['time', 'kind', 'subject', 'message'];
const FINDING_COLUMNS = ['type', 'group', 'model', 'recommendation', 'requests', 'token_reduction_pct', 'monthly_saving_usd'];
/** What of a finding the overview shows; the audit page shows all of it. */
const OVERVIEW_FINDING_COLUMNS = ['type', 'group', 'recommendation', 'monthly_saving_usd'];

/** Budgets with how much of each is used and what state that puts it in. */
function budgetTable(budgets) {
  if (!budgets.length) return note('No budgets are set.');
  if (!budgets.every(b => b.limit_usd !== undefined && b.spent_usd !== undefined)) {
    return genericTable(budgets, ['name', 'scope', 'period', 'limit_usd', 'spent_usd', 'remaining_usd', 'resets_at'], 'budgets');
  }
  return h('table', { class: 'grid', 'data-testid': 'budgets' },
    h('thead', {}, h('tr', {}, ['budget', 'scope', 'period', 'spent', 'limit', 'used', 'state', 'resets'].map(c =>
      h('th', { class: ['spent', 'limit'].includes(c) ? 'num' : '' }, c)))),
    h('tbody', {}, budgets.map(b => {
      const spent = money.parse(b.spent_usd), limit = money.parse(b.limit_usd);
      const used = limit > 0n ? money.toNumber(spent) / money.toNumber(limit) : 0;
      const state = budgetState(b, spent, limit, used);
      return h('tr', { class: 'budget-' + state.level },
        h('td', {}, label(b.name)), h('td', {}, label(b.scope)), h('td', {}, label(b.period)),
        h('td', { class: 'num' }, usd(spent)), h('td', { class: 'num' }, usd(limit)), h('td', { class: 'wide' }, share(used)),
        h('td', { class: 'state' }, state.text), h('td', {}, b.resets_at ? utc(b.resets_at) : 'never'));
    })));
}

function budgetState(b, spent, limit, used) {
  const remaining = b.remaining_usd !== undefined ? money.parse(b.remaining_usd) : limit - spent;
  if (remaining <= 0n) return { level: 'exhausted', text: 'exhausted' + (b.action ? ' (' + b.action + ')' : '') };
  const crossed = (b.thresholds || []).filter(t => used * 100 >= t);
  if (crossed.length) return { level: 'warning', text: 'past ' + Math.max(...crossed) + '%' };
  return { level: 'ok', text: 'ok' };
}

/** The prompt audit's findings, each with its recommendation and monthly saving, biggest saving first. */
function findings(body, limit, columns) {
  const list = items(body, 'findings');
  const parts = [];
  if (body.prompt_log_enabled === false) parts.push(note('Prompt logging is off, so there is nothing to audit yet.'));
  if (body.monthly_saving_usd !== undefined && list.length) {
    parts.push(h('p', {}, 'Estimated saving if all are applied: ', usd(body.monthly_saving_usd, { 'data-testid': 'audit-saving' }), ' a month'));
  }
  parts.push(genericTable(limit ? list.slice(0, limit) : list, columns || FINDING_COLUMNS, 'findings', Boolean(columns)));
  return h('div', {}, parts);
}

function items(body, field) {
  if (Array.isArray(body)) return body;
  if (Array.isArray(body[field])) return body[field];
  const first = Object.values(body).find(Array.isArray);
  return first || [];
}

export async function budgets(view) {
  view.append(h('h1', {}, 'Budgets'));
  return endpointPanel(view, 'Budgets', '/admin/budgets', body => budgetTable(items(body, 'budgets')));
}

export async function alerts(view) {
  view.append(h('h1', {}, 'Alerts'));
  return endpointPanel(view, 'Alerts', '/admin/alerts', body => genericTable(items(body, 'alerts'), ALERT_COLUMNS, 'alerts'), { limit: 200 });
}

const DEPLOYMENT_COLUMNS = ['deployment', 'circuit', 'healthy', 'failure_rate', 'attempts', 'failures', 'served', 'latency_ms', 'weight'];

/** Each route's deployments and their health: circuit, failure rate, attempts, answers served, moving latency. */
export async function routes(view) {
  view.append(h('h1', {}, 'Routes'));
  return endpointPanel(view, 'Deployments', '/admin/routes', body => {
    const list = items(body, 'routes');
    if (!list.length) return note('No routes are configured (routes: in the config).');
    return h('div', {}, list.map(r => h('div', {},
      h('h2', {}, label(r.name), ' (' + r.strategy + ')'),
      genericTable(r.deployments || [], DEPLOYMENT_COLUMNS, 'route-' + r.name))));
  });
}

export async function audit(view) {
  view.append(h('h1', {}, 'Prompt audit'));
  const box = h('div');
  view.append(box);
  return endpointPanel(box, 'Findings', '/admin/audit', body => {
    if (Array.isArray(body.token_shares) && body.token_shares.length) {
      view.append(panel('Where input tokens go', genericTable(body.token_shares, ['group', 'requests', 'system_pct', 'history_pct', 'user_pct'], 'token-shares')));
    }
    if (Array.isArray(body.templates) && body.templates.length) {
      view.append(panel('Recurring prompt templates', genericTable(body.templates.slice(0, 50), ['kind', 'template', 'requests', 'input_tokens', 'output_tokens', 'cost_usd'], 'templates')));
    }
    return findings(body);
  });
}

// ---- breakdown explorer ----

const PERIODS = {
  today: cal => [cal.today, cal.tomorrow],
  '7d': cal => [cal.daysAgo(6), cal.tomorrow],
  '30d': cal => [cal.daysAgo(29), cal.tomorrow],
  month: cal => [cal.monthStart, cal.tomorrow],
  'last-month': cal => [cal.lastMonthStart, cal.monthStart],
};
const PERIOD_NAMES = { today: 'Today', '7d': 'Last 7 days', '30d': 'Last 30 days', month: 'This month', 'last-month': 'Last month', custom: 'Custom' };

export function explorerHash(state) {
  const p = new URLSearchParams();
  p.set('group_by', state.group_by.join(','));
  p.set('period', state.period || 'month');
  if (state.period === 'custom') {
    p.set('from', state.from);
    p.set('to', state.to);
  }
  if (state.bucket) p.set('bucket', state.bucket);
  for (const [dim, value] of Object.entries(state.filters || {})) p.set('f.' + dim, value);
  return '#explorer?' + p.toString();
}

function explorerState(params) {
  const filters = {};
  for (const [name, value] of params) if (name.startsWith('f.')) filters[name.slice(2)] = value;
  const period = (PERIODS[params.get('period')] || params.get('period') === 'custom') ? params.get('period') : 'month';
  return {
    group_by: (params.get('group_by') || 'team').split(',').map(s => s.trim()).filter(Boolean).slice(0, 3),
    period, from: params.get('from'), to: params.get('to'),
    bucket: params.get('bucket') === 'hour' || (period === 'today' && params.get('bucket') !== 'day') ? 'hour' : 'day',
    filters,
  };
}

export async function explorer(view, params, navigate) {
  const state = explorerState(params);
  const cal = calendar();
  // a custom period missing an end falls back to this month's
  const [from, to] = state.period === 'custom'
    ? [state.from || cal.monthStart, state.to || cal.tomorrow] : PERIODS[state.period](cal);
  view.append(h('h1', {}, 'Breakdown explorer'), controls(state, navigate), filterChips(state, navigate));

  const chartBox = h('div', { class: 'chart', 'data-testid': 'explorer-chart' });
  const tableBox = h('div', { 'data-testid': 'explorer-table-box' });
  view.append(panel('Spend per ' + state.bucket + ' by ' + state.group_by[0], chartBox),
    panel('By ' + state.group_by.join(' × ') + ', ' + from + ' to ' + to + ' (exclusive)', tableBox));

  const query = { from, to, ...state.filters };
  const table = api.get('/admin/spend', { ...query, group_by: state.group_by.join(',') })
    .then(body => tableBox.append(breakdownTable(state, body, navigate)))
    .catch(e => tableBox.append(failure(e, 'The breakdown')));
  const series = api.get('/admin/spend', { ...query, group_by: state.bucket + ',' + state.group_by[0] })
    .then(body => drawSeries(chartBox, state, body, from, to))
    .catch(e => chartBox.append(failure(e, 'The time series')));
  return Promise.allSettled([table, series]);
}

function controls(state, navigate) {
  const list = h('datalist', { id: 'dimensions' }, DIMENSIONS.map(d => h('option', { value: d })));
  const first = h('input', { id: 'group-by', list: 'dimensions', value: state.group_by[0] || '', size: 14, 'aria-label': 'group by' });
  const second = h('input', { id: 'then-by', list: 'dimensions', value: state.group_by[1] || '', size: 14, placeholder: '(none)', 'aria-label': 'then by' });
  const period = h('select', { id: 'period', 'aria-label': 'period' },
    Object.entries(PERIOD_NAMES).map(([value, name]) => h('option', { value, selected: value === state.period }, name)));
  const from = h('input', { id: 'from', type: 'date', value: state.from || '', 'aria-label': 'from' });
  const to = h('input', { id: 'to', type: 'date', value: state.to || '', 'aria-label': 'to (exclusive)' });
  const bucket = h('select', { id: 'bucket', 'aria-label': 'time bucket' },
    ['day', 'hour'].map(b => h('option', { value: b, selected: b === state.bucket }, 'per ' + b)));
  const custom = h('span', { class: 'custom', hidden: state.period !== 'custom' }, from, ' to ', to);
  period.addEventListener('change', () => { custom.hidden = period.value !== 'custom'; });
  const form = h('form', { class: 'controls', id: 'explorer-form' },
    h('label', {}, 'Group by ', first), h('label', {}, 'then by ', second), h('label', {}, 'Period ', period), custom,
    h('label', {}, 'Chart ', bucket), h('button', { type: 'submit' }, 'Show'), list);
  form.addEventListener('submit', event => {
    event.preventDefault();
    const dims = [first.value.trim(), second.value.trim()].filter(Boolean);
    navigate(explorerHash({ group_by: dims.length ? dims : ['team'], period: period.value, from: from.value, to: to.value,
      bucket: bucket.value, filters: state.filters }));
  });
  return form;
}

function filterChips(state, navigate) {
  const entries = Object.entries(state.filters);
  if (!entries.length) return h('p', { class: 'chips' }, 'All traffic. Click a value in the table to narrow to it.');
  return h('p', { class: 'chips', 'data-testid': 'filters' }, 'Only ', entries.map(([dim, value]) => {
    const rest = { ...state.filters };
    delete rest[dim];
    return h('span', { class: 'chip' }, dim + ' = ' + value, ' ',
      h('button', { type: 'button', class: 'link', title: 'remove this filter',
        on: { click: () => navigate(explorerHash({ ...state, filters: rest })) } }, '×'));
  }));
}

function breakdownTable(state, body, navigate) {
  const dims = state.group_by;
  const total = money.parse(body.total.cost_usd);
  const saved = body.total.saved_usd !== undefined;
  // requests count client requests; where some took several calls (retries, fallbacks, a cascade), attempts show them
  const retried = body.total.attempts !== undefined && body.total.attempts !== body.total.requests;
  if (!body.rows.length) return note('No spend in this period.');
  const drill = (row) => {
    const value = row[dims[0]];
    if (value === null || value === undefined) return label(value);
    const next = dims.length > 1 ? dims.slice(1) : [DRILL_NEXT[dims[0]] || 'model'];
    return h('a', { href: explorerHash({ ...state, group_by: next, filters: { ...state.filters, [dims[0]]: value } }),
      class: 'drill', title: 'narrow to ' + dims[0] + ' = ' + value }, value);
  };
  return h('table', { class: 'grid', 'data-testid': 'explorer-table' },
    body.rows.length > MAX_ROWS && h('caption', { class: 'note' }, 'The ' + MAX_ROWS + ' biggest of ' + count(body.rows.length)
      + ' groups; the total counts them all. Narrow with a filter to see the rest.'),
    h('thead', {}, h('tr', {}, dims.map(d => h('th', {}, d)),
      ['requests', ...(retried ? ['attempts'] : []), 'input tokens', 'output tokens', 'cost', ...(saved ? ['saved'] : []), 'share'].map(c => h('th', { class: 'num' }, c)))),
    h('tbody', {}, body.rows.slice(0, MAX_ROWS).map(r => h('tr', {},
      dims.map((d, i) => h('td', { 'data-dim': d }, i === 0 ? drill(r) : label(r[d]))),
      h('td', { class: 'num' }, count(r.requests)), retried && h('td', { class: 'num' }, count(r.attempts)),
      h('td', { class: 'num' }, count(r.input_tokens)),
      h('td', { class: 'num' }, count(r.output_tokens)), h('td', { class: 'num cost' }, usd(r.cost_usd)),
      saved && h('td', { class: 'num' }, usd(r.saved_usd)),
      h('td', { class: 'num' }, share(total > 0n ? money.toNumber(money.parse(r.cost_usd)) / money.toNumber(total) : 0))))),
    h('tfoot', {}, h('tr', {}, h('td', { colspan: dims.length }, 'Total'),
      h('td', { class: 'num' }, count(body.total.requests)), retried && h('td', { class: 'num' }, count(body.total.attempts)),
      h('td', { class: 'num' }, count(body.total.input_tokens)),
      h('td', { class: 'num' }, count(body.total.output_tokens)),
      h('td', { class: 'num' }, usd(body.total.cost_usd, { 'data-testid': 'explorer-total' })),
      saved && h('td', { class: 'num' }, usd(body.total.saved_usd)), h('td', {}))));
}

const MAX_ROWS = 500;

/** The top groups by cost get a line each, the rest one "other" line. */
function drawSeries(box, state, body, from, to) {
  const dim = state.group_by[0];
  const totals = new Map();
  for (const r of body.rows) totals.set(r[dim], (totals.get(r[dim]) || 0n) + money.parse(r.cost_usd));
  const ranked = [...totals.entries()].sort((a, b) => (b[1] > a[1] ? 1 : b[1] < a[1] ? -1 : 0)).map(e => e[0]);
  const top = new Set(ranked.slice(0, 7));
  const perBucket = new Map();
  for (const r of body.rows) {
    const x = bucketSeconds(r[state.bucket]);
    const key = top.has(r[dim]) ? label(r[dim]) : 'other';
    if (!perBucket.has(x)) perBucket.set(x, new Map());
    const m = perBucket.get(x);
    m.set(key, (m.get(key) || 0) + money.toNumber(money.parse(r.cost_usd)));
  }
  if (!body.rows.length) {
    box.append(note('No spend in this period.'));
    return;
  }
  const xs = buckets(from, to, state.bucket === 'hour' ? 3600 : DAY, perBucket.keys());
  const names = [...ranked.slice(0, 7).map(label), ...(ranked.length > 7 ? ['other'] : [])];
  chart.lines(box, xs, names.map(n => ({ label: dim + ' = ' + n, values: xs.map(x => (perBucket.get(x) && perBucket.get(x).get(n)) || 0) })));
}

// ---- request log and drill-down ----

export async function requests(view) {
  view.append(h('h1', {}, 'Requests'), note('The latest 100 requests in the ledger, newest first. Click one for everything the ledger holds about it.'));
  const box = h('div');
  view.append(box);
  try {
    const body = await api.get('/admin/requests', { limit: 100 });
    if (!body.requests.length) {
      box.append(note('No requests yet.'));
      return;
    }
    box.append(h('table', { class: 'grid', 'data-testid': 'request-log' },
      h('thead', {}, h('tr', {}, ['time', 'request', 'key', 'team', 'feature', 'model', 'status', 'input', 'output', 'cost', 'latency ms']
        .map((c, i) => h('th', { class: i >= 7 ? 'num' : '' }, c)))),
      h('tbody', {}, body.requests.map(r => h('tr', { class: r.status >= 400 ? 'failed' : '' },
        h('td', {}, utc(r.time)),
        h('td', {}, h('a', { href: '#request/' + encodeURIComponent(r.request_id || ''), class: 'request-id' }, r.request_id || '—')),
        h('td', {}, r.key || '—'), h('td', {}, label(r.tags.team)), h('td', {}, label(r.tags.feature)),
        h('td', { class: 'model' }, modelName(r)), h('td', {}, String(r.status)),
        h('td', { class: 'num' }, count(r.input_tokens)), h('td', { class: 'num' }, count(r.output_tokens)),
        h('td', { class: 'num' }, usd(r.cost_usd), r.unpriced ? unpricedMark() : null), h('td', { class: 'num' }, r.latency_ms.toFixed(1)))))));
  } catch (e) {
    box.append(failure(e, 'The request log'));
  }
}

/**
 * The model of a request: the one asked for and the one that answered ("gpt-4o → gpt-4o-mini") when they differ (an
 * alias, a route, a budget's downgrade), else the one name. Metrics and spans label by the model asked for.
 */
export function modelName(r) {
  const asked = r.requested_model, served = r.served_model;
  if (asked && served && asked !== served) return h('span', { title: 'asked for ' + asked + ', served by ' + served }, asked + ' → ' + served);
  return served || asked || '—';
}

/** A call whose model has no price: its $0 is not what it cost. */
function unpricedMark() {
  return h('span', { class: 'unpriced', 'data-testid': 'unpriced', title: 'no price for this model: metered at $0; add one under prices: or mark the model free: true' }, ' unpriced');
}

const SHOWN = new Set(['time', 'request_id', 'key', 'tags', 'api', 'provider', 'deployment', 'requested_model', 'served_model',
  'input_tokens', 'cached_input_tokens', 'cache_write_5m_tokens', 'cache_write_1h_tokens', 'output_tokens', 'reasoning_tokens',
  'cost_usd', 'price_version', 'status', 'error', 'latency_ms', 'ttft_ms', 'stream', 'estimated', 'unpriced']);

function moreFields(r) {
  const extra = Object.entries(r).filter(([k]) => !SHOWN.has(k));
  if (!extra.length) return null;
  return panel('More', h('dl', { class: 'facts' }, extra.flatMap(([k, v]) => [h('dt', {}, k.replace(/_/g, ' ')),
    h('dd', { 'data-field': k }, v === null ? '—' : k.endsWith('_usd') ? usd(v) : typeof v === 'object' ? JSON.stringify(v) : String(v))])));
}

export async function request(view, id) {
  view.append(h('p', {}, h('a', { href: '#requests' }, '← all requests')), h('h1', {}, 'Request ', h('code', {}, id)));
  try {
    const r = (await api.get('/admin/requests/' + encodeURIComponent(id))).request;
    const row = (name, value) => [h('dt', {}, name), h('dd', { 'data-field': name }, value)];
    view.append(
      panel('Cost', h('dl', { class: 'facts', 'data-testid': 'request-detail' },
        row('cost', usd(r.cost_usd, { 'data-testid': 'request-cost' })), row('exact cost', '$' + money.exact(money.parse(r.cost_usd))),
        row('priced by', r.unpriced ? unpricedMark() : r.price_version || 'unpriced'), row('usage', r.estimated ? 'estimated locally (the provider reported none)' : 'reported by the provider'))),
      h('div', { class: 'grid3' },
        panel('Request', h('dl', { class: 'facts' }, row('time', utc(r.time)), row('request id', r.request_id), row('key', r.key || '—'),
          row('api', r.api), row('stream', r.stream ? 'yes' : 'no'), row('status', String(r.status)), row('error', r.error || '—'))),
        panel('Route', h('dl', { class: 'facts' }, row('provider', r.provider || '—'), row('deployment', r.deployment || '—'),
          row('requested model', r.requested_model || '—'), row('served model', r.served_model || '—'),
          row('latency', r.latency_ms.toFixed(1) + ' ms'), row('first byte', r.ttft_ms === null ? '—' : r.ttft_ms.toFixed(1) + ' ms'))),
        panel('Tokens', h('dl', { class: 'facts' }, row('input', count(r.input_tokens)), row('cached input', count(r.cached_input_tokens)),
          row('cache write 5m', count(r.cache_write_5m_tokens)), row('cache write 1h', count(r.cache_write_1h_tokens)),
          row('output', count(r.output_tokens)), row('reasoning', count(r.reasoning_tokens))))),
      moreFields(r),
      panel('Tags', Object.keys(r.tags).length
        ? h('dl', { class: 'facts', 'data-testid': 'request-tags' }, Object.entries(r.tags).flatMap(([k, v]) => row(k, v)))
        : note('No tags.')));
  } catch (e) {
    view.append(e.status === 404 ? note('The ledger has no request with this id.', 'error') : failure(e, 'The request'));
  }
}

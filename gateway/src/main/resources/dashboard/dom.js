// Building the page. Every piece of data goes in as text (textContent), never as markup, so a tag value such as
// "<img onerror=…>" shows as those characters and runs nothing.

import * as money from './money.js';

/** h('td', {class: 'num', dataset: {usd: '1'}}, 'text', childNode, …) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name === 'on') for (const [event, handler] of Object.entries(value)) el.addEventListener(event, handler);
    else if (name === 'class') el.className = value;
    else if (name === 'style') el.style.cssText = value; // through the CSSOM, which the page's CSP allows
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A money figure: formatted text, the exact amount in data-usd and its tooltip. */
export function usd(amount, attrs = {}) {
  const value = money.parse(amount);
  return h('span', { ...attrs, class: ((attrs.class || '') + ' usd').trim(), title: '$' + money.exact(value),
    dataset: { ...(attrs.dataset || {}), usd: money.exact(value) } }, money.format(value));
}

export const count = n => (n === undefined || n === null ? '—' : Number(n).toLocaleString('en-US'));

/** A group value; rows without the grouped tag come back as null. */
export const label = v => (v === null || v === undefined ? '(none)' : String(v));

export function utc(iso) {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—';
}

export function panel(title, ...children) {
  return h('section', { class: 'panel' }, h('h2', {}, title), ...children);
}

export function note(text, cls = 'note') {
  return h('p', { class: cls }, text);
}

/** What a panel shows when its endpoint fails: a short note; "not available" when the gateway lacks it. */
export function failure(error, what) {
  if (error && error.status === 404) return note(what + ' not available on this gateway.', 'note unavailable');
  return note('Could not load ' + what.toLowerCase() + ': ' + (error && error.message), 'error');
}

/** A bar showing a share (0..1) of a whole. */
export function share(fraction) {
  const pct = Math.max(0, Math.min(1, fraction || 0)) * 100;
  return h('span', { class: 'share', title: pct.toFixed(1) + '%' },
    h('span', { class: 'share-bar', style: 'width:' + pct.toFixed(1) + '%' }), h('span', { class: 'share-pct' }, pct.toFixed(1) + '%'));
}

/**
 * A table of objects whose fields nobody fixed in advance (budgets, alerts, findings from other parts of the
 * gateway): the preferred columns first, then the rest; *_usd fields as money, nested objects as name=value text.
 */
export function genericTable(items, preferred = [], testid, onlyPreferred = false) {
  if (!items.length) return note('None.');
  const seen = new Set();
  for (const item of items) Object.keys(item).forEach(k => seen.add(k));
  const rest = onlyPreferred ? [] : [...seen].filter(c => !preferred.includes(c));
  const columns = [...preferred.filter(c => seen.has(c)), ...rest].slice(0, 10);
  return h('table', { class: 'grid', 'data-testid': testid },
    h('thead', {}, h('tr', {}, columns.map(c => h('th', { class: numeric(items, c) ? 'num' : '' }, c.replace(/_/g, ' '))))),
    h('tbody', {}, items.map(item => h('tr', {}, columns.map(c => h('td', { class: numeric(items, c) ? 'num' : (c === 'time' ? 'time' : '') }, cell(c, item[c])))))));
}

function numeric(items, column) {
  return column.endsWith('_usd') || items.every(i => i[column] === undefined || i[column] === null || typeof i[column] === 'number');
}

function cell(column, value) {
  if (value === undefined || value === null) return '—';
  if (column.endsWith('_usd')) return usd(value);
  if (Array.isArray(value)) return long(value.map(v => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(', '));
  if (typeof value === 'object') return long(Object.entries(value).map(([k, v]) => k + '=' + (typeof v === 'object' ? JSON.stringify(v) : v)).join(', '));
  if (typeof value === 'number') return Number.isInteger(value) ? count(value) : String(value);
  return long(String(value));
}

/** Text past this many characters (a whole system prompt; alert messages are shorter) is cut, the rest a click away. */
export const LONG_TEXT = 300;

/** The text itself when short; else its start, and the whole of it when the reader opens it. */
export function long(text) {
  if (text.length <= LONG_TEXT) return text;
  return h('details', { class: 'long' },
    h('summary', { title: 'show all ' + count(text.length) + ' characters' }, text.slice(0, LONG_TEXT - 60).trimEnd() + '…'),
    h('div', { class: 'long-full' }, text));
}

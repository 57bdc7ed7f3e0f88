// The dashboard's shell: sign-in with the admin token, and a hash router over the views.

import * as api from './api.js';
import * as views from './views.js';
import { h } from './dom.js';

const view = document.getElementById('view');
const login = document.getElementById('login');
const nav = document.getElementById('nav');
const signOut = document.getElementById('sign-out');
const refresh = document.getElementById('refresh');
const loginError = document.getElementById('login-error');

const ROUTES = {
  overview: v => views.overview(v),
  explorer: (v, params) => views.explorer(v, params, navigate),
  requests: v => views.requests(v),
  request: (v, params, rest) => views.request(v, rest),
  budgets: v => views.budgets(v),
  alerts: v => views.alerts(v),
  audit: v => views.audit(v),
  routes: v => views.routes(v),
};

function navigate(hash) {
  if (location.hash === hash) render(); else location.hash = hash;
}

let generation = 0;

async function render() {
  if (!api.token.get()) {
    showLogin();
    return;
  }
  login.hidden = true;
  nav.hidden = false;
  signOut.hidden = false;
  refresh.hidden = false;
  // "#explorer?group_by=team" or "#request/req_…"
  const hash = location.hash.slice(1) || 'overview';
  const [path, query = ''] = hash.split(/\?(.*)/s);
  const slash = path.indexOf('/');
  const name = slash < 0 ? path : path.slice(0, slash);
  const rest = slash < 0 ? '' : decodeURIComponent(path.slice(slash + 1));
  const route = ROUTES[name] || ROUTES.overview;
  for (const a of nav.querySelectorAll('a')) a.classList.toggle('active', a.dataset.view === (name === 'request' ? 'requests' : name));

  const mine = ++generation;
  const container = h('div', { class: 'view-body', dataset: { view: name } });
  view.replaceChildren(container);
  view.removeAttribute('data-ready');
  try {
    await route(container, new URLSearchParams(query), rest);
  } finally {
    // for people and for browser tests: everything on this view has loaded
    if (mine === generation) view.dataset.ready = name;
  }
}

function showLogin(message) {
  view.replaceChildren();
  view.removeAttribute('data-ready');
  nav.hidden = true;
  signOut.hidden = true;
  refresh.hidden = true;
  login.hidden = false;
  loginError.textContent = message || '';
  document.getElementById('token').focus();
}

document.getElementById('login-form').addEventListener('submit', async event => {
  event.preventDefault();
  const input = document.getElementById('token');
  api.token.set(input.value.trim());
  try {
    await api.get('/admin/requests', { limit: 1 });
    input.value = '';
    render();
  } catch (e) {
    api.token.clear();
    input.value = '';
    showLogin(e.status === 401 ? 'The gateway refused this token.' : 'Could not reach the admin API: ' + e.message);
  }
});

refresh.addEventListener('click', () => render());

signOut.addEventListener('click', () => {
  api.token.clear();
  showLogin('Signed out.');
});

window.addEventListener('tollgate:unauthorized', () => {
  api.token.clear();
  showLogin('The gateway refused the admin token; sign in again.');
});
window.addEventListener('hashchange', render);
render();

// The admin API, with the admin token from this tab's session storage as a bearer header.

const TOKEN_KEY = 'tollgate.adminToken';

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: value => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Whether an endpoint is missing from this gateway (a feature it was built or configured without). */
export const notAvailable = error => error instanceof ApiError && error.status === 404;

/** GET path?params as JSON; money fields (*_usd) keep their exact decimal text. */
export async function get(path, params = {}) {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, value);
  }
  const response = await fetch(url, { headers: { authorization: 'Bearer ' + (token.get() || '') }, cache: 'no-store' });
  const text = await response.text();
  if (!response.ok) {
    let message = response.status + ' ' + response.statusText;
    try {
      const body = JSON.parse(text);
      message = (body.error && body.error.message) || message;
    } catch (ignored) {
      // not JSON: keep the status line
    }
    const error = new ApiError(response.status, message);
    if (response.status === 401) window.dispatchEvent(new CustomEvent('tollgate:unauthorized', { detail: message }));
    throw error;
  }
  return JSON.parse(text, exactMoney);
}

// JSON.parse would turn 0.1 + 0.2 style amounts into binary doubles; the reviver's source text (or, in browsers
// without it, the shortest round-trip text of the double, which equals the sent decimal for up to 15 digits)
// keeps the decimal.
function exactMoney(key, value, context) {
  if (typeof value === 'number' && key.endsWith('_usd')) return context && context.source ? context.source : String(value);
  return value;
}

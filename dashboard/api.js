// The Notify API as the dashboard uses it. The merchant and token live in sessionStorage only:
// never in a URL, a cookie or localStorage, and they are gone when the tab closes.

const MERCHANT = 'notify.merchant';
const TOKEN = 'notify.token';
export const NOTIFICATIONS = '/api/v0/checkout/notifications';

export function session() {
  const merchant = sessionStorage.getItem(MERCHANT);
  const token = sessionStorage.getItem(TOKEN);
  return merchant && token ? { merchant, token } : null;
}

export function signIn(merchant, token) {
  sessionStorage.setItem(MERCHANT, merchant);
  sessionStorage.setItem(TOKEN, token);
}

export function signOut() {
  sessionStorage.removeItem(MERCHANT);
  sessionStorage.removeItem(TOKEN);
}

/** An API call that did not succeed: `status` 0 for a network failure, else the HTTP status. */
export class ApiError extends Error {
  constructor(status, message, problem = null) {
    super(message);
    this.status = status;
    this.problem = problem;
  }
}

/** What a person should read for a failed call. */
export function describe(error) {
  if (!(error instanceof ApiError)) return 'Something went wrong: ' + String(error && error.message || error);
  const detail = error.problem && error.problem.detail ? ' (' + error.problem.detail + ')' : '';
  switch (error.status) {
    case 0: return 'Cannot reach the Notify service: ' + error.message + '. Check your connection and try again.';
    case 401: return 'The token was not accepted (401): it is unknown, revoked or mistyped. Sign in again.' + detail;
    case 403: return 'This token belongs to another merchant (403). Sign in with this merchant\'s token.' + detail;
    case 404: return 'Not found (404)' + detail + '.';
    default: return 'The service answered ' + error.status + (error.problem && error.problem.title
      ? ' ' + error.problem.title : '') + detail + '.';
  }
}

/** Calls the API with the session's credentials; resolves to the parsed JSON body (or null). */
export async function api(method, path, { query = {}, body = undefined, credentials = session() } = {}) {
  const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '' && v != null));
  const url = path + (params.toString() ? '?' + params : '');
  const headers = { Accept: 'application/json' };
  if (credentials) {
    headers['X-Merchant'] = credentials.merchant;
    headers.Authorization = 'Bearer ' + credentials.token;
  }
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(url, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit', cache: 'no-store', redirect: 'error',
    });
  } catch (error) {
    throw new ApiError(0, error && error.message ? error.message : 'network error');
  }
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!response.ok) {
    throw new ApiError(response.status, (json && json.detail) || response.statusText, json);
  }
  return json;
}

// What every view shares: the message banner, the signed-in header, and the view generation
// (a slow answer for a view that is no longer on screen must not paint over the new one).
import { ApiError, describe, session, signOut } from './api.js';
import { replace } from './dom.js';

let generation = 0;

/** Starts a new view and returns its token for `current`. */
export function nextView() {
  generation += 1;
  return generation;
}

/** True while the view that holds `token` is still the one on screen. */
export function current(token) {
  return token === generation;
}

/** Shows a message above the view (`kind`: error or info); `null` hides it. */
export function notify(message, kind = 'error') {
  const banner = document.getElementById('banner');
  if (!message) {
    banner.hidden = true;
    replace(banner);
    return;
  }
  banner.className = 'banner banner-' + kind;
  replace(banner, message);
  banner.hidden = false;
}

/** Shows what went wrong with an API call; a 401 also ends the session (the token is no good). */
export function fail(error) {
  notify(describe(error));
  if (error instanceof ApiError && error.status === 401) {
    signOut();
    showSignedIn();
  }
}

/** Shows or hides the navigation and the merchant's name. */
export function showSignedIn() {
  const credentials = session();
  document.getElementById('nav').hidden = !credentials;
  document.getElementById('who').hidden = !credentials;
  replace(document.getElementById('who-merchant'), credentials ? credentials.merchant : '');
}

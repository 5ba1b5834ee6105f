// The dashboard's shell: sign-in, navigation and the hash router (#/events?status=failed, ...).
// Each view is a module exporting `render(main, params, query)`; it shows its own errors.
import { api, describe, NOTIFICATIONS, session, signIn, signOut } from './api.js';
import { field, h, replace } from './dom.js';
import { nextView, notify, showSignedIn } from './ui.js';
import * as overview from './views/overview.js';
import * as events from './views/events.js';
import * as eventDetail from './views/event.js';
import * as destinations from './views/destinations.js';
import * as recover from './views/recover.js';

const routes = [
  [/^$/, overview],
  [/^events$/, events],
  [/^events\/([^/]+)$/, eventDetail],
  [/^destinations$/, destinations],
  [/^recover$/, recover],
];

const main = document.getElementById('main');

function signInForm() {
  const merchant = h('input', { name: 'merchant', required: true, autocomplete: 'username', spellcheck: 'false' });
  const token = h('input', { name: 'token', type: 'password', required: true, autocomplete: 'current-password' });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h('form', { class: 'card signin', id: 'signin' },
    h('h1', {}, 'Sign in'),
    h('p', { class: 'muted' }, 'Your merchant id and an API token. They are kept in this tab only (sessionStorage).'),
    field('Merchant', merchant), field('Token', token), submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    const credentials = { merchant: merchant.value.trim(), token: token.value.trim() };
    try {
      await api('GET', NOTIFICATIONS + '/events', { query: { limit: 1 }, credentials });
      signIn(credentials.merchant, credentials.token);
      notify(null);
      showSignedIn();
      render();
    } catch (error) {
      notify(describe(error));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function decode(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function parseHash() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, search = ''] = hash.split('?');
  return { path, query: Object.fromEntries(new URLSearchParams(search)) };
}

function render() {
  const token = nextView();
  showSignedIn();
  if (!session()) {
    replace(main, signInForm());
    return;
  }
  const { path, query } = parseHash();
  for (const link of document.querySelectorAll('#nav a')) {
    const target = link.getAttribute('href').slice(2);
    link.classList.toggle('active', target === path.split('/')[0]);
  }
  for (const [pattern, view] of routes) {
    const match = pattern.exec(path);
    if (match) {
      view.render(main, match.slice(1).map(decode), query, token);
      return;
    }
  }
  replace(main, h('p', {}, 'No such page. ', h('a', { href: '#/' }, 'Back to the overview.')));
}

document.getElementById('sign-out').addEventListener('click', () => {
  signOut();
  notify(null);
  location.hash = '#/';
  render();
});
window.addEventListener('hashchange', () => {
  notify(null);
  render();
});
render();

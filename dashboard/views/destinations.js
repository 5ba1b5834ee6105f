// Destinations (merchant + origin of the request URL): status, last error, what is waiting,
// and Pause / Resume.
import { api, NOTIFICATIONS } from '../api.js';
import { badge, field, h, replace, route, select, when } from '../dom.js';
import { current, fail, notify } from '../ui.js';

const LIMIT = 50;
const STATUSES = ['healthy', 'failing', 'open', 'paused', 'disabled'];

function actions(destination, reload) {
  const paused = destination.status === 'paused';
  const canResume = ['paused', 'open', 'disabled'].includes(destination.status);
  const act = async (verb, button) => {
    button.disabled = true;
    try {
      const updated = await api('POST', `${NOTIFICATIONS}/destinations/${encodeURIComponent(destination.id)}/${verb}`);
      notify(`${updated.origin} is now ${updated.status}.`, 'info');
      await reload();
    } catch (error) {
      button.disabled = false;
      fail(error);
    }
  };
  return h('div', { class: 'row-actions' },
    paused ? null : h('button', { type: 'button', class: 'small secondary', 'data-action': 'pause',
      onclick: (e) => act('pause', e.currentTarget) }, 'Pause'),
    canResume ? h('button', { type: 'button', class: 'small', 'data-action': 'resume',
      onclick: (e) => act('resume', e.currentTarget) }, 'Resume') : null,
    h('a', { class: 'button small secondary', href: route(['events'], { destinationId: destination.id }) }, 'Events'));
}

function row(destination, reload) {
  return h('tr', { 'data-destination-id': destination.id, 'data-status': destination.status },
    h('td', { 'data-label': 'Origin' }, h('code', { class: 'url' }, destination.origin)),
    h('td', { 'data-label': 'Status' }, badge(destination.status)),
    h('td', { 'data-label': 'Waiting', class: 'number' }, String(destination.pendingEvents ?? '-')),
    h('td', { 'data-label': 'Failures in a row', class: 'number' }, String(destination.consecutiveFailures ?? 0)),
    h('td', { 'data-label': 'Last success' }, when(destination.lastSuccessAt)),
    h('td', { 'data-label': 'Last failure' }, when(destination.lastFailureAt)),
    h('td', { 'data-label': 'Last error', class: destination.lastError ? 'error-cell' : null }, destination.lastError || '-'),
    h('td', { 'data-label': 'Next try' }, when(destination.nextProbeAt || destination.heldUntil)),
    h('td', { class: 'open' }, actions(destination, reload)));
}

export async function render(main, _params, query, token) {
  const offset = Math.max(0, parseInt(query.offset || '0', 10) || 0);
  const list = h('div', { class: 'table-box' }, h('p', { class: 'muted' }, 'Loading…'));
  const status = select('status', [['', 'any'], ...STATUSES.map((s) => [s, s])], query.status);
  const form = h('form', { class: 'filters' }, field('Status', status),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Filter')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = route(['destinations'], { status: status.value });
  });
  const pager = h('div', { class: 'pager' });
  replace(main, h('section', { class: 'card' }, h('h1', {}, 'Destinations'),
    h('p', { class: 'muted' }, 'Where deliveries go: one per origin (scheme, host, port). ',
      'A paused destination gets no attempts and its events wait; Resume sends what waited.'),
    form, list, pager));
  const reload = async () => {
    let page;
    try {
      page = await api('GET', NOTIFICATIONS + '/destinations', { query: { status: query.status, offset, limit: LIMIT } });
    } catch (error) {
      if (current(token)) {
        replace(list, h('p', { class: 'muted' }, 'The destinations could not be loaded.'));
        fail(error);
      }
      return;
    }
    if (!current(token)) return;
    if (page.data.length === 0) {
      replace(list, h('p', { class: 'empty' }, 'No destinations match.'));
    } else {
      replace(list, h('table', { class: 'list destinations' },
        h('thead', {}, h('tr', {}, ['Origin', 'Status', 'Waiting', 'Failures in a row', 'Last success', 'Last failure',
          'Last error', 'Next try', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, page.data.map((d) => row(d, reload)))));
    }
    const { totalSize } = page.pagination;
    replace(pager,
      offset > 0 ? h('a', { class: 'button secondary', href: route(['destinations'], { status: query.status, offset: Math.max(0, offset - LIMIT) }) }, '‹ Previous') : null,
      h('span', { class: 'muted' }, `${page.data.length ? offset + 1 : 0}–${offset + page.data.length} of ${totalSize}`),
      offset + LIMIT < totalSize ? h('a', { class: 'button secondary', href: route(['destinations'], { status: query.status, offset: offset + LIMIT }) }, 'Next ›') : null);
  };
  await reload();
}

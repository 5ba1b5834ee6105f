// The events view: filters (status, order, scope, channel, destination), newest first, paged.
import { api, NOTIFICATIONS } from '../api.js';
import { badge, field, h, replace, route, select, shortId, when } from '../dom.js';
import { current, fail } from '../ui.js';
import { loadDestinations } from './destinations-cache.js';

const LIMIT = 20;
const FILTERS = ['status', 'orderId', 'scope', 'channel', 'destinationId'];

function filterForm(query, destinations) {
  const destinationOptions = [['', 'any destination'],
    ...[...destinations.values()].map((d) => [d.id, d.origin])];
  if (query.destinationId && !destinations.has(query.destinationId)) {
    destinationOptions.push([query.destinationId, query.destinationId]);
  }
  const form = h('form', { class: 'filters', id: 'event-filters' },
    field('Status', select('status', [['', 'any'], ['pending', 'pending'], ['succeeded', 'succeeded'],
      ['failed', 'failed']], query.status)),
    field('Order id', h('input', { name: 'orderId', value: query.orderId || '', placeholder: 'UUID', spellcheck: 'false' })),
    field('Scope', h('input', { name: 'scope', value: query.scope || '', placeholder: 'state.completed' })),
    field('Channel', h('input', { name: 'channel', value: query.channel || '' })),
    field('Destination', select('destinationId', destinationOptions, query.destinationId)),
    h('div', { class: 'actions' },
      h('button', { type: 'submit' }, 'Filter'),
      h('a', { href: route(['events']), class: 'button secondary' }, 'Clear')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const next = {};
    for (const name of FILTERS) next[name] = String(data.get(name) || '').trim();
    location.hash = route(['events'], next);
  });
  return form;
}

function row(event, destinations) {
  const destination = destinations.get(event.destinationId);
  const link = route(['events', event.id]);
  return h('tr', { class: 'status-' + event.status, 'data-event-id': event.id },
    h('td', { 'data-label': 'Status' }, badge(event.status)),
    h('td', { 'data-label': 'Created' }, h('a', { href: link }, when(event.createdAt))),
    h('td', { 'data-label': 'Scope' }, event.scope),
    h('td', { 'data-label': 'Order' }, h('a', { href: route(['events'], { orderId: event.orderId }) },
      shortId(event.orderId))),
    h('td', { 'data-label': 'Attempts', class: 'number' }, String(event.attemptCount)),
    h('td', { 'data-label': 'Last status', class: 'number' }, event.statusCode == null ? '-' : String(event.statusCode)),
    h('td', { 'data-label': 'Destination', class: 'wide' },
      destination ? destination.origin : (event.destinationId ? shortId(event.destinationId) : '-')),
    h('td', { class: 'open' }, h('a', { href: link, class: 'button small' }, 'Open')));
}

export async function render(main, _params, query, token) {
  const offset = Math.max(0, parseInt(query.offset || '0', 10) || 0);
  const list = h('div', { class: 'table-box' }, h('p', { class: 'muted' }, 'Loading…'));
  const pager = h('div', { class: 'pager' });
  const formSlot = h('div');
  replace(main, h('section', { class: 'card' }, h('h1', {}, 'Events'), formSlot, list, pager));
  const destinations = await loadDestinations();
  if (!current(token)) return;
  replace(formSlot, filterForm(query, destinations));
  const filters = Object.fromEntries(FILTERS.map((name) => [name, query[name] || '']));
  let page;
  try {
    page = await api('GET', NOTIFICATIONS + '/events', { query: { ...filters, offset, limit: LIMIT } });
  } catch (error) {
    if (current(token)) {
      replace(list, h('p', { class: 'muted' }, 'The events could not be loaded.'));
      fail(error);
    }
    return;
  }
  if (!current(token)) return;
  if (page.data.length === 0) {
    replace(list, h('p', { class: 'empty' }, offset > 0 ? 'No more events.' : 'No events match.'));
  } else {
    replace(list, h('table', { class: 'list events' },
      h('thead', {}, h('tr', {}, ['Status', 'Created', 'Scope', 'Order', 'Attempts', 'Last status'].map((t) =>
        h('th', {}, t)), h('th', { class: 'wide' }, 'Destination'), h('th', {}))),
      h('tbody', {}, page.data.map((event) => row(event, destinations)))));
  }
  const { totalSize } = page.pagination;
  const first = page.data.length ? offset + 1 : 0;
  replace(pager,
    h('a', { class: 'button secondary', href: offset > 0 ? route(['events'], { ...filters, offset: Math.max(0, offset - LIMIT) }) : null,
      'aria-disabled': offset > 0 ? null : 'true' }, '‹ Newer'),
    h('span', { class: 'muted', id: 'page-info' }, `${first}–${offset + page.data.length} of ${totalSize}`),
    h('a', { class: 'button secondary', href: offset + LIMIT < totalSize ? route(['events'], { ...filters, offset: offset + LIMIT }) : null,
      'aria-disabled': offset + LIMIT < totalSize ? null : 'true' }, 'Older ›'));
}

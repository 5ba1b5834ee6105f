// Bulk recover: one manual attempt for every event of a time window that matches the filters
// (by default the failed ones), e.g. after a receiver's outage. At most 14 days per call.
import { api, NOTIFICATIONS } from '../api.js';
import { field, h, replace, select } from '../dom.js';
import { fail, notify } from '../ui.js';
import { loadDestinations } from './destinations-cache.js';

/** A `datetime-local` value for `date` in the browser's time zone. */
function localInput(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export async function render(main, _params, query) {
  const destinations = await loadDestinations();
  const now = new Date();
  const since = h('input', { type: 'datetime-local', name: 'since', required: true,
    value: localInput(new Date(now.getTime() - 24 * 3600 * 1000)) });
  const until = h('input', { type: 'datetime-local', name: 'until', value: '' });
  const status = select('status', [['failed', 'failed'], ['pending', 'pending'], ['succeeded', 'succeeded']],
    query.status || 'failed');
  const destination = select('destinationId', [['', 'any destination'],
    ...[...destinations.values()].map((d) => [d.id, d.origin])], query.destinationId);
  const inputs = ['orderId', 'channel', 'adapterId', 'scope'].map((name) =>
    [name, h('input', { name, value: query[name] || '', spellcheck: 'false' })]);
  const submit = h('button', { type: 'submit' }, 'Retry matching events');
  const result = h('div', { id: 'recover-result', role: 'status' });
  const form = h('form', { class: 'card recover', id: 'recover' },
    h('h1', {}, 'Recover'),
    h('p', { class: 'muted' }, 'Every event created in the window that matches gets one manual attempt, with its ',
      'original webhook-id (receivers de-duplicate on it). The window is at most 14 days; one call queues at most ',
      '10,000 events (send it again for more).'),
    h('div', { class: 'grid' },
      field('Created since', since), field('Until (empty: now)', until), field('Status', status),
      field('Destination', destination),
      inputs.map(([name, input]) => field({ orderId: 'Order id', channel: 'Channel', adapterId: 'Adapter id',
        scope: 'Scope' }[name], input))),
    h('div', { class: 'actions' }, submit), result);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { since: new Date(since.value).toISOString(), status: status.value };
    if (until.value) body.until = new Date(until.value).toISOString();
    if (destination.value) body.destinationId = destination.value;
    for (const [name, input] of inputs) if (input.value.trim()) body[name] = input.value.trim();
    submit.disabled = true;
    replace(result);
    try {
      const answer = await api('POST', NOTIFICATIONS + '/events/retry', { body });
      notify(null);
      replace(result, h('p', { class: 'done' }, `Queued ${answer.queued} event${answer.queued === 1 ? '' : 's'} for a retry.`,
        answer.more ? ' More match: send the form again for the next ones.' : ''));
    } catch (error) {
      fail(error);
    } finally {
      submit.disabled = false;
    }
  });
  replace(main, form);
}

// One event: what it sends, every attempt (time, status, duration, error, response body as text)
// and a Retry button that schedules one manual attempt and waits for it to show up.
import { api, NOTIFICATIONS } from '../api.js';
import { badge, h, replace, route, when } from '../dom.js';
import { current, fail, notify } from '../ui.js';
import { loadDestinations } from './destinations-cache.js';

const POLL_MS = 1000;
const POLL_TRIES = 15;

function facts(rows) {
  return h('dl', { class: 'facts' }, rows.map(([name, value]) => [h('dt', {}, name), h('dd', {}, value ?? '-')]));
}

function attemptRow(attempt, index, all) {
  const ok = attempt.statusCode >= 200 && attempt.statusCode < 300 && !attempt.error;
  return h('li', { class: 'attempt ' + (ok ? 'attempt-ok' : 'attempt-bad'), 'data-attempt-id': attempt.id },
    h('div', { class: 'attempt-head' },
      h('strong', {}, `#${index + 1}`), when(attempt.timestamp),
      h('span', { class: 'code' }, attempt.statusCode == null ? 'no response' : 'HTTP ' + attempt.statusCode),
      h('span', {}, `${attempt.durationMs} ms`), h('span', { class: 'muted' }, attempt.trigger)),
    attempt.error ? h('p', { class: 'error' }, attempt.error) : null,
    attempt.responseBody ? h('details', { open: index === all.length - 1 },
      h('summary', {}, `Response body (${attempt.responseBody.length} characters)`),
      h('pre', { class: 'body' }, attempt.responseBody)) : h('p', { class: 'muted' }, 'No response body.'));
}

function view(event, destinations, onRetry) {
  const destination = destinations.get(event.destinationId);
  const headers = Object.entries((event.request && event.request.headers) || {});
  const retry = h('button', { type: 'button', id: 'retry', onclick: onRetry }, 'Retry now');
  return h('section', { class: 'card', id: 'event', 'data-status': event.status, 'data-attempts': event.attemptCount },
    h('div', { class: 'title-row' },
      h('h1', {}, 'Event ', badge(event.status)), retry),
    facts([
      ['Id', h('code', {}, event.id)],
      ['Created', when(event.createdAt)],
      ['Scope', event.scope],
      ['Order', h('a', { href: route(['events'], { orderId: event.orderId }) }, event.orderId)],
      ['Channel', event.channel],
      ['Notification', event.notificationId],
      ['Destination', destination ? h('a', { href: route(['events'], { destinationId: destination.id }) },
        destination.origin, ' ', badge(destination.status)) : (event.destinationId || '-')],
      ['Attempts', String(event.attemptCount)],
      ['Next attempt', event.nextAttemptAt ? when(event.nextAttemptAt) : '-'],
      ['Request', h('code', { class: 'url' }, `${event.request.method} ${event.request.url}`)],
    ]),
    headers.length ? h('details', {}, h('summary', {}, `Request headers (${headers.length})`),
      facts(headers.map(([name, value]) => [name, h('code', {}, value)]))) : null,
    h('h2', {}, 'Attempts'),
    event.attempts.length
      ? h('ol', { class: 'attempts', reversed: true }, event.attempts.map(attemptRow).reverse())
      : h('p', { class: 'muted' }, 'No attempt yet.'));
}

export async function render(main, [eventId], _query, token) {
  replace(main, h('p', { class: 'muted' }, 'Loading…'));
  const path = NOTIFICATIONS + '/events/' + encodeURIComponent(eventId);
  const destinations = await loadDestinations();
  const show = async () => {
    const event = await api('GET', path);
    if (current(token)) replace(main, h('p', {}, h('a', { href: route(['events']) }, '‹ Events')), view(event, destinations, retry));
    return event;
  };
  async function retry(clickEvent) {
    const button = clickEvent.currentTarget;
    button.disabled = true;
    let before;
    try {
      before = (await api('GET', path)).attemptCount;
      await api('POST', path + '/retry');
      notify('Retry scheduled: one attempt now.', 'info');
    } catch (error) {
      button.disabled = false;
      fail(error);
      return;
    }
    for (let i = 0; i < POLL_TRIES && current(token); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      try {
        const event = await show();
        if (event.attemptCount > before && event.status !== 'pending') {
          notify(`The retry was attempted: the event is ${event.status}.`, 'info');
          return;
        }
      } catch (error) {
        fail(error);
        return;
      }
    }
  }
  try {
    await show();
  } catch (error) {
    if (current(token)) {
      replace(main, h('p', {}, h('a', { href: route(['events']) }, '‹ Events')));
      fail(error);
    }
  }
}

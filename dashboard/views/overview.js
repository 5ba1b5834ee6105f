// The home view: attempts per minute by outcome over the last hour and the due backlog, from one
// call to GET .../notifications/stats, refreshed every 15 s while it is on screen.
import { api, NOTIFICATIONS } from '../api.js';
import { attemptsChart, legend } from '../chart.js';
import { h, replace, route, when } from '../dom.js';
import { current, fail } from '../ui.js';

const REFRESH_MS = 15000;

function age(since, now) {
  if (!since) return 'nothing is waiting';
  const seconds = Math.max(0, Math.round((Date.parse(now) - Date.parse(since)) / 1000));
  if (seconds < 120) return `oldest waiting ${seconds} s`;
  if (seconds < 7200) return `oldest waiting ${Math.round(seconds / 60)} min`;
  return `oldest waiting ${Math.round(seconds / 3600)} h`;
}

export async function render(main, _params, _query, token) {
  const chart = h('div', { class: 'chart-box' }, h('p', { class: 'muted' }, 'Loading…'));
  const figures = h('div', { class: 'figures' });
  replace(main,
    h('section', { class: 'card' },
      h('h1', {}, 'Deliveries, last hour'),
      figures, chart, legend(h)),
    h('p', { class: 'links' },
      h('a', { href: route(['events'], { status: 'failed' }) }, 'Failed events'), ' · ',
      h('a', { href: route(['events'], { status: 'pending' }) }, 'Pending events'), ' · ',
      h('a', { href: route(['destinations']) }, 'Destinations')));
  const refresh = async () => {
    if (!current(token)) return;
    try {
      const stats = await api('GET', NOTIFICATIONS + '/stats');
      if (!current(token)) return;
      const totals = { succeeded: 0, httpErrors: 0, transportErrors: 0 };
      for (const minute of stats.minutes) for (const key of Object.keys(totals)) totals[key] += minute[key];
      replace(figures,
        h('div', { class: 'figure', id: 'figure-backlog' }, h('strong', {}, String(stats.dueBacklog)),
          h('span', {}, 'due now'), h('small', {}, age(stats.oldestDueAt, stats.now))),
        h('div', { class: 'figure ok' }, h('strong', {}, String(totals.succeeded)), h('span', {}, 'succeeded')),
        h('div', { class: 'figure bad' }, h('strong', {}, String(totals.httpErrors + totals.transportErrors)),
          h('span', {}, 'failed attempts')),
        h('div', { class: 'figure' }, h('small', {}, 'as of '), when(stats.now)));
      replace(chart, attemptsChart(stats.minutes));
      setTimeout(refresh, REFRESH_MS);
    } catch (error) {
      if (current(token)) {
        replace(chart, h('p', { class: 'muted' }, 'The figures could not be loaded.'));
        fail(error);
      }
    }
  };
  refresh();
}

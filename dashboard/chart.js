// The overview's chart: attempts per minute by outcome over the last hour, as stacked bars in an
// SVG built element by element (no markup strings), sized by its viewBox so it fits any width.
const SVG = 'http://www.w3.org/2000/svg';

const SERIES = [
  ['succeeded', 'succeeded', 'Succeeded (2xx)'],
  ['httpErrors', 'http', 'Other HTTP status'],
  ['transportErrors', 'transport', 'No answer (connect, TLS, timeout)'],
];

function svg(tag, attributes = {}, text = null) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== null) element.textContent = text;
  return element;
}

/** A "nice" axis maximum at or above `value`: 1, 2, 5 times a power of ten. */
function niceMax(value) {
  if (value <= 4) return 4;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** The chart for `minutes` (`[{start, succeeded, httpErrors, transportErrors}]`, oldest first). */
export function attemptsChart(minutes) {
  const width = 720;
  const height = 220;
  const left = 44;
  const right = 8;
  const top = 10;
  const bottom = 26;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const totals = minutes.map((m) => SERIES.reduce((sum, [key]) => sum + (m[key] || 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const root = svg('svg', {
    viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img',
    'aria-label': 'Attempts per minute over the last hour, by outcome',
  });
  for (const fraction of [0, 0.5, 1]) {
    const y = top + plotHeight * (1 - fraction);
    root.append(svg('line', { x1: left, x2: width - right, y1: y, y2: y, class: 'grid' }));
    root.append(svg('text', { x: left - 6, y: y + 4, class: 'axis', 'text-anchor': 'end' }, String(max * fraction)));
  }
  const slot = plotWidth / Math.max(1, minutes.length);
  minutes.forEach((minute, index) => {
    let y = top + plotHeight;
    const group = svg('g', { class: 'minute' });
    const label = new Date(minute.start).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
    group.append(svg('title', {}, `${label}: ` + SERIES.map(([key, , text]) => `${minute[key] || 0} ${text}`).join(', ')));
    for (const [key, css] of SERIES) {
      const count = minute[key] || 0;
      if (!count) continue;
      const barHeight = (count / max) * plotHeight;
      y -= barHeight;
      group.append(svg('rect', {
        x: left + index * slot + 1, y, width: Math.max(1, slot - 2), height: barHeight, class: 'bar-' + css,
      }));
    }
    root.append(group);
    const last = index === minutes.length - 1;
    if ((index % 15 === 0 && index < minutes.length - 8) || last) {
      // The last label ends at the right edge, so it is never cut off.
      root.append(svg('text', {
        x: last ? width - right : left + index * slot + slot / 2, y: height - 8, class: 'axis',
        'text-anchor': last ? 'end' : 'middle',
      }, label));
    }
  });
  return root;
}

/** The chart's legend as plain elements. */
export function legend(h) {
  return h('ul', { class: 'legend' }, SERIES.map(([, css, text]) =>
    h('li', {}, h('span', { class: 'swatch bar-' + css }), text)));
}

// Building the page from data. Every piece of text that comes from the API (response bodies,
// headers, URLs, errors, ids) goes into the document as a text node or an attribute value, never
// as HTML: nothing here parses markup, so nothing taken from an event can run as script.

/** An element with attributes, event handlers (`onclick`, ...) and children (nodes or text). */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') element.className = value;
    else if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

/** Appends nodes and text (arrays are flattened; null, undefined and false are skipped). */
export function append(parent, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replaces everything inside `parent`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

/** An in-page link: `#/` plus path segments, each percent-encoded, plus an optional query. */
export function route(segments, query = {}) {
  const path = segments.map((s) => encodeURIComponent(s)).join('/');
  const search = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '' && v != null));
  const text = search.toString();
  return '#/' + path + (text ? '?' + text : '');
}

/** A status word with its colour: succeeded, failed, pending, healthy, open, ... */
export function badge(status) {
  return h('span', { class: 'badge badge-' + String(status || 'unknown').replace(/[^a-z]/g, '') }, status || '-');
}

/** An RFC 3339 timestamp as local date and time (the exact value in the title), or '-'. */
export function when(value) {
  if (!value) return '-';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return h('time', { datetime: value, title: value }, date.toLocaleString(undefined, {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }));
}

/** A long id shortened for a table cell; the whole id in the title. */
export function shortId(id) {
  if (!id) return '-';
  return h('span', { class: 'id', title: id }, String(id).slice(0, 8) + '…');
}

/** A label and its field, stacked. */
export function field(label, control) {
  return h('label', { class: 'field' }, h('span', {}, label), control);
}

/** A `<select>` of `[value, text]` pairs with `selected` chosen. */
export function select(name, options, selected) {
  return h('select', { name }, options.map(([value, text]) =>
    h('option', { value, selected: value === (selected ?? '') }, text)));
}

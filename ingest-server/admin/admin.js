// Sluice operator dashboard, served at /admin. This module owns everything below the header:
// the sign-in form and the admin token (sessionStorage only, sent as a Bearer header), hash
// routing, the views (importers with their templates, imports with their chart, one import with
// its rows, downloads, deliveries and log, the audit log), the confirmation dialogs and every
// call to /v1/admin.
// Values from the API (cells, file names, user attributes) are untrusted: the DOM is built with
// createElement and text nodes only, never innerHTML; no inline styles (the page has a strict CSP).

const TOKEN_KEY = 'sluice-admin-token';
const SVG_NS = 'http://www.w3.org/2000/svg';
const PAGE_ROWS = 100;
const IMPORTS_LIMIT = 500;
const CHART_DAYS = 30;
const AUDIT_LIMIT = 200;
const TOP_ERRORS = 3;

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const statusRegion = document.getElementById('status');

const INVALID_ROWS = {
  refuse: 'Refused: the upload cannot finish until every invalid row is fixed or removed',
  record: 'Recorded: invalid rows are stored and delivered with their errors',
};

// ---- DOM helpers ----

/** Sets attributes (`on…` become listeners, `true` an empty attribute) and appends children. */
function build(node, attrs, children) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  const kids = children.flat(Infinity).filter((c) => c != null && c !== false);
  node.append(...kids.map((c) => (c instanceof Node ? c : String(c))));
  return node;
}

const el = (tag, attrs = {}, ...children) => build(document.createElement(tag), attrs, children);
const svg = (tag, attrs = {}, ...children) => build(document.createElementNS(SVG_NS, tag), attrs, children);

let lastId = 0;
const uid = (prefix) => `${prefix}-${++lastId}`;

/** A table row; cells that are not already `<td>`/`<th>` are wrapped in a `<td>`. */
const tr = (cells, attrs = {}) =>
  el(
    'tr',
    attrs,
    cells.map((c) => (c instanceof HTMLTableCellElement ? c : el('td', {}, c))),
  );

const numCell = (n, suffix = '') => el('td', { class: 'num' }, n == null ? '—' : `${num(n)}${suffix}`);

/**
 * A captioned table in a wrapper; `wide` tables scroll sideways and can take focus to do so.
 * @param {{ caption: string, headers: Array<string | Node>, rows: Node[], empty: string, id?: string, wide?: boolean }} options
 */
function table({ caption, headers, rows, empty, id, wide }) {
  const head = headers.map((h) => (h instanceof Node ? h : el('th', { scope: 'col' }, h)));
  const body = rows.length ? rows : [el('tr', {}, el('td', { colspan: headers.length, class: 'empty' }, empty))];
  const wrap = wide ? { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: 0 } : { class: 'table-wrap' };
  return el('div', wrap, el('table', { id }, el('caption', {}, caption), el('thead', {}, el('tr', {}, head)), el('tbody', {}, body)));
}

/** Text for screen readers only (class `visually-hidden`). */
const hiddenText = (value) => el('span', { class: 'visually-hidden' }, value);

/** A term and its value in a `<dl class="facts">`. */
const fact = (term, value, attrs = {}) => el('div', {}, el('dt', {}, term), el('dd', attrs, value));

/** A section with an `<h2>`. */
function section(title, ...children) {
  const id = uid('section');
  return el('section', { class: 'panel', 'aria-labelledby': id }, el('h2', { id }, title), children);
}

// ---- Formatting ----

const num = (n) => Number(n ?? 0).toLocaleString('en');
const when = (s) => (s == null ? '—' : new Date(s * 1000).toLocaleString('en-GB'));
const whenMs = (ms) => (ms == null ? '—' : new Date(ms).toLocaleString('en-GB'));
const plural = (n, one, many = `${one}s`) => `${num(n)} ${n === 1 ? one : many}`;
const isEmpty = (v) => v == null || (typeof v === 'object' && Object.keys(v).length === 0);
const compact = (v) => (isEmpty(v) ? '—' : JSON.stringify(v));
const text = (v) => (typeof v === 'string' ? v : JSON.stringify(v));
const pairs = (o) =>
  isEmpty(o)
    ? '—'
    : Object.entries(o)
        .map(([k, v]) => `${k}=${text(v)}`)
        .join(', ');
const duration = (r) => (r.completedAt == null ? null : r.completedAt - r.createdAt);
const importLink = (id) => el('a', { href: `#/imports/${encodeURIComponent(id)}`, class: 'mono' }, id);

/** "312 bytes", or "1.5 MB (1,572,864 bytes)". */
function bytes(n) {
  const units = ['KB', 'MB', 'GB', 'TB'];
  let size = n;
  let unit = -1;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return unit < 0 ? plural(n, 'byte') : `${size.toFixed(1)} ${units[unit]} (${plural(n, 'byte')})`;
}

function safeDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function retentionText(retention) {
  const { mode, days } = retention ?? {};
  if (mode === 'keep') return `Kept ${plural(days, 'day')}`;
  if (mode === 'delete_after_delivery') return `Deleted after delivery (at most ${plural(days, 'day')})`;
  if (mode === 'never_store') return 'Pass-through: never kept beyond delivery';
  return mode ?? '—';
}

/** "3 delivered, 1 dead", or "—" when every count is zero. */
function deliveryText(delivery) {
  const parts = ['delivered', 'pending', 'dead', 'cancelled'].filter((k) => delivery?.[k] > 0).map((k) => `${num(delivery[k])} ${k}`);
  return parts.length ? parts.join(', ') : '—';
}

const dataText = (r) => (r.dataDeletedAt == null ? 'kept' : r.deletedReason ? `deleted (${r.deletedReason})` : 'deleted');

/** The `column:code` error counts, most frequent first. */
const errorEntries = (errors) => Object.entries(errors ?? {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
const errorText = (entries) => entries.map(([key, n]) => `${key} ×${num(n)}`).join(', ');

/**
 * The most frequent errors. When there are more, the visible text ends with "(+n more)" and
 * screen readers get the full list instead (the import's summary has it as a table).
 */
function topErrors(errors) {
  const entries = errorEntries(errors);
  if (!entries.length) return '—';
  if (entries.length <= TOP_ERRORS) return errorText(entries);
  const all = errorText(entries);
  const shown = `${errorText(entries.slice(0, TOP_ERRORS))} (+${num(entries.length - TOP_ERRORS)} more)`;
  return [el('span', { 'aria-hidden': 'true', title: all }, shown), hiddenText(all)];
}

// ---- Status and errors ----

const announce = (message) => {
  statusRegion.textContent = message;
};
const showAlert = (box, message) => box.replaceChildren(el('p', { role: 'alert', class: 'alert' }, message));

/** Shows an API error in `box`, unless it ended the session (the sign-in form says so). */
function showError(box, error) {
  if (!error.ended) showAlert(box, error.message);
}

/** Runs `work` with `button` disabled, showing its error in `alerts`; focus stays on it. */
async function busy(button, alerts, work) {
  const focused = document.activeElement === button;
  button.disabled = true;
  alerts.replaceChildren();
  try {
    await work();
  } catch (error) {
    showError(alerts, error);
  } finally {
    button.disabled = false;
    const lost = !document.activeElement || document.activeElement === document.body;
    if (focused && lost && button.isConnected) button.focus();
  }
}

// ---- API ----

/** A failed API call with the problem's `detail`; `ended` when it was a 401 that ended the session. */
class ApiError extends Error {
  constructor(status, problem = {}, ended = false) {
    super(problem.detail || problem.title || `The request failed (HTTP ${status}).`);
    Object.assign(this, { status, code: problem.code, errors: problem.errors ?? [], ended });
  }
}

const getToken = () => sessionStorage.getItem(TOKEN_KEY);
const problemOf = (response) => response.json().catch(() => ({}));

/** Fetches with the admin token (and `body` as JSON); a 401 ends the session, another failure throws its problem. */
async function request(method, path, body = undefined) {
  const token = getToken();
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, { detail: 'The server could not be reached; try again.' });
  }
  if (response.status === 401) {
    if (getToken() === token) signOut('Your session ended; sign in again.');
    throw new ApiError(401, {}, true);
  }
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  return response;
}

async function api(method, path, body = undefined) {
  const response = await request(method, path, body);
  return response.status === 204 ? null : response.json();
}

// ---- Session ----

function renderSignIn(message) {
  nav.hidden = true;
  statusRegion.textContent = '';
  document.title = 'Sign in — Sluice operator dashboard';
  const input = el('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    required: true,
    spellcheck: 'false',
    autocapitalize: 'off',
  });
  const button = el('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const alerts = el('div', { class: 'alerts' });
  const form = el(
    'form',
    { id: 'sign-in', class: 'sign-in', novalidate: true },
    el('div', { class: 'field' }, el('label', { for: 'token' }, 'Admin token'), input),
    alerts,
    el('div', { class: 'actions' }, button),
  );
  form.addEventListener('submit', (event) => signIn(event, input, button, alerts));
  main.replaceChildren(
    el('h1', { tabindex: -1 }, 'Sign in'),
    el(
      'p',
      { class: 'hint' },
      'Use the admin token of this server (server.admin_token or SLUICE_ADMIN_TOKEN). ' + 'It is kept in this tab only, until you sign out or close the tab.',
    ),
    form,
  );
  if (message) showAlert(alerts, message);
  input.focus();
}

function signInRefusal(status, problem) {
  if (status === 401) return 'The admin token is not valid.';
  if (status === 429) return 'Too many failed sign-ins; wait a minute and try again.';
  return problem.detail || `Sign-in failed (HTTP ${status}).`;
}

async function signIn(event, input, button, alerts) {
  event.preventDefault();
  const token = input.value.trim();
  if (!token) return showAlert(alerts, 'Enter the admin token.');
  alerts.replaceChildren();
  button.disabled = true;
  let response;
  try {
    response = await fetch('/v1/admin/session', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      cache: 'no-store',
    });
  } catch {
    response = null;
  } finally {
    button.disabled = false;
  }
  if (response?.ok) {
    sessionStorage.setItem(TOKEN_KEY, token);
    announce('Signed in.');
    return route();
  }
  const message = response ? signInRefusal(response.status, await problemOf(response)) : 'The server could not be reached; try again.';
  showAlert(alerts, message);
  input.select();
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  renderSignIn(message);
}

// ---- Routing ----

function markCurrent(view) {
  for (const link of nav.querySelectorAll('a[href^="#/"]')) {
    if (link.getAttribute('href') === `#/${view}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

/**
 * Shows the view of location.hash: #/importers, #/importers/new, #/importers/<key>/edit,
 * #/imports[?importer=key], #/imports/<id>, #/audit.
 */
function route() {
  if (!getToken()) return renderSignIn();
  nav.hidden = false;
  const [path, query = ''] = location.hash.slice(1).split('?', 2);
  markCurrent(path.split('/')[1]);
  const one = /^\/imports\/([^/]+)$/.exec(path);
  const edit = /^\/importers\/([^/]+)\/edit$/.exec(path);
  if (path === '/importers') importersView();
  else if (path === '/importers/new') importerEditor(null);
  else if (edit) importerEditor(safeDecode(edit[1]));
  else if (path === '/imports') importsView(new URLSearchParams(query).get('importer') ?? '');
  else if (one) importView(safeDecode(one[1]));
  else if (path === '/audit') auditView();
  else location.replace('#/importers');
}

/** Replaces the page with a view titled `title`, moving focus to its `<h1>`. */
function startView(title) {
  document.title = `${title} — Sluice`;
  const heading = el('h1', { tabindex: -1 }, title);
  const view = { alerts: el('div', { class: 'alerts' }), body: el('div', { class: 'view-body' }) };
  main.replaceChildren(heading, view.alerts, view.body);
  heading.focus();
  return view;
}

/** Fetches a view's data with a loading note; null (after showing why) when it fails. */
async function load(view, fetcher) {
  const note = el('p', { class: 'muted' }, 'Loading…');
  view.body.append(note);
  try {
    return await fetcher();
  } catch (error) {
    showError(view.alerts, error);
    return null;
  } finally {
    note.remove();
  }
}

// ---- Dialogs ----

/**
 * A modal confirmation. With `phrase`, the confirm button enables only once it is typed exactly.
 * `action` runs on confirm; the dialog closes when it succeeds (then `done` gets its result) and
 * shows its error when it fails. Escape and Cancel close it; focus returns to `opener`.
 * `extra` is more of the form (a choice the action reads).
 * @param {{ title: string, message: string, confirmLabel: string, phrase?: string, opener: HTMLElement | null,
 *   action: () => Promise<unknown>, done?: (result: any) => void, extra?: Node | null }} options
 */
function confirmDialog({ title, message, confirmLabel, phrase, opener, action, done, extra = null }) {
  const input = phrase ? el('input', { id: 'confirm-text', type: 'text', autocomplete: 'off', spellcheck: 'false' }) : null;
  const ready = () => !input || input.value === phrase;
  const confirm = el('button', { type: 'submit', id: 'confirm', class: 'danger', disabled: !ready() }, confirmLabel);
  const cancel = el('button', { type: 'button', id: 'cancel' }, 'Cancel');
  const alerts = el('div', { class: 'alerts' });
  const field = input && el('div', { class: 'field' }, el('label', { for: 'confirm-text' }, 'Type ', el('code', {}, phrase), ' to confirm'), input);
  const form = el(
    'form',
    { class: 'dialog-form', novalidate: true },
    el('h2', { id: 'dialog-title' }, title),
    el('p', { id: 'dialog-text' }, message),
    field,
    extra,
    alerts,
    el('div', { class: 'actions' }, cancel, confirm),
  );
  const dialog = el('dialog', { class: 'dialog', 'aria-labelledby': 'dialog-title', 'aria-describedby': 'dialog-text' }, form);
  let running = false;
  input?.addEventListener('input', () => {
    confirm.disabled = !ready();
  });
  cancel.addEventListener('click', () => dialog.close());
  dialog.addEventListener('cancel', (event) => {
    if (running) event.preventDefault();
  });
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (opener.isConnected) opener.focus();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!ready() || running) return;
    running = true;
    confirm.disabled = cancel.disabled = true;
    alerts.replaceChildren();
    try {
      const result = await action();
      dialog.close();
      done(result);
    } catch (error) {
      showError(alerts, error);
    } finally {
      running = false;
      confirm.disabled = !ready();
      cancel.disabled = false;
      if (dialog.open && !dialog.contains(document.activeElement)) confirm.focus();
    }
  });
  main.append(dialog);
  dialog.showModal();
  (input ?? cancel).focus();
}

// ---- Importers view ----

async function importersView() {
  const view = startView('Importers');
  const data = await load(view, () => api('GET', '/v1/admin/importers'));
  if (!data) return;
  view.body.append(el('div', { class: 'toolbar' }, el('a', { href: '#/importers/new', class: 'button primary', id: 'new-importer' }, 'New importer')));
  if (!data.importers.length) view.body.append(el('p', {}, 'No importers are configured.'));
  view.body.append(...data.importers.map(importerSection));
}

function importerSection(importer) {
  const { key } = importer;
  const remove = el('button', { type: 'button', class: 'danger' }, 'Delete all data…');
  remove.addEventListener('click', () =>
    confirmDialog({
      title: `Delete all data of ${key}?`,
      message: `This deletes the rows, file names and user attributes of every import of ${key} for good. ` + 'Their records and logs stay.',
      confirmLabel: 'Delete all data',
      phrase: key,
      opener: remove,
      action: () => api('DELETE', `/v1/admin/importers/${encodeURIComponent(key)}/data`),
      done: (result) => announce(`Deleted the data of ${plural(result.deleted, 'import')}.`),
    }),
  );
  const origins = importer.allowedOrigins?.length ? importer.allowedOrigins.join(', ') : 'None';
  return section(
    [importer.name || key, ' ', el('code', { class: 'key' }, key), ' ', sourceBadges(importer)],
    el(
      'dl',
      { class: 'facts' },
      fact('Allowed origins', origins),
      fact('Invalid rows', INVALID_ROWS[importer.invalidRows] ?? importer.invalidRows),
      fact('Retention', retentionText(importer.retention)),
    ),
    destinationsTable(importer),
    schemaTable(importer),
    el(
      'div',
      { class: 'actions' },
      el(
        'button',
        {
          type: 'button',
          onclick: () => {
            location.hash = `#/imports?importer=${encodeURIComponent(key)}`;
          },
        },
        'View imports',
      ),
      el('a', { href: `/v1/importers/${encodeURIComponent(key)}/template.csv`, download: '', 'data-template': key }, 'Download template (CSV)'),
      remove,
      importerActions(importer),
    ),
  );
}

function destinationsTable(importer) {
  const where = (d) => {
    if (d.type === 'postgres') return `${d.url} → ${d.table}${d.transaction === 'import' ? ' (a transaction per import)' : ''}`;
    if (d.type === 's3') return `${d.url} → ${d.bucket}/${d.prefix ?? ''} (${d.format === 'csv' ? 'CSV' : 'JSON lines'})`;
    return d.url;
  };
  const kinds = { webhook: 'Webhook', postgres: 'PostgreSQL table', s3: 'S3 bucket (an object per import)' };
  const rows = (importer.destinations ?? []).map((d, index) =>
    tr([
      kinds[d.type] ?? d.type,
      el('span', { class: 'mono' }, where(d)),
      d.delivery === 'parallel' && d.parallelism ? `parallel (${num(d.parallelism)} at a time)` : d.delivery,
      numCell(d.chunkRows),
      numCell(d.timeoutSeconds, ' s'),
      el('td', {}, destinationActions(importer, d, index)),
    ]),
  );
  return table({
    caption: `Destinations of ${importer.key}`,
    headers: ['Kind', 'Where', 'Delivery', 'Rows per message', 'Timeout', 'Actions'],
    rows,
    empty: 'No destinations: rows are kept for export only.',
  });
}

function schemaTable(importer) {
  const yes = (b) => (b ? 'Yes' : 'No');
  // A label may be given per language (`{ en: 'Email', de: 'E-Mail' }`): English, else the first.
  const label = (l) => (l && typeof l === 'object' ? (l.en ?? Object.values(l)[0] ?? '') : (l ?? ''));
  const rows = (importer.schema?.columns ?? []).map((c) => tr([el('code', {}, c.key), label(c.label), c.type, yes(c.required), yes(c.unique)]));
  return table({
    caption: `Schema of ${importer.key} (version ${importer.schema?.version ?? '?'})`,
    headers: ['Key', 'Label', 'Type', 'Required', 'Unique'],
    rows,
    empty: 'No columns.',
  });
}

// ---- Importers made in the dashboard ----

const COLUMN_TYPES = ['text', 'integer', 'number', 'boolean', 'date', 'datetime', 'time', 'email', 'url', 'uuid', 'enum', 'regex'];
const DESTINATION_KINDS = { webhook: 'Webhook', postgres: 'PostgreSQL table', s3: 'S3 bucket' };
const SECRET_FIELDS = ['password', 'access_key_id', 'secret_access_key'];

/** "configuration file, read-only" or "dashboard", "disabled", and "not served" (why, in its title). */
function sourceBadges(importer) {
  const source =
    importer.source === 'dashboard'
      ? el('span', { class: 'badge' }, 'made in the dashboard')
      : el('span', { class: 'badge', title: 'Change it in the configuration file and restart the server' }, 'configuration file, read-only');
  const unserved =
    importer.served === false ? [' ', el('span', { class: 'badge dead', title: importer.problem }, 'not served'), hiddenText(`: ${importer.problem}`)] : null;
  return [source, importer.disabled ? [' ', el('span', { class: 'badge dead' }, 'disabled')] : null, unserved];
}

/** Edit, disable or enable, and delete, for an importer made in the dashboard. */
function importerActions(importer) {
  if (importer.source !== 'dashboard') return null;
  const { key } = importer;
  const path = `/v1/admin/importers/${encodeURIComponent(key)}`;
  const edit = el('a', { href: `#/importers/${encodeURIComponent(key)}/edit`, class: 'button' }, 'Edit');
  const toggle = el('button', { type: 'button' }, importer.disabled ? 'Enable' : 'Disable');
  toggle.addEventListener('click', () =>
    busy(toggle, statusAlerts(), async () => {
      await api('POST', `${path}/${importer.disabled ? 'enable' : 'disable'}`);
      announce(`${importer.disabled ? 'Enabled' : 'Disabled'} ${key}.`);
      importersView();
    }),
  );
  const remove = el('button', { type: 'button', class: 'danger' }, 'Delete importer…');
  remove.addEventListener('click', () =>
    confirmDialog({
      title: `Delete the importer ${key}?`,
      message: `This disables ${key}, deletes the data of all its imports (which cancels their undelivered messages) and then the importer itself. Their records and logs stay.`,
      confirmLabel: 'Delete importer',
      phrase: key,
      opener: remove,
      action: async () => {
        if (!importer.disabled) await api('POST', `${path}/disable`);
        await api('DELETE', `${path}/data`);
        return api('DELETE', path);
      },
      done: () => {
        announce(`Deleted the importer ${key}.`);
        importersView();
      },
    }),
  );
  return [edit, toggle, remove];
}

/** "Test" for every destination, and "Rotate secret…" for a webhook of an importer made in the dashboard. */
function destinationActions(importer, destination, index) {
  return [testButton(importer, index), destination.type === 'webhook' && importer.source === 'dashboard' ? rotateButton(importer, index) : null];
}

/** Tries the destination without an import and shows how it went beside the button. */
function testButton(importer, index) {
  const button = el('button', { type: 'button', class: 'test' }, 'Test');
  const result = el('output', { class: 'test-result', 'aria-live': 'polite' });
  button.addEventListener('click', () =>
    busy(button, statusAlerts(), async () => {
      result.textContent = 'Testing…';
      const tested = await api('POST', `/v1/admin/importers/${encodeURIComponent(importer.key)}/destinations/${index}/test`);
      const status = tested.status == null ? '' : ` (HTTP ${tested.status})`;
      result.textContent = tested.outcome === 'delivered' ? `Delivered${status}` : `Failed: ${tested.error ?? 'no answer'}`;
      result.className = `test-result ${tested.outcome}`;
    }).finally(() => {
      if (result.textContent === 'Testing…') result.textContent = '';
    }),
  );
  return [button, ' ', result];
}

/** "Rotate secret…": a new secret shown once, the old one signing for the overlap chosen. */
function rotateButton(importer, index) {
  const rotate = el('button', { type: 'button', class: 'rotate' }, 'Rotate secret…');
  const overlap = selectInput('overlap', '86400', [
    ['3600', 'an hour'],
    ['86400', 'a day'],
    ['604800', 'a week'],
    ['0', 'no overlap: the old secret stops now'],
  ]);
  overlap.id = 'rotate-overlap';
  rotate.addEventListener('click', () =>
    confirmDialog({
      title: `Rotate the signing secret of destination ${index + 1}?`,
      message:
        'A new secret is made and shown once. The old one goes on signing beside it for a while, so that the receiver accepts messages signed with either until it holds the new one.',
      confirmLabel: 'Rotate secret',
      opener: rotate,
      extra: el('div', { class: 'field' }, el('label', { for: 'rotate-overlap' }, 'The old secret keeps signing for'), overlap),
      action: () =>
        api('POST', `/v1/admin/importers/${encodeURIComponent(importer.key)}/destinations/${index}/rotate`, { overlapSeconds: Number(overlap.value) }),
      done: (rotated) => showSecrets(importer.key, [rotated], rotated.previousSignsUntil),
    }),
  );
  return [' ', rotate];
}

/** Back to the importers (the hash may already say so: a rotation starts from there). */
function toImporters() {
  if (location.hash === '#/importers') route();
  else location.hash = '#/importers';
}

/** The alerts of the current view. */
const statusAlerts = () => main.querySelector('.alerts') ?? el('div');

/** A new importer's settings. */
const blankDocument = () => ({
  key: '',
  allowed_origins: [],
  schema: { version: 1, columns: [{ key: 'email', label: 'Email', type: 'email', required: true }] },
  destinations: [],
});

/**
 * The editor of an importer made in the dashboard (`key`), or of a new one: a form, or its
 * settings as JSON or TOML text (converted by the server's check). Saving shows each problem by
 * field, or the signing secrets made for new webhooks, once.
 */
async function importerEditor(key) {
  const view = startView(key ? `Edit importer ${key}` : 'New importer');
  let document0 = blankDocument();
  if (key) {
    const data = await load(view, () => api('GET', '/v1/admin/importers'));
    if (!data) return;
    const found = data.importers.find((i) => i.key === key);
    if (found?.source !== 'dashboard')
      return showAlert(view.alerts, `${key} is not an importer made in the dashboard: importers of the configuration file are changed there.`);
    document0 = found.document;
  }
  const editor = { key, mode: 'form', document: document0, view, pane: el('div', { class: 'editor-pane' }), errors: el('div', { class: 'alerts' }) };
  const modes = el('div', { class: 'toolbar', role: 'group', 'aria-label': 'Edit as' });
  for (const [mode, label] of [
    ['form', 'Form'],
    ['json', 'JSON'],
    ['toml', 'TOML'],
  ]) {
    const button = el('button', { type: 'button', id: `mode-${mode}`, 'aria-pressed': String(mode === 'form') }, label);
    button.addEventListener('click', () => busy(button, editor.errors, () => switchMode(editor, mode, modes)));
    modes.append(button);
  }
  const save = el('button', { type: 'submit', class: 'primary', id: 'save-importer' }, key ? 'Save changes' : 'Create importer');
  const form = el(
    'form',
    { class: 'editor', novalidate: true },
    modes,
    editor.pane,
    editor.errors,
    el('div', { class: 'actions' }, el('a', { href: '#/importers', class: 'button' }, 'Cancel'), save),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(save, editor.errors, () => saveImporter(editor));
  });
  view.body.append(form);
  renderPane(editor);
}

/** Reads the pane into `editor.document` (form or JSON) and what to send: `{ document }` or `{ toml }`. */
function currentInput(editor) {
  if (editor.mode === 'form') editor.document = readForm(editor.pane, editor.document);
  if (editor.mode === 'toml') return { toml: editor.pane.querySelector('textarea').value };
  if (editor.mode === 'json') {
    try {
      editor.document = JSON.parse(editor.pane.querySelector('textarea').value);
    } catch (error) {
      throw new ApiError(400, { detail: `The JSON does not parse: ${error.message}` });
    }
  }
  return { document: editor.document };
}

/** Shows the settings in another mode, through the server's check for TOML. */
async function switchMode(editor, mode, modes) {
  if (mode === editor.mode) return;
  const input = currentInput(editor);
  if (mode === 'toml' || editor.mode === 'toml') {
    const checked = await api('POST', '/v1/admin/importers/check', input);
    editor.document = checked.document;
    editor.toml = checked.toml;
  }
  editor.mode = mode;
  for (const button of modes.querySelectorAll('button')) button.setAttribute('aria-pressed', String(button.id === `mode-${mode}`));
  renderPane(editor);
}

function renderPane(editor) {
  if (editor.mode === 'form') return editor.pane.replaceChildren(...importerForm(editor.document, editor.key));
  const toml = editor.mode === 'toml';
  const area = el('textarea', { id: 'importer-text', rows: 28, spellcheck: 'false', autocomplete: 'off', 'data-field': toml ? 'toml' : 'document' });
  area.value = toml ? (editor.toml ?? '') : JSON.stringify(editor.document, null, 2);
  const hint = toml
    ? 'The fields of one [[importers]] table of sluice.toml, without the [[importers]] line. Passwords and access keys typed here are stored sealed, never shown again.'
    : 'The fields of one [[importers]] table as JSON.';
  editor.pane.replaceChildren(
    el(
      'div',
      { class: 'field wide' },
      el('label', { for: 'importer-text' }, toml ? 'Settings as TOML' : 'Settings as JSON'),
      el('p', { class: 'hint' }, hint),
      area,
    ),
  );
}

/** Saves the importer; shows the problems by field, or the secrets made, once. */
async function saveImporter(editor) {
  const input = currentInput(editor);
  let saved;
  try {
    saved = editor.key ? await api('PUT', `/v1/admin/importers/${encodeURIComponent(editor.key)}`, input) : await api('POST', '/v1/admin/importers', input);
  } catch (error) {
    if (!error.errors?.length) throw error;
    return showFieldErrors(editor, error.errors);
  }
  announce(`Saved the importer ${saved.importer.key}.`);
  if (!saved.secrets.length) return toImporters();
  showSecrets(saved.importer.key, saved.secrets);
}

/** Lists `errors` and marks the controls they name. */
function showFieldErrors(editor, errors) {
  for (const marked of editor.pane.querySelectorAll('[aria-invalid]')) marked.removeAttribute('aria-invalid');
  const controls = [...editor.pane.querySelectorAll('[data-field]')];
  const items = errors.map(({ field, message }) => {
    const control = controls
      .filter((c) => field === c.dataset.field || field.startsWith(`${c.dataset.field}.`) || field.startsWith(`${c.dataset.field}[`))
      .sort((a, b) => b.dataset.field.length - a.dataset.field.length)[0];
    control?.setAttribute('aria-invalid', 'true');
    return el('li', {}, el('code', {}, field), ': ', message);
  });
  editor.errors.replaceChildren(
    el(
      'div',
      { role: 'alert', class: 'alert', id: 'importer-errors' },
      el('p', {}, `The importer was not saved: ${plural(errors.length, 'problem')}.`),
      el('ul', {}, items),
    ),
  );
}

/** The signing secrets made for new webhooks (or by a rotation, the old one signing until `until`), shown this once. */
function showSecrets(key, secrets, until = null) {
  const view = startView(`Signing secrets of ${key}`);
  const overlap = until == null ? null : el('p', {}, `The old secret signs beside the new one until ${when(until)}.`);
  view.body.append(
    el(
      'p',
      { role: 'alert', class: 'alert' },
      'Shown this once: copy each secret into the receiving app now. It is stored sealed and cannot be shown again; rotate it to get a new one.',
    ),
    overlap,
    ...secrets.map((s) => {
      const id = `secret-${s.destination}`;
      const input = el('input', { type: 'text', id, readonly: true, class: 'mono secret', value: s.secret, spellcheck: 'false' });
      const copy = el('button', { type: 'button' }, 'Copy');
      copy.addEventListener('click', () => navigator.clipboard?.writeText(s.secret).then(() => announce('Copied.')));
      return el(
        'div',
        { class: 'field wide' },
        el('label', { for: id }, `Destination ${s.index + 1} (webhook ${s.destination})`),
        el('div', { class: 'toolbar' }, input, copy),
      );
    }),
    el('div', { class: 'actions' }, el('button', { type: 'button', class: 'primary', id: 'secrets-done', onclick: toImporters }, 'Done')),
  );
}

// -- The form --

/** A labelled control bound to `field` (the server's name for it, to mark its errors). */
function control(field, label, input, hint) {
  const id = uid('f');
  input.id = id;
  input.dataset.field = field;
  return el('div', { class: 'field' }, el('label', { for: id }, label), hint ? el('p', { class: 'hint' }, hint) : null, input);
}

function textInput(name, value, attrs = {}) {
  const input = el('input', { type: 'text', name, autocomplete: 'off', spellcheck: 'false', ...attrs });
  input.value = value == null ? '' : String(value);
  return input;
}

function selectInput(name, value, options) {
  const select = el(
    'select',
    { name },
    options.map(([v, label]) => el('option', { value: v }, label)),
  );
  select.value = value;
  return select;
}

function checkbox(field, label, checked, name) {
  const id = uid('c');
  const input = el('input', { type: 'checkbox', id, name, 'data-field': field });
  input.checked = Boolean(checked);
  return el('div', { class: 'check' }, input, el('label', { for: id }, label));
}

/** The form's sections for `doc` (the importer's settings). */
function importerForm(doc, key) {
  const limits = doc.limits ?? {};
  const retention = doc.retention ?? {};
  const general = el(
    'fieldset',
    {},
    el('legend', {}, 'Importer'),
    control(
      'key',
      'Key',
      textInput('key', doc.key, { readonly: key ? true : null, required: true }),
      'Public, in the embed code: 3 to 64 of a-z, 0-9, _ and -. It cannot change later.',
    ),
    control('name', 'Name shown to users', textInput('name', doc.name ?? '')),
    control(
      'allowed_origins',
      'Allowed origins, one per line',
      Object.assign(el('textarea', { name: 'allowed_origins', rows: 3, spellcheck: 'false' }), { value: (doc.allowed_origins ?? []).join('\n') }),
      'Exact origins of the pages that embed the importer, such as https://app.example.com.',
    ),
    control('invalid_rows', 'Invalid rows', selectInput('invalid_rows', doc.invalid_rows ?? 'refuse', Object.entries(INVALID_ROWS))),
    control(
      'unmapped_columns',
      'Columns no schema column takes',
      selectInput('unmapped_columns', doc.unmapped_columns ?? 'leave_out', [
        ['leave_out', 'Left out: never sent or stored'],
        ['keep', 'Kept beside the schema columns'],
        ['ask', 'The person importing chooses'],
      ]),
    ),
    checkbox('host_page_rows', 'Hand the checked rows to the host page (onData)', doc.host_page_rows, 'host_page_rows'),
  );
  const keep = el(
    'fieldset',
    {},
    el('legend', {}, 'Retention and limits'),
    control(
      'retention.mode',
      'Retention',
      selectInput('retention.mode', retention.mode ?? 'keep', [
        ['keep', 'Keep for some days'],
        ['delete_after_delivery', 'Delete after delivery'],
        ['never_store', 'Pass-through: never kept beyond delivery'],
      ]),
    ),
    control('retention.days', 'Days (1 to 3650; empty: 30)', textInput('retention.days', retention.days, { inputmode: 'numeric' })),
    ...[
      ['max_rows', 'Most rows (empty: 1,000,000)'],
      ['min_rows', 'Fewest rows (empty: 1)'],
      ['max_file_size', 'Largest file, such as 10MB (empty: 1GiB)'],
      ['batch_rows', 'Rows per batch (empty: 5,000)'],
      ['batch_bytes', 'Bytes per batch, such as 1MiB (empty: 1MiB)'],
    ].map(([name, label]) => control(`limits.${name}`, label, textInput(`limits.${name}`, limits[name]))),
  );
  return [general, schemaFieldset(doc.schema ?? { version: 1, columns: [] }), keep, destinationsFieldset(doc.destinations ?? [])];
}

/** The schema's columns as rows: key, label, type, required, unique (other fields are kept). */
function schemaFieldset(schema) {
  const body = el('tbody', {});
  const addRow = (column) => body.append(columnRow(column));
  for (const column of schema.columns ?? []) addRow(column);
  const add = el('button', { type: 'button', id: 'add-column' }, 'Add column');
  add.addEventListener('click', () => {
    addRow({ key: '', type: 'text' });
    body.lastElementChild?.querySelector('input')?.focus();
  });
  const fieldset = el(
    'fieldset',
    { class: 'schema', 'data-version': schema.version ?? 1 },
    el('legend', {}, 'Schema'),
    el('p', { class: 'hint' }, 'Formats, values of an enum and other column settings are edited in the JSON or TOML view (docs/schema.md).'),
    el(
      'div',
      { class: 'table-wrap' },
      el(
        'table',
        { 'data-field': 'schema' },
        el('caption', {}, 'Columns'),
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            ['Key', 'Label', 'Type', 'Required', 'Unique', ''].map((h) => el('th', { scope: 'col' }, h)),
          ),
        ),
        body,
      ),
    ),
    el('div', { class: 'actions' }, add),
  );
  fieldset.schemaExtras = schema;
  return fieldset;
}

function columnRow(column) {
  const row = el('tr', { class: 'column' });
  const labelText = typeof column.label === 'string' ? column.label : '';
  const keyInput = textInput('column.key', column.key, { 'aria-label': 'Column key' });
  const labelInput = textInput('column.label', labelText, {
    'aria-label': 'Column label',
    disabled: column.label && typeof column.label !== 'string' ? true : null,
  });
  const type = selectInput(
    'column.type',
    column.type ?? 'text',
    COLUMN_TYPES.map((t) => [t, t]),
  );
  type.setAttribute('aria-label', 'Column type');
  const flag = (name, label) => {
    const box = el('input', { type: 'checkbox', name: `column.${name}`, 'aria-label': label });
    box.checked = Boolean(column[name]);
    return el('td', {}, box);
  };
  const remove = el('button', { type: 'button', 'aria-label': 'Remove column' }, 'Remove');
  remove.addEventListener('click', () => row.remove());
  row.column = column;
  row.append(
    el('td', {}, keyInput),
    el('td', {}, labelInput),
    el('td', {}, type),
    flag('required', 'Required'),
    flag('unique', 'Unique'),
    el('td', {}, remove),
  );
  return row;
}

/** The destinations, each in its own fieldset. */
function destinationsFieldset(destinations) {
  const list = el('div', { class: 'destinations' });
  const addOne = (d) => list.append(destinationFieldset(d, list));
  for (const d of destinations) addOne(d);
  const add = el('button', { type: 'button', id: 'add-destination' }, 'Add destination');
  add.addEventListener('click', () => {
    addOne({ type: 'webhook' });
    renumber(list);
    list.lastElementChild?.querySelector('select')?.focus();
  });
  renumber(list);
  return el(
    'fieldset',
    {},
    el('legend', {}, 'Destinations'),
    el('p', { class: 'hint' }, 'Where rows go, in this order. A webhook gets a signing secret made by the server, shown once when saved.'),
    list,
    el('div', { class: 'actions' }, add),
  );
}

/** Gives each destination's controls the server's field names (`destinations[1].url`). */
function renumber(list) {
  [...list.children].forEach((fieldset, index) => {
    fieldset.querySelector('legend').textContent = `Destination ${index + 1}`;
    fieldset.dataset.index = String(index);
    for (const c of fieldset.querySelectorAll('[data-name]')) c.dataset.field = `destinations[${index}].${c.dataset.name}`;
  });
}

/** The settings of each kind of destination: [name, label, kind of control]. */
const DESTINATION_FIELDS = {
  webhook: [
    ['url', 'URL', 'text'],
    ['allow_private_network', 'Allow this machine or a private network', 'check'],
    ['chunk_rows', 'Rows per message (empty: 1,000)', 'text'],
    ['delivery', 'Delivery', 'delivery'],
    ['parallelism', 'Messages at once, when parallel (empty: 4)', 'text'],
    ['timeout', 'Timeout per attempt, such as 30s', 'text'],
  ],
  postgres: [
    ['url', 'URL without password, such as postgres://sluice@db.example.com:5432/crm', 'text'],
    ['password', 'Password', 'secret'],
    ['table', 'Table, such as public.contacts', 'text'],
    ['tls', 'TLS', 'tls'],
    ['allow_private_network', 'Allow this machine or a private network', 'check'],
    ['chunk_rows', 'Rows per transaction (empty: 5,000)', 'text'],
    ['delivery', 'Delivery', 'delivery'],
    ['timeout', 'Timeout per transaction, such as 30s', 'text'],
  ],
  s3: [
    ['endpoint', 'Endpoint, such as https://s3.eu-west-1.amazonaws.com', 'text'],
    ['bucket', 'Bucket', 'text'],
    ['region', 'Region (empty: us-east-1)', 'text'],
    ['prefix', 'Key prefix, such as sluice/', 'text'],
    ['path_style', 'Path-style URLs (MinIO and most self-hosted services)', 'check'],
    ['access_key_id', 'Access key id', 'secret'],
    ['secret_access_key', 'Secret access key', 'secret'],
    ['allow_private_network', 'Allow this machine or a private network', 'check'],
    ['delivery', 'Delivery', 'delivery'],
    ['timeout', 'Timeout per request, such as 30s', 'text'],
  ],
};

function destinationFieldset(destination, list) {
  const fieldset = el('fieldset', { class: 'destination' }, el('legend', {}, 'Destination'));
  fieldset.destination = destination;
  const kind = selectInput('type', destination.type ?? 'webhook', Object.entries(DESTINATION_KINDS));
  kind.dataset.name = 'type';
  const fields = el('div', { class: 'destination-fields' });
  const fill = () => fields.replaceChildren(...DESTINATION_FIELDS[kind.value].map((f) => destinationControl(f, fieldset.destination)));
  kind.addEventListener('change', () => {
    fieldset.destination = { id: fieldset.destination.id, type: kind.value };
    fill();
    renumber(list);
  });
  const remove = el('button', { type: 'button', class: 'danger' }, 'Remove destination');
  remove.addEventListener('click', () => {
    fieldset.remove();
    renumber(list);
  });
  fill();
  const kindId = uid('f');
  kind.id = kindId;
  fieldset.append(
    el('div', { class: 'field' }, el('label', { for: kindId }, 'Kind'), kind),
    destination.id ? el('p', { class: 'hint' }, 'Id ', el('code', {}, destination.id)) : null,
    fields,
    el('div', { class: 'actions' }, remove),
  );
  return fieldset;
}

function destinationControl([name, label, kind], destination) {
  const value = destination[name];
  if (kind === 'check') {
    const wrap = checkbox('', label, value, name);
    wrap.querySelector('input').dataset.name = name;
    return wrap;
  }
  let input;
  if (kind === 'delivery')
    input = selectInput(name, value ?? 'sequential', [
      ['sequential', 'One at a time, in order'],
      ['parallel', 'Several at once, in no order'],
    ]);
  else if (kind === 'tls')
    input = selectInput(name, value ?? 'require', [
      ['require', 'Required, certificate checked'],
      ['disable', 'Off (this machine or a private network only)'],
    ]);
  else if (kind === 'secret')
    input = el('input', { type: 'password', name, autocomplete: 'new-password', placeholder: destination.id ? 'Stored: leave empty to keep' : '' });
  else input = textInput(name, value);
  input.dataset.name = name;
  return control('', label, input);
}

/** The settings the form shows, over `doc` (fields the form does not show are kept). */
function readForm(pane, doc) {
  const value = (name) => pane.querySelector(`[name="${name}"]`)?.value.trim() ?? '';
  const number = (text) => (/^\d+$/.test(text) ? Number(text) : text);
  const out = { ...doc };
  const set = (target, name, v) => {
    if (v === '' || v == null) delete target[name];
    else target[name] = v;
  };
  set(out, 'key', value('key'));
  set(out, 'name', value('name'));
  out.allowed_origins = value('allowed_origins')
    .split('\n')
    .map((o) => o.trim())
    .filter(Boolean);
  // A setting left at its default is written only if the settings had it.
  const chosen = (target, name, v, fallback) => {
    if (v === fallback && !(name in doc)) delete target[name];
    else target[name] = v;
  };
  chosen(out, 'invalid_rows', value('invalid_rows'), 'refuse');
  chosen(out, 'unmapped_columns', value('unmapped_columns'), 'leave_out');
  const host = pane.querySelector('[name="host_page_rows"]');
  if (host?.checked) out.host_page_rows = true;
  else delete out.host_page_rows;
  const retention = { ...(doc.retention ?? {}) };
  set(retention, 'mode', value('retention.mode') === 'keep' && !doc.retention?.mode ? '' : value('retention.mode'));
  set(retention, 'days', value('retention.days') === '' ? '' : number(value('retention.days')));
  if (Object.keys(retention).length) out.retention = retention;
  else delete out.retention;
  const limits = { ...(doc.limits ?? {}) };
  for (const name of ['max_rows', 'min_rows', 'batch_rows']) set(limits, name, value(`limits.${name}`) === '' ? '' : number(value(`limits.${name}`)));
  for (const name of ['max_file_size', 'batch_bytes']) set(limits, name, value(`limits.${name}`) === '' ? '' : number(value(`limits.${name}`)));
  if (Object.keys(limits).length) out.limits = limits;
  else delete out.limits;
  out.schema = readSchema(pane);
  out.destinations = [...pane.querySelectorAll('fieldset.destination')].map(readDestination);
  return out;
}

function readSchema(pane) {
  const fieldset = pane.querySelector('fieldset.schema');
  const schema = { ...(fieldset.schemaExtras ?? {}), version: Number(fieldset.dataset.version) || 1 };
  schema.columns = [...fieldset.querySelectorAll('tr.column')].map((row) => {
    const get = (name) => row.querySelector(`[name="column.${name}"]`);
    const type = get('type').value;
    const before = row.column ?? {};
    // A new type takes none of the old type's own settings (the server would refuse them).
    const column = before.type === type ? { ...before } : { key: before.key, label: before.label };
    column.key = get('key').value.trim();
    column.type = type;
    if (!get('label').disabled) {
      const label = get('label').value.trim();
      if (label) column.label = label;
      else delete column.label;
    }
    for (const flag of ['required', 'unique']) {
      if (get(flag).checked) column[flag] = true;
      else delete column[flag];
    }
    return column;
  });
  return schema;
}

function readDestination(fieldset) {
  const out = { ...fieldset.destination, type: fieldset.querySelector('[data-name="type"]').value };
  for (const [name, , kind] of DESTINATION_FIELDS[out.type]) {
    const input = fieldset.querySelector(`[data-name="${name}"]`);
    if (!input) continue;
    if (kind === 'check') {
      if (input.checked) out[name] = true;
      else delete out[name];
      continue;
    }
    const text = input.value.trim();
    if (text === '') delete out[name];
    else out[name] = ['chunk_rows', 'parallelism'].includes(name) && /^\d+$/.test(text) ? Number(text) : text;
  }
  for (const name of SECRET_FIELDS) if (!fieldset.querySelector(`[data-name="${name}"]`)?.value) delete out[name];
  return out;
}

// ---- Imports view ----

let importsRequest = 0;

function importsView(filter) {
  const view = startView('Imports');
  const select = el('select', { id: 'importer-filter' }, el('option', { value: '' }, 'All importers'));
  if (filter) select.append(el('option', { value: filter }, filter));
  select.value = filter;
  const results = el('div', { class: 'results' });
  select.addEventListener('change', () => {
    history.pushState(null, '', select.value ? `#/imports?importer=${encodeURIComponent(select.value)}` : '#/imports');
    showImports(view, results, select.value, true);
  });
  view.body.append(el('div', { class: 'toolbar' }, el('label', { for: 'importer-filter' }, 'Importer'), select), results);
  fillFilter(view, select);
  showImports(view, results, filter);
}

/** Adds every importer's key to the filter, keeping what is selected. */
async function fillFilter(view, select) {
  let importers;
  try {
    ({ importers } = await api('GET', '/v1/admin/importers'));
  } catch (error) {
    return showError(view.alerts, error);
  }
  const current = select.value;
  const keys = new Set(importers.map((i) => i.key));
  if (current) keys.add(current);
  const options = [...keys].map((k) => el('option', { value: k }, k));
  select.replaceChildren(el('option', { value: '' }, 'All importers'), ...options);
  select.value = current;
}

/** Shows the imports (of `filter`, if set); `announceCount` says how many in the live region. */
async function showImports(view, results, filter, announceCount = false) {
  const mine = ++importsRequest;
  document.title = `${filter ? `Imports of ${filter}` : 'Imports'} — Sluice`;
  results.replaceChildren(el('p', { class: 'muted' }, 'Loading…'));
  const query = new URLSearchParams(filter ? { importer: filter, limit: String(IMPORTS_LIMIT) } : { limit: String(IMPORTS_LIMIT) });
  let data;
  try {
    data = await api('GET', `/v1/admin/imports?${query}`);
  } catch (error) {
    if (mine === importsRequest) {
      results.replaceChildren();
      showError(view.alerts, error);
    }
    return;
  }
  if (mine !== importsRequest) return;
  view.alerts.replaceChildren();
  results.replaceChildren(importsChart(data.imports), importsTable(data.imports, filter));
  if (announceCount) announce(plural(data.imports.length, 'import'));
}

function importsTable(imports, filter) {
  const rows = imports.map((r) =>
    tr(
      [
        importLink(r.importId),
        r.importer,
        el('span', { class: `badge ${r.status}` }, r.status),
        when(r.createdAt),
        numCell(duration(r), ' s'),
        numCell(r.rows),
        numCell(r.invalidRows),
        r.file?.name ?? '—',
        pairs(r.user),
        pairs(r.attributes),
        deliveryText(r.delivery),
        dataText(r),
        topErrors(r.errors),
      ],
      { 'data-import-id': r.importId },
    ),
  );
  return table({
    id: 'imports-table',
    wide: true,
    rows,
    empty: 'No imports yet.',
    caption: `${filter ? `Imports of ${filter}` : 'Imports'}, newest first`,
    headers: ['Import', 'Importer', 'Status', 'Started', 'Duration', 'Rows', 'Invalid', 'File', 'User', 'Attributes', 'Delivery', 'Data', 'Errors'],
  });
}

// ---- Chart: imports and rows per day ----

const dayKey = (d) => `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
const dayLabel = (d) => d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' });

/** The last `count` local days, oldest first, each with zero imports and rows. */
function lastDays(count) {
  const today = new Date();
  today.setHours(0, 0, 0, 0);
  return Array.from({ length: count }, (_, i) => {
    const date = new Date(today);
    date.setDate(today.getDate() - (count - 1 - i));
    return { date, key: dayKey(date), imports: 0, rows: 0 };
  });
}

function importsChart(imports) {
  const days = lastDays(CHART_DAYS);
  const byKey = new Map(days.map((d) => [d.key, d]));
  for (const r of imports) {
    const day = byKey.get(dayKey(new Date(r.createdAt * 1000)));
    if (day) {
      day.imports += 1;
      day.rows += r.rows ?? 0;
    }
  }
  const count = days.reduce((n, d) => n + d.imports, 0);
  const rows = days.reduce((n, d) => n + d.rows, 0);
  let summary = `${plural(count, 'import')}, ${plural(rows, 'row')} in the last ${CHART_DAYS} days`;
  if (imports.length >= IMPORTS_LIMIT) summary += ` (of the ${num(IMPORTS_LIMIT)} newest imports)`;
  const swatch = (kind) => el('span', { class: `swatch ${kind}`, 'aria-hidden': 'true' });
  const figure = el(
    'figure',
    { class: 'chart' },
    chartSvg(days),
    el(
      'figcaption',
      {},
      el('span', { class: 'chart-summary' }, `${summary}.`),
      ' ',
      el('span', { class: 'legend' }, swatch('rows'), 'Bars: rows per day (left scale). ', swatch('imports'), 'Line: imports per day (right scale).'),
    ),
  );
  return el('div', { class: 'chart-block' }, figure, chartData(days));
}

/** The chart's values as a table, for keyboard and screen-reader users: the days with imports. */
function chartData(days) {
  const rows = days.filter((d) => d.imports > 0).map((d) => tr([el('th', { scope: 'row' }, dayLabel(d.date)), numCell(d.imports), numCell(d.rows)]));
  return el(
    'details',
    { class: 'chart-data' },
    el('summary', {}, 'Data table'),
    table({
      caption: 'Imports and rows per day',
      headers: ['Day', 'Imports', 'Rows'],
      rows,
      empty: `No imports in the last ${CHART_DAYS} days.`,
    }),
  );
}

function chartSvg(days) {
  const W = 720,
    H = 240,
    left = 56,
    right = 40,
    top = 14,
    bottom = 28;
  const plotW = W - left - right,
    plotH = H - top - bottom,
    slot = plotW / days.length,
    base = top + plotH;
  const maxRows = Math.max(1, ...days.map((d) => d.rows));
  const maxImports = Math.max(1, ...days.map((d) => d.imports));
  const mid = (i) => left + slot * i + slot / 2;
  const yImports = (n) => base - (n / maxImports) * plotH;
  const label = (x, y, anchor, value) => svg('text', { class: 'chart-label', x, y, 'text-anchor': anchor }, value);
  const titleId = uid('chart-title');
  return svg(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-labelledby': titleId, class: 'chart-svg' },
    svg('title', { id: titleId }, `Imports and rows per day over the last ${days.length} days`),
    svg('line', { class: 'chart-grid', x1: left, x2: W - right, y1: top, y2: top }),
    svg('line', { class: 'chart-axis', x1: left, x2: W - right, y1: base, y2: base }),
    label(left - 6, top + 4, 'end', num(maxRows)),
    label(left - 6, base, 'end', '0'),
    label(W - right + 6, top + 4, 'start', num(maxImports)),
    label(W - right + 6, base, 'start', '0'),
    days.map((d, i) => {
      const height = d.rows ? Math.max(1, (d.rows / maxRows) * plotH) : 0;
      return svg(
        'g',
        {},
        svg('title', {}, `${dayLabel(d.date)}: ${plural(d.imports, 'import')}, ${plural(d.rows, 'row')}`),
        svg('rect', { class: 'chart-hit', x: left + slot * i, y: top, width: slot, height: plotH }),
        height > 0 && svg('rect', { class: 'chart-bar', x: left + slot * (i + 0.2), y: base - height, width: slot * 0.6, height }),
        (days.length - 1 - i) % 5 === 0 && label(mid(i), H - 8, 'middle', dayLabel(d.date)),
      );
    }),
    svg('polyline', { class: 'chart-line', points: days.map((d, i) => `${mid(i)},${yImports(d.imports)}`).join(' ') }),
    days.map((d, i) => d.imports > 0 && svg('circle', { class: 'chart-dot', cx: mid(i), cy: yImports(d.imports), r: 3.5 })),
  );
}

// ---- One import ----

async function importView(id) {
  const view = startView(`Import ${id}`);
  const record = await load(view, () => api('GET', `/v1/admin/imports/${encodeURIComponent(id)}`));
  if (!record) return view.body.append(el('p', {}, el('a', { href: '#/imports' }, 'Back to imports')));
  view.body.append(summarySection(record), deliveriesSection(record), eventsSection(record));
  if (record.dataDeletedAt == null) view.body.append(dataSection(record));
}

function summarySection(r) {
  const seconds = duration(r);
  const dataState = r.dataDeletedAt == null ? 'kept' : `deleted on ${when(r.dataDeletedAt)}${r.deletedReason ? ` (${r.deletedReason})` : ''}`;
  const facts = el(
    'dl',
    { class: 'facts' },
    fact('Importer', el('a', { href: `#/imports?importer=${encodeURIComponent(r.importer)}` }, r.importer)),
    fact('Status', r.status),
    fact('Started', when(r.createdAt)),
    fact('Completed', when(r.completedAt)),
    fact('Duration', seconds == null ? '—' : `${num(seconds)} s`),
    fact('Batches', num(r.batches)),
    fact('Rows', num(r.rows)),
    fact('Invalid rows', num(r.invalidRows)),
    fact('Deliveries', deliveryText(r.delivery)),
    fact('Data', dataState, { id: 'data-state' }),
    aboutFacts(r),
  );
  return section('Summary', facts, isEmpty(r.errors) ? null : errorsTable(r));
}

/** The file, user and attributes, those present (they go when the data is deleted). */
function aboutFacts(r) {
  const file = r.file ?? {};
  return [
    file.name && fact('File', file.name),
    file.size != null && fact('File size', bytes(file.size)),
    file.type && fact('File type', file.type),
    !isEmpty(r.user) && fact('User', pairs(r.user)),
    !isEmpty(r.attributes) && fact('Attributes', pairs(r.attributes)),
  ].filter(Boolean);
}

/** Every `column:code` error with its count, most frequent first. */
function errorsTable(r) {
  const rows = errorEntries(r.errors).map(([key, n]) => {
    const at = key.lastIndexOf(':');
    const [column, code] = at < 0 ? [key, '—'] : [key.slice(0, at), key.slice(at + 1)];
    return tr([el('code', {}, column), el('code', {}, code), numCell(n)]);
  });
  return table({
    id: 'errors-table',
    caption: `Errors of ${r.importId} by column and code`,
    headers: ['Column', 'Code', 'Count'],
    rows,
    empty: 'No errors.',
  });
}

function deliveriesSection(r) {
  const messages = r.messages ?? [];
  const dead = messages.filter((m) => m.status === 'dead').length;
  const alerts = el('div', { class: 'alerts' });
  let retry = null;
  if (dead) {
    retry = el('button', { type: 'button', id: 'retry-dead' }, 'Retry dead deliveries');
    retry.addEventListener('click', () =>
      busy(retry, alerts, async () => {
        const { retried } = await api('POST', `/v1/admin/deliveries/${encodeURIComponent(r.importId)}/retry`);
        announce(`Retried ${plural(retried, 'dead delivery', 'dead deliveries')}.`);
        importView(r.importId);
      }),
    );
  }
  const rows = messages.map((m) =>
    tr([
      el('span', { class: 'mono' }, m.id),
      String(m.destination ?? '—'),
      m.kind,
      numCell(m.sequence),
      numCell(m.rowCount),
      el('span', { class: `badge ${m.status}` }, m.status),
      numCell(m.attempts),
      whenMs(m.lastAttemptAt),
      m.lastStatus ?? '—',
      m.lastError ?? '—',
      m.status === 'pending' ? whenMs(m.nextAttemptAt) : '—',
      whenMs(m.deliveredAt),
    ]),
  );
  return section(
    'Deliveries',
    dead ? el('div', { class: 'actions' }, retry, el('span', { class: 'hint' }, `${plural(dead, 'message')} dead.`)) : null,
    alerts,
    table({
      id: 'deliveries-table',
      wide: true,
      caption: `Deliveries of ${r.importId}`,
      rows,
      empty: 'No deliveries.',
      headers: [
        'Message',
        'Destination',
        'Kind',
        'Sequence',
        'Rows',
        'Status',
        'Attempts',
        'Last attempt',
        'Last status',
        'Last error',
        'Next attempt',
        'Delivered',
      ],
    }),
  );
}

function eventsSection(r) {
  const rows = (r.events ?? []).map((e) => tr([when(e.at), e.kind, el('code', { class: 'detail' }, compact(e.detail))]));
  return section(
    'Log',
    table({
      id: 'events-table',
      wide: true,
      caption: `Log of ${r.importId}`,
      headers: ['Time', 'Kind', 'Detail'],
      rows,
      empty: 'Nothing logged.',
    }),
  );
}

function dataSection(r) {
  const id = r.importId;
  const alerts = el('div', { class: 'alerts' });
  const neutralize = el('input', { type: 'checkbox', id: 'neutralize', checked: true, 'aria-describedby': 'neutralize-hint' });
  const csv = el('button', { type: 'button', id: 'download-csv', 'aria-describedby': 'download-note' }, 'Download CSV');
  const json = el('button', { type: 'button', id: 'download-json', 'aria-describedby': 'download-note' }, 'Download JSON');
  csv.addEventListener('click', () => busy(csv, alerts, () => download(id, 'csv', neutralize.checked)));
  json.addEventListener('click', () => busy(json, alerts, () => download(id, 'json', neutralize.checked)));
  const remove = el('button', { type: 'button', id: 'delete-import', class: 'danger push' }, "Delete this import's data…");
  remove.addEventListener('click', () =>
    confirmDialog({
      title: `Delete the data of ${id}?`,
      message: `This deletes the rows, file name and user attributes of ${id} for good. Its record and log stay.`,
      confirmLabel: 'Delete data',
      opener: remove,
      action: () => api('DELETE', `/v1/admin/imports/${encodeURIComponent(id)}`),
      done: (result) => {
        announce(result.deleted === false ? `The data of ${id} was already deleted.` : `Deleted the data of ${id}.`);
        importView(id);
      },
    }),
  );
  return section(
    'Data',
    el('div', { class: 'check' }, neutralize, el('label', { for: 'neutralize' }, 'Neutralise spreadsheet formulas')),
    el('p', { id: 'neutralize-hint', class: 'hint' }, "Cells starting with = + - @, tab or carriage return get a leading ' so spreadsheets show them as text."),
    el('div', { class: 'actions' }, csv, json, remove),
    el(
      'p',
      { id: 'download-note', class: 'hint' },
      'Downloads are assembled in the browser; for very large imports use ',
      el('code', {}, 'sluice export'),
      ' on the server.',
    ),
    alerts,
    rowsPanel(id),
  );
}

async function download(id, format, neutralize) {
  const query = new URLSearchParams({ format, neutralize: String(neutralize) });
  const response = await request('GET', `/v1/admin/imports/${encodeURIComponent(id)}/download?${query}`);
  const url = URL.createObjectURL(await response.blob());
  const name = `${id}.${format}`;
  const link = el('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
  announce(`Downloaded ${name}.`);
}

/** The rows, a page at a time, fetched (and decrypted by the server) only when shown. */
function rowsPanel(id) {
  const alerts = el('div', { class: 'alerts' });
  const range = el('p', { class: 'range' }, 'Loading rows…');
  const prev = el('button', { type: 'button', disabled: true }, 'Previous');
  const next = el('button', { type: 'button', disabled: true }, 'Next');
  const holder = el('div');
  let offset = 0;
  let end = 0;
  let total = 0;
  const settle = () => {
    prev.disabled = offset === 0;
    next.disabled = end >= total;
  };
  async function show(at, from) {
    prev.disabled = next.disabled = true;
    alerts.replaceChildren();
    let page;
    try {
      page = await api('GET', `/v1/admin/imports/${encodeURIComponent(id)}/rows?offset=${at}&limit=${PAGE_ROWS}`);
    } catch (error) {
      range.textContent = '';
      showError(alerts, error);
      return settle();
    }
    offset = page.offset ?? at;
    end = offset + page.rows.length;
    total = page.total ?? end;
    const wrap = rowsTable(id, page);
    holder.replaceChildren(wrap);
    range.textContent = page.rows.length ? `Rows ${num(offset + 1)}–${num(end)} of ${num(total)}` : 'No rows.';
    settle();
    if (!from) return;
    announce(range.textContent);
    (from.disabled ? wrap : from).focus();
  }
  prev.addEventListener('click', () => show(Math.max(0, offset - PAGE_ROWS), prev));
  next.addEventListener('click', () => show(end, next));
  show(0);
  return el('div', { class: 'rows' }, el('div', { class: 'pager' }, prev, next, range), alerts, holder);
}

function rowsTable(id, page) {
  const headers = [
    'Row',
    'Invalid',
    ...page.columns.map((c) =>
      c.kind === 'kept'
        ? el('th', { scope: 'col', class: 'kept', title: 'Kept from the file; not in the schema' }, c.key, hiddenText(' (kept column)'))
        : c.key,
    ),
  ];
  // A null cell says "empty" to screen readers, so it differs from an empty string.
  const cell = (v) => (v == null ? el('td', { class: 'null' }, hiddenText('empty')) : el('td', {}, text(v)));
  const rows = page.rows.map((row) =>
    el(
      'tr',
      { class: row.invalid ? 'invalid' : null },
      el('th', { scope: 'row', class: 'num' }, num(row.row)),
      el('td', {}, row.invalid ? 'Invalid' : ''),
      page.columns.map((c) => cell((c.kind === 'kept' ? row.kept : row.cells)?.[c.key])),
    ),
  );
  return table({ id: 'rows-table', wide: true, caption: `Rows of ${id}`, headers, rows, empty: 'No rows.' });
}

// ---- Audit log ----

async function auditView() {
  const view = startView('Audit log');
  const data = await load(view, () => api('GET', `/v1/admin/audit?limit=${AUDIT_LIMIT}`));
  if (!data) return;
  // At most what was asked, should the server send more.
  const entries = data.entries.slice(0, AUDIT_LIMIT);
  const shown = entries.length < AUDIT_LIMIT ? plural(entries.length, 'entry', 'entries') : `the last ${num(AUDIT_LIMIT)} entries`;
  const rows = entries.map(({ at, action, importId, detail, ...rest }) =>
    tr([
      when(at),
      el('code', {}, action),
      importId ? importLink(importId) : '—',
      el('code', { class: 'detail' }, compact(isEmpty(rest) ? detail : { ...rest, detail })),
    ]),
  );
  view.body.append(
    table({
      id: 'audit-table',
      wide: true,
      caption: `Audit log, newest first (${shown})`,
      headers: ['Time', 'Action', 'Import', 'Detail'],
      rows,
      empty: 'Nothing recorded yet.',
    }),
  );
}

// ---- Start ----

document.getElementById('sign-out').addEventListener('click', () => {
  history.replaceState(null, '', location.pathname + location.search);
  signOut();
  announce('Signed out.');
});
document.querySelector('.skip-link')?.addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});
window.addEventListener('hashchange', () => {
  if (getToken() && (location.hash === '' || location.hash.startsWith('#/'))) route();
});
route();

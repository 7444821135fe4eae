// The Airlock reviewer page: plain DOM, no framework. Views are chosen by the URL hash:
// #/queue, #/quarantined, #/releases, #/audit, #/release/<release id>.
import { highlightLines, languageOf, renderLine } from './highlight.js';

const severities = ['critical', 'high', 'medium', 'low'];
const main = document.getElementById('main');
const statusBox = document.getElementById('status');
let session = null;
let timers = [];
let keyHandler = null;

/** Creates an element: h('a', { href: '#' }, 'text', child). Text is always set as text, never as HTML. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

let sayTimer = null;
function say(message, kind = 'info') {
  statusBox.textContent = message;
  statusBox.dataset.kind = kind;
  clearTimeout(sayTimer);
  sayTimer = setTimeout(() => (statusBox.textContent = ''), 8000);
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, { method = 'GET', body } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && session && session.csrfToken) headers['x-csrf-token'] = session.csrfToken;
  const res = await fetch(`api/v1/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (res.status === 401 && path !== 'session') {
    session = null;
    showSignIn('Your session ended; sign in again.');
  }
  if (!res.ok) throw new ApiError(res.status, (json && json.error) || `${res.status} ${res.statusText}`);
  return json;
}

const releaseHref = (id) => `#/release/${encodeURIComponent(id)}`;

function fmtTime(iso) {
  if (!iso) return '—';
  return iso.replace('T', ' ').slice(0, 16) + ' UTC';
}

function fmtDuration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms <= 0) return 'now';
  const m = Math.ceil(ms / 60000);
  const d = Math.floor(m / 1440);
  const hr = Math.floor((m % 1440) / 60);
  const min = m % 60;
  if (d > 0) return hr ? `${d}d ${hr}h` : `${d}d`;
  if (hr > 0) return min ? `${hr}h ${min}m` : `${hr}h`;
  return `${min}m`;
}

/** A policy duration: `0` means none, not "now". */
function fmtSetting(ms) {
  return ms === 0 ? '0' : fmtDuration(ms);
}

function stateBadge(state) {
  return h('span', { class: `badge state-${state}` }, state);
}

function severityBadges(counts) {
  const parts = severities.filter((s) => counts[s] > 0).map((s) => h('span', { class: `badge sev-${s}` }, `${counts[s]} ${s}`));
  return parts.length ? parts : [h('span', { class: 'muted' }, 'none')];
}

/** A countdown that updates itself every second while the view is shown. */
function countdown(untilIso) {
  const el = h('span', { class: 'countdown' });
  const tick = () => {
    const left = untilIso ? new Date(untilIso).getTime() - Date.now() : null;
    el.textContent = left === null ? '—' : left <= 0 ? 'ended' : `${fmtDuration(left)} left`;
  };
  tick();
  timers.push(setInterval(tick, 1000));
  return el;
}

/** Counts views shown; a view whose data arrives after another view replaced it draws nothing. */
let viewShown = 0;

/** Clears the page for a view; returns its number, which `isShown` tells is still the current one. */
function setView(name, title) {
  viewShown++;
  for (const t of timers) clearInterval(t);
  timers = [];
  keyHandler = null;
  document.title = `${title} · Airlock`;
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.view === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  main.replaceChildren();
  return viewShown;
}

const isShown = (view) => view === viewShown;

// ---------------------------------------------------------------- sign-in

function showSignIn(message) {
  setView('sign-in', 'Sign in');
  document.getElementById('nav').hidden = true;
  document.getElementById('sign-out').hidden = true;
  document.getElementById('keys').hidden = true;
  document.getElementById('who').textContent = '';
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'current-password', required: true, spellcheck: 'false' });
  const error = h('p', { class: 'error', role: 'alert' }, message || '');
  const form = h(
    'form',
    {
      class: 'sign-in',
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          session = await api('session', { method: 'POST', body: { token: input.value } });
          input.value = '';
          await afterSignIn();
        } catch (err) {
          error.textContent = err.message;
          input.focus();
        }
      },
    },
    h('h1', {}, 'Sign in to Airlock'),
    h('p', { class: 'muted' }, 'Use your API token (from ', h('code', {}, 'airlock token create'), ' or your administrator).'),
    h('label', { for: 'token' }, 'API token'),
    input,
    h('button', { type: 'submit' }, 'Sign in'),
    error,
  );
  main.append(form);
  input.focus();
}

async function afterSignIn() {
  document.getElementById('nav').hidden = false;
  document.getElementById('sign-out').hidden = false;
  document.getElementById('keys').hidden = false;
  document.getElementById('who').textContent = `${session.name} (${session.role})`;
  if (!location.hash || location.hash === '#/' || location.hash === '#') location.hash = '#/queue';
  else route();
}

document.getElementById('sign-out').addEventListener('click', async () => {
  try {
    await api('session', { method: 'DELETE' });
  } catch {
    // already signed out
  }
  session = null;
  say('Signed out.');
  showSignIn();
});

// ---------------------------------------------------------------- release lists

const listViews = {
  queue: { title: 'Review queue', state: 'awaiting-review', empty: 'Nothing is waiting for review.' },
  quarantined: { title: 'Quarantined', state: 'quarantined', empty: 'No release is in its cooldown.' },
  releases: { title: 'All releases', state: '', order: 'version', empty: 'Airlock has not seen any release yet.' },
};

async function showList(name, search = '') {
  const view = listViews[name];
  const shown = setView(name, view.title);
  const searchInput = h('input', { id: 'search', type: 'search', value: search, placeholder: 'package name' });
  const form = h(
    'form',
    { class: 'search', role: 'search', onsubmit: (e) => (e.preventDefault(), showList(name, searchInput.value.trim())) },
    h('label', { for: 'search' }, 'Filter'),
    searchInput,
    h('button', { type: 'submit' }, 'Filter'),
  );
  main.append(h('h1', {}, view.title), form);
  const params = new URLSearchParams({ limit: '500' });
  if (view.state) params.set('state', view.state);
  if (view.order) params.set('order', view.order);
  if (search) params.set('q', search);
  let data;
  try {
    data = await api(`releases?${params}`);
  } catch (err) {
    if (err.status !== 401 && isShown(shown)) main.append(h('p', { class: 'error', role: 'alert' }, err.message));
    return;
  }
  // Another view was opened while the list loaded: its page is not this list's to draw on.
  if (!isShown(shown)) return;
  if (data.releases.length === 0) {
    main.append(h('p', { class: 'muted' }, view.empty));
    return;
  }
  // Releases waiting on the same findings (same package, baseline, kinds and files) can be decided together.
  const groups = new Map();
  for (const r of data.releases) if (r.sameFindings) groups.set(r.sameFindings, [...(groups.get(r.sameFindings) || []), r]);
  const batch = session.role !== 'reader' && name !== 'releases';
  const boxes = [];
  const rows = data.releases.map((r) =>
    h(
      'tr',
      { 'data-id': r.id },
      batch ? h('td', {}, (() => {
        const box = h('input', { type: 'checkbox', name: 'selected', value: r.id, 'data-state': r.state, 'data-group': r.sameFindings || '', 'aria-label': `Select ${r.id}` });
        boxes.push(box);
        return box;
      })()) : null,
      h('td', {}, h('a', { href: releaseHref(r.id) }, r.id)),
      h('td', {}, stateBadge(r.state)),
      h(
        'td',
        {},
        severityBadges(r.findingCounts),
        r.findingKinds.length ? h('div', { class: 'kinds' }, r.findingKinds.map((k) => h('code', { class: 'kind' }, k))) : '',
        r.sameFindings && groups.get(r.sameFindings).length > 1
          ? h(
              'button',
              {
                type: 'button',
                class: 'link group',
                title: 'Select every release here waiting on the same findings',
                onclick: () => {
                  for (const b of boxes) b.checked = b.dataset.group === r.sameFindings;
                  updateBatch();
                },
              },
              `same findings as ${groups.get(r.sameFindings).length - 1} other${groups.get(r.sameFindings).length === 2 ? '' : 's'}`,
            )
          : '',
      ),
      h('td', {}, r.baselineVersion || '—'),
      h('td', {}, h('time', { datetime: r.publishedAt || '' }, fmtTime(r.publishedAt))),
      h('td', {}, r.state === 'quarantined' ? [h('time', { datetime: r.until || '' }, fmtTime(r.until)), ' ', countdown(r.until)] : r.decision ? `${r.decision.action} by ${r.decision.actor}` : '—'),
    ),
  );
  const table = h(
    'table',
    { class: 'releases', 'aria-label': view.title },
    h('thead', {}, h('tr', {}, [...(batch ? ['Select'] : []), 'Release', 'State', 'Findings', 'Baseline', 'Published', name === 'quarantined' ? 'Hold ends' : 'Hold / decision'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows),
  );
  main.append(table, h('p', { class: 'muted' }, `${data.total} release${data.total === 1 ? '' : 's'}`));
  const batchForm = batch ? batchDecisionForm(() => boxes.filter((b) => b.checked).map((b) => ({ id: b.value, state: b.dataset.state })), () => showList(name, search)) : null;
  function updateBatch() {
    if (batchForm) batchForm.update();
  }
  for (const b of boxes) b.addEventListener('change', updateBatch);
  if (batchForm) main.append(batchForm.form);

  let selected = -1;
  const select = (i) => {
    if (rows.length === 0) return;
    selected = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach((row, idx) => row.classList.toggle('selected', idx === selected));
    rows[selected].querySelector('a').focus();
  };
  keyHandler = (e) => {
    if (e.key === 'j') return select(selected + 1), true;
    if (e.key === 'k') return select(selected - 1), true;
    if (e.key === '/') return searchInput.focus(), true;
    const row = rows[selected];
    if (!row) return false;
    if (e.key === 'a' || e.key === 'r') {
      location.hash = `${releaseHref(row.dataset.id)}?decide=${e.key === 'a' ? 'approve' : 'reject'}`;
      return true;
    }
    if (e.key === 'o') return (location.hash = releaseHref(row.dataset.id)), true;
    return false;
  };
}

// ---------------------------------------------------------------- one release

function dl(pairs) {
  return h('dl', { class: 'facts' }, pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function decisionForm(release, preset) {
  const actions = [];
  if (['quarantined', 'awaiting-review', 'rejected'].includes(release.state)) actions.push('approve');
  if (['quarantined', 'awaiting-review'].includes(release.state)) actions.push('reject');
  if (['approved', 'released'].includes(release.state)) actions.push('revoke');
  if (session.role === 'reader' || actions.length === 0) return null;
  const early = release.state === 'quarantined';
  const choice = preset && actions.includes(preset) ? preset : actions[0];
  const reason = h('textarea', { id: 'reason', name: 'reason', 'aria-required': 'true', rows: 3, 'aria-describedby': 'reason-help' });
  const radios = actions.map((a) =>
    h('label', { class: 'choice' }, h('input', { type: 'radio', name: 'action', value: a, checked: a === choice }), ' ', a === 'approve' && early ? 'approve early' : a),
  );
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h(
    'form',
    {
      class: 'decision',
      'aria-label': 'Decision',
      onsubmit: async (e) => {
        e.preventDefault();
        const action = form.querySelector('input[name=action]:checked').value;
        if (!reason.value.trim()) {
          error.textContent = 'A reason is required.';
          reason.focus();
          return;
        }
        try {
          const result = await api(`releases/${encodeURIComponent(release.id)}/${action}`, {
            method: 'POST',
            body: { reason: reason.value, expectedState: release.state },
          });
          say(`${release.id}: ${result.previousState} → ${result.release.state}${result.early ? ' (early approval)' : ''}`);
          await showRelease(release.id);
        } catch (err) {
          error.textContent = err.message;
        }
      },
    },
    h('h2', {}, 'Decision'),
    h('fieldset', {}, h('legend', {}, 'Action'), radios),
    h('label', { for: 'reason' }, 'Reason'),
    reason,
    h('p', { id: 'reason-help', class: 'muted' }, early ? 'The cooldown has not ended: approving now is an early approval. ' : '', 'The reason is recorded in the audit log and shown to clients.'),
    h('button', { type: 'submit' }, 'Record decision'),
    error,
  );
  return form;
}

/**
 * One reason, one action, several releases: POST /api/v1/decisions decides (and audits) each on
 * its own. `selected()` returns [{ id, state }]; `done()` runs after the decisions.
 */
/** Numbers batch forms, so each one's label names its own field even while two are in the page (a list still rendering beside a release). */
let batchForms = 0;

function batchDecisionForm(selected, done, { title = 'Decide the selected releases together' } = {}) {
  const reasonId = `batch-reason-${++batchForms}`;
  const reason = h('textarea', { id: reasonId, name: 'batch-reason', rows: 2, 'aria-required': 'true' });
  const count = h('span', { class: 'muted' });
  const error = h('p', { class: 'error', role: 'alert' });
  const results = h('ul', { class: 'batch-results', 'aria-label': 'Batch results' });
  const button = h('button', { type: 'submit' }, 'Decide selected');
  const form = h(
    'form',
    {
      class: 'decision batch',
      'aria-label': title,
      onsubmit: async (e) => {
        e.preventDefault();
        const list = selected();
        const action = form.querySelector('input[name=batch-action]:checked').value;
        if (list.length === 0) return void (error.textContent = 'Select at least one release.');
        if (!reason.value.trim()) {
          error.textContent = 'A reason is required.';
          reason.focus();
          return;
        }
        error.textContent = '';
        try {
          const out = await api('decisions', {
            method: 'POST',
            body: { action, reason: reason.value, releases: list.map((x) => x.id), expectedStates: Object.fromEntries(list.map((x) => [x.id, x.state])) },
          });
          say(`${out.decided} of ${list.length} release${list.length === 1 ? '' : 's'}: ${action}`);
          const failed = out.results.filter((x) => !x.ok);
          if (failed.length === 0) return void (await done());
          results.replaceChildren(...out.results.map((x) => h('li', {}, x.ok ? `${x.release}: ${x.previousState} → ${x.state}` : `${x.release}: ${x.error}`)));
        } catch (err) {
          error.textContent = err.message;
        }
      },
    },
    h('h2', {}, title),
    h('fieldset', {}, h('legend', {}, 'Action'), ['approve', 'reject'].map((a, i) => h('label', { class: 'choice' }, h('input', { type: 'radio', name: 'batch-action', value: a, checked: i === 0 }), ' ', a))),
    h('label', { for: reasonId }, 'Reason (recorded for each release)'),
    reason,
    h('p', {}, button, ' ', count),
    error,
    results,
  );
  const update = () => {
    const n = selected().length;
    count.textContent = `${n} selected`;
    button.textContent = n === 1 ? 'Decide 1 release' : `Decide ${n} releases`;
  };
  update();
  return { form, update };
}

const fmtBytes = (n) => (n === null || n === undefined ? '—' : n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`);

/** The shape of the change before its detail: files, dependencies, scripts. */
function diffSummaryView(release) {
  const d = release.diffSummary;
  const section = h('section', { class: 'diff-summary', 'aria-label': 'Diff summary' }, h('h2', {}, release.baselineVersion ? `What changed since ${release.baselineVersion}` : 'What is in this release'));
  if (!d) {
    section.append(h('p', { class: 'muted' }, release.evidenceError ? `The artifacts could not be read: ${release.evidenceError}` : 'No artifacts to compare.'));
    return section;
  }
  const fileList = (label, list, more, cls) => {
    if (list.length === 0) return '';
    const items = list.map((f) =>
      h('li', { class: cls }, h('code', {}, f.path), ' ', h('span', { class: 'muted' }, f.before !== null && f.after !== null ? `${fmtBytes(f.before)} → ${fmtBytes(f.after)}` : fmtBytes(f.after ?? f.before))),
    );
    return h('details', { open: list.length <= 10 }, h('summary', {}, `${label} (${list.length + more})`), h('ul', { class: 'files' }, items, more ? h('li', { class: 'muted' }, `… and ${more} more`) : ''));
  };
  for (const a of d.artifacts) {
    section.append(
      h(
        'div',
        { class: 'artifact-diff' },
        h('p', {}, h('strong', {}, a.candidate), a.baseline ? ` against ${a.baseline}` : ' (no baseline artifact)', ': ',
          `${a.added.length + a.more.added} added, ${a.removed.length + a.more.removed} removed, ${a.changed.length + a.more.changed} changed, ${a.unchanged} unchanged; ${fmtBytes(a.bytes.before)} → ${fmtBytes(a.bytes.after)}`),
        fileList('Added', a.added, a.more.added, 'add'),
        fileList('Removed', a.removed, a.more.removed, 'del'),
        fileList('Changed', a.changed, a.more.changed, 'chg'),
      ),
    );
  }
  const deps = d.dependencies;
  const depItems = [
    ...deps.added.map((x) => h('li', { class: 'add' }, '+ ', h('code', {}, x.name), ` ${x.spec}`)),
    ...deps.removed.map((x) => h('li', { class: 'del' }, '− ', h('code', {}, x.name), ` ${x.spec}`)),
    ...deps.changed.map((x) => h('li', { class: 'chg' }, '~ ', h('code', {}, x.name), ` ${x.before} → ${x.after}`)),
  ];
  section.append(h('h3', {}, 'Dependencies'), depItems.length ? h('ul', { class: 'deps', 'aria-label': 'Dependency changes' }, depItems) : h('p', { class: 'muted' }, 'No dependency added or removed.'));
  const scriptsLabel = release.ecosystem === 'npm' ? 'Scripts' : 'Entry points';
  section.append(h('h3', {}, scriptsLabel));
  if (d.scripts.length === 0) section.append(h('p', { class: 'muted' }, `No ${scriptsLabel.toLowerCase()} changed.`));
  else
    section.append(
      h(
        'table',
        { class: 'scripts', 'aria-label': `${scriptsLabel} before and after` },
        h('thead', {}, h('tr', {}, ['Name', 'Before', 'After'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, d.scripts.map((x) => h('tr', {}, h('td', {}, h('code', {}, x.name)), h('td', {}, x.before === null ? h('span', { class: 'muted' }, 'none') : h('code', {}, x.before)), h('td', {}, x.after === null ? h('span', { class: 'muted' }, 'none') : h('code', {}, x.after))))),
      ),
    );
  if (d.problems.length) section.append(h('ul', { class: 'error' }, d.problems.map((p) => h('li', {}, p))));
  return section;
}

/** A window of lines (from the server) with the match marked; long lines come cut, with "…" marks. */
function windowTable(finding, version, win) {
  const language = languageOf(finding.path);
  const first = win.lines[0] ? win.lines[0].n : 1;
  const last = win.lines.length ? win.lines[win.lines.length - 1].n : 1;
  const code = h('table', { class: 'code', 'aria-label': `${finding.path} lines ${first} to ${last}` }, h('colgroup', {}, h('col', { class: 'ln' }), h('col')));
  for (const line of win.lines) {
    const cell = h('td', { class: 'src' });
    if (line.cutBefore) cell.append(h('span', { class: 'cut', title: `${line.cutBefore} characters before` }, '… '));
    const hit = line.n === win.line;
    if (hit && win.match) {
      renderLine(cell, highlightLines(line.text.slice(0, win.match.from), language)[0] || []);
      const mark = h('mark', {});
      renderLine(mark, highlightLines(line.text.slice(win.match.from, win.match.to), language)[0] || []);
      cell.append(mark);
      renderLine(cell, highlightLines(line.text.slice(win.match.to), language)[0] || []);
    } else renderLine(cell, highlightLines(line.text, language)[0] || []);
    if (line.cutAfter) cell.append(h('span', { class: 'cut', title: `${line.cutAfter} characters after` }, ' …'));
    code.append(h('tr', { class: hit ? 'hit' : '' }, h('td', { class: 'ln' }, String(line.n)), cell));
  }
  const label = win.line ? `${finding.path}:${win.line} in ${version}` : `${finding.path} in ${version} (start of the file)`;
  return [h('h4', {}, label), h('div', { class: 'scroll window' }, code)];
}

/** The window around a finding, sent with the page; "show more", the whole file and the diff on request. */
function renderExcerpt(release, finding, index, box) {
  const ex = finding.excerpt;
  const windowBox = h('div', { class: 'window-box' });
  const diffBox = h('div', { class: 'diff-box' });
  box.replaceChildren(windowBox);
  if (!ex) {
    windowBox.append(h('p', { class: 'muted' }, release.evidenceError ? `The file could not be shown: ${release.evidenceError}` : `${finding.path} is not in ${release.id}'s artifacts.`));
    if (finding.evidence) windowBox.append(h('pre', { class: 'snippet' }, finding.evidence));
  }
  else if (ex.binary) windowBox.append(h('p', { class: 'muted' }, `${finding.path} is binary (${fmtBytes(ex.size)}).`));
  else if (ex.unreadable || !ex.window) windowBox.append(h('p', { class: 'muted' }, `${finding.path} is too large to show (${fmtBytes(ex.size)}).`));
  else windowBox.append(...windowTable(finding, release.version, ex.window));
  const actions = h('p', { class: 'evidence-actions' });
  let level = 0;
  const sizes = [
    { lines: 20, chars: 4000 },
    { lines: 100, chars: 40000 },
  ];
  if (ex && ex.window) {
    const more = h('button', { type: 'button', class: 'link' }, 'Show more');
    more.addEventListener('click', async () => {
      const size = sizes[level];
      try {
        const data = await api(`releases/${encodeURIComponent(release.id)}/excerpt?finding=${index}&lines=${size.lines}&chars=${size.chars}`);
        if (data.window) windowBox.replaceChildren(...windowTable(finding, release.version, data.window));
        level++;
        if (level >= sizes.length) more.remove();
      } catch (err) {
        windowBox.append(h('p', { class: 'error' }, err.message));
      }
    });
    actions.append(more, ' · ');
  }
  if (ex && !ex.binary) actions.append(h('a', { href: `api/v1/releases/${encodeURIComponent(release.id)}/raw?path=${encodeURIComponent(finding.path)}`, target: '_blank', rel: 'noopener' }, 'Whole file'), ' · ');
  const diffButton = h('button', { type: 'button', class: 'link' }, 'Changes against the baseline');
  diffButton.addEventListener('click', () => {
    diffButton.remove();
    void loadDiff(release, finding, diffBox);
  });
  actions.append(diffButton);
  box.append(actions, diffBox);
}

/** A long line in the side-by-side diff is cut around where the two sides first differ. */
function clipPair(left, right, width = 400) {
  if ((left || '').length <= width && (right || '').length <= width) return { left, right, from: 0 };
  let i = 0;
  const a = left || '';
  const b = right || '';
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - width / 4);
  return { left: a.slice(from, from + width), right: b.slice(from, from + width), from };
}

/** The side-by-side diff of the finding's file against the baseline. */
async function loadDiff(release, finding, box) {
  box.replaceChildren(h('p', { class: 'muted' }, 'Loading the diff…'));
  let data;
  try {
    data = await api(`releases/${encodeURIComponent(release.id)}/file?path=${encodeURIComponent(finding.path)}`);
  } catch (err) {
    box.replaceChildren(h('p', { class: 'error' }, `The file could not be shown: ${err.message}`));
    return;
  }
  box.replaceChildren();
  const language = languageOf(finding.path);
  const lines = (side) => (side && side.text !== null ? side.text.replace(/\n$/, '').split('\n').map((l) => l.replace(/\r$/, '')) : null);
  const right = lines(data.candidate);
  const left = lines(data.baseline);
  if (!data.candidate) box.append(h('p', { class: 'muted' }, `${finding.path} is not in ${release.id}'s artifacts.`));
  else if (data.candidate.binary) box.append(h('p', { class: 'muted' }, `${finding.path} is binary (${data.candidate.size} bytes).`));
  if (data.candidate && data.candidate.truncated) box.append(h('p', { class: 'muted' }, 'Only the first 1 MiB is shown.'));
  const paint = (cell, text, cut) => {
    if (cut) cell.append(h('span', { class: 'cut' }, '… '));
    renderLine(cell, highlightLines(text, language)[0] || []);
  };

  if (data.rows && (left || right)) {
    const baselineLabel = data.baselineVersion ? `${data.baselineVersion}${data.baseline ? '' : ' (file absent)'}` : 'no baseline';
    const table = h(
      'table',
      { class: 'diff', 'aria-label': `Side-by-side diff of ${finding.path}: ${baselineLabel} against ${release.version}` },
      h('colgroup', {}, h('col', { class: 'ln' }), h('col'), h('col', { class: 'ln' }), h('col')),
      h('thead', {}, h('tr', {}, h('th', { colspan: 2, scope: 'col' }, `Baseline ${baselineLabel}`), h('th', { colspan: 2, scope: 'col' }, `Candidate ${release.version}`))),
    );
    const body = h('tbody');
    // Show changed rows with three rows of context; fold long unchanged stretches.
    const keep = data.rows.map(() => false);
    data.rows.forEach((row, i) => {
      if (row.kind !== 'same' || row.right === finding.line) for (let j = Math.max(0, i - 3); j <= Math.min(data.rows.length - 1, i + 3); j++) keep[j] = true;
    });
    let folded = 0;
    const flushFold = () => {
      if (folded > 0) body.append(h('tr', { class: 'fold' }, h('td', { colspan: 4 }, `… ${folded} unchanged line${folded === 1 ? '' : 's'} …`)));
      folded = 0;
    };
    data.rows.forEach((row, i) => {
      if (!keep[i]) return void folded++;
      flushFold();
      const l = h('td', { class: `src ${row.left === null ? 'empty' : row.kind === 'same' ? '' : 'del'}` });
      const r = h('td', { class: `src right ${row.right === null ? 'empty' : row.kind === 'same' ? '' : 'add'}` });
      const pair = clipPair(row.left && left ? left[row.left - 1] : null, row.right && right ? right[row.right - 1] : null);
      if (row.left && left) paint(l, pair.left, pair.from > 0);
      if (row.right && right) paint(r, pair.right, pair.from > 0);
      body.append(
        h('tr', { class: `${row.kind}${row.right === finding.line ? ' hit' : ''}` }, h('td', { class: 'ln' }, row.left ? String(row.left) : ''), l, h('td', { class: 'ln' }, row.right ? String(row.right) : ''), r),
      );
    });
    flushFold();
    table.append(body);
    box.append(h('h4', {}, 'Changes against the baseline'), h('div', { class: 'scroll' }, table));
  }
  if (data.baselineError) box.append(h('p', { class: 'error' }, `Baseline not readable: ${data.baselineError}`));
}

async function showRelease(id, preset) {
  const shown = setView('release', id);
  let r;
  try {
    r = await api(`releases/${encodeURIComponent(id)}`);
  } catch (err) {
    if (err.status !== 401 && isShown(shown)) main.append(h('h1', {}, id), h('p', { class: 'error', role: 'alert' }, err.message));
    return;
  }
  if (!isShown(shown)) return;
  const p = r.policy;
  main.append(
    h('p', {}, h('a', { href: '#/queue' }, '← Review queue')),
    h('h1', {}, r.id, ' ', stateBadge(r.state)),
    h('p', { class: 'reason' }, r.reason),
    dl([
      ['Package', `${r.ecosystem}:${r.name}`],
      ['Version', r.version],
      ['Baseline', r.baselineVersion || 'none (first release or not analyzed)'],
      ['Published upstream', h('time', { datetime: r.publishedAt || '' }, r.publishedAt ? fmtTime(r.publishedAt) : 'unknown: the cooldown counts from first sight')],
      ['First seen', h('time', { datetime: r.firstSeenAt }, fmtTime(r.firstSeenAt))],
      ['Cooldown ends', r.until ? [h('time', { datetime: r.until }, fmtTime(r.until)), ' ', r.state === 'quarantined' ? countdown(r.until) : ''] : '—'],
      ['Analysis', `${r.analysis}${r.analyzedAt ? ` at ${fmtTime(r.analyzedAt)}` : ''}`],
      ['Decision', r.decision ? `${r.decision.action} by ${r.decision.actor} (${r.decision.role}) at ${fmtTime(r.decision.decidedAt)}: ${r.decision.reason}` : 'none'],
    ]),
  );
  const form = decisionForm(r, preset);
  if (form) main.append(form);

  main.append(
    h('h2', {}, 'Effective policy'),
    h(
      'table',
      { class: 'policy', 'aria-label': 'Effective policy' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Setting'), h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col' }, 'From'))),
      h(
        'tbody',
        {},
        [
          ['cooldown', fmtSetting(p.cooldownMs), p.sources.cooldownMs],
          ['review threshold', p.reviewThreshold, p.sources.reviewThreshold],
          ['medium hold', fmtSetting(p.mediumHoldMs), p.sources.mediumHoldMs],
          ['analysis horizon', fmtSetting(p.analysisHorizonMs), p.sources.analysisHorizonMs],
        ].map(([a, b, c]) => h('tr', {}, h('td', {}, a), h('td', {}, b), h('td', {}, h('code', {}, c)))),
      ),
    ),
    p.blockedBy ? h('p', { class: 'error' }, `Blocked by policy entry ${p.blockedBy}`) : '',
    p.internalBy ? h('p', { class: 'error' }, `Internal name (policy entry ${p.internalBy})`) : '',
  );

  if (r.sharesFindingsWith && r.sharesFindingsWith.length && session.role !== 'reader') {
    const others = r.sharesFindingsWith;
    const group = h(
      'section',
      { class: 'same-findings', 'aria-label': 'Waiting on the same findings' },
      h('p', {}, `${others.length} other release${others.length === 1 ? ' waits' : 's wait'} on the same findings (same baseline, same kinds in the same files): `, others.flatMap((id, i) => [i ? ', ' : '', h('a', { href: releaseHref(id) }, id)])),
    );
    const all = [{ id: r.id, state: r.state }, ...others.map((id) => ({ id }))];
    group.append(batchDecisionForm(() => all, () => showRelease(r.id), { title: `Decide all ${all.length} together` }).form);
    main.append(group);
  }

  main.append(diffSummaryView(r));

  main.append(h('h2', {}, `Findings (${r.findings.length})`));
  if (r.findings.length === 0) main.append(h('p', { class: 'muted' }, r.analysis === 'done' ? 'The analyzer reported nothing new.' : 'No analysis results.'));
  let index = 0;
  for (const sev of severities) {
    const list = r.findingsBySeverity[sev];
    if (!list || list.length === 0) continue;
    const section = h('section', { class: `findings sev-${sev}`, 'aria-label': `${sev} findings` }, h('h3', {}, `${sev} (${list.length})`));
    for (const f of list) {
      const where = f.path ? `${f.path}${f.line ? `:${f.line}` : ''}` : 'whole release';
      const evidence = h('div', { class: 'evidence' });
      const item = h(
        'article',
        { class: 'finding' },
        h('h4', {}, h('span', { class: `badge sev-${f.severity}` }, f.severity), ' ', h('code', {}, f.kind), ' ', h('span', { class: 'where' }, where)),
        h('p', {}, f.message),
        f.related ? h('p', { class: 'related' }, 'Related release: ', h('a', { href: releaseHref(f.related) }, f.related)) : '',
        f.path ? evidence : f.evidence ? h('pre', { class: 'snippet' }, f.evidence) : '',
      );
      // The window comes with the page; only "show more" and the diff ask for more.
      if (f.path) renderExcerpt(r, f, index, evidence);
      index++;
      section.append(item);
    }
    main.append(section);
  }

  main.append(
    h('h2', {}, 'History'),
    h(
      'ol',
      { class: 'history' },
      r.history.map((e) => h('li', {}, h('time', { datetime: e.at }, fmtTime(e.at)), ' ', h('strong', {}, e.action), ` by ${e.actor}`, e.reason ? `: ${e.reason}` : '')),
    ),
  );

  const focusDecision = (action) => {
    if (!form) return;
    const radio = form.querySelector(`input[name=action][value=${action}]`);
    if (radio) radio.checked = true;
    form.querySelector('#reason').focus();
  };
  if (preset) focusDecision(preset);
  else main.focus();
  keyHandler = (e) => {
    if (e.key === 'a') return focusDecision('approve'), true;
    if (e.key === 'r') return focusDecision(form && form.querySelector('input[value=reject]') ? 'reject' : 'revoke'), true;
    if (e.key === 'u') return (location.hash = '#/queue'), true;
    return false;
  };
}

// ---------------------------------------------------------------- audit log

async function showAudit(filters = {}) {
  setView('audit', 'Audit log');
  const field = (name, label) => [h('label', { for: `audit-${name}` }, label), h('input', { id: `audit-${name}`, name, value: filters[name] || '' })];
  const form = h(
    'form',
    {
      class: 'search',
      role: 'search',
      onsubmit: (e) => {
        e.preventDefault();
        const data = new FormData(form);
        showAudit({ subject: data.get('subject').trim(), actor: data.get('actor').trim(), action: data.get('action').trim() });
      },
    },
    field('subject', 'Package'),
    field('actor', 'Reviewer'),
    field('action', 'Action'),
    h('button', { type: 'submit' }, 'Search'),
  );
  const params = new URLSearchParams(Object.entries(filters).filter(([, v]) => v));
  main.append(h('h1', {}, 'Audit log'), form, h('p', {}, h('a', { href: `api/v1/audit/export?${params}`, download: 'airlock-audit.jsonl' }, 'Export as JSON lines')));
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'audit', 'aria-label': 'Audit log' },
    h('thead', {}, h('tr', {}, ['Time', 'Action', 'Subject', 'Who', 'Reason'].map((c) => h('th', { scope: 'col' }, c)))),
    tbody,
  );
  const more = h('button', { type: 'button', hidden: true }, 'Older entries');
  main.append(table, more);
  let before = null;
  const load = async () => {
    const q = new URLSearchParams(params);
    q.set('limit', '100');
    if (before) q.set('before', String(before));
    try {
      const data = await api(`audit?${q}`);
      for (const e of data.entries)
        tbody.append(
          h(
            'tr',
            {},
            h('td', {}, h('time', { datetime: e.at }, fmtTime(e.at))),
            h('td', {}, e.action),
            h('td', {}, /^(npm|pypi):/.test(e.subject) ? h('a', { href: releaseHref(e.subject) }, e.subject) : e.subject),
            h('td', {}, `${e.actor} (${e.role})`),
            h('td', {}, e.reason || ''),
          ),
        );
      before = data.next;
      more.hidden = !before;
    } catch (err) {
      main.append(h('p', { class: 'error', role: 'alert' }, err.message));
    }
  };
  more.addEventListener('click', load);
  await load();
}

// ---------------------------------------------------------------- routing and keys

async function route() {
  if (!session) {
    try {
      session = await api('session');
      document.getElementById('who').textContent = `${session.name} (${session.role})`;
      document.getElementById('nav').hidden = false;
      document.getElementById('sign-out').hidden = false;
      document.getElementById('keys').hidden = false;
    } catch {
      return showSignIn();
    }
  }
  const hash = location.hash.slice(1) || '/queue';
  const [path, query] = hash.split('?');
  const release = /^\/release\/(.+)$/.exec(path);
  if (release) return showRelease(decodeURIComponent(release[1]), new URLSearchParams(query || '').get('decide'));
  if (path === '/audit') return showAudit();
  const name = path.slice(1);
  return showList(listViews[name] ? name : 'queue');
}

document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const target = e.target;
  if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) {
    if (e.key === 'Escape') target.blur();
    return;
  }
  if (keyHandler && keyHandler(e)) e.preventDefault();
});

window.addEventListener('hashchange', route);
route();

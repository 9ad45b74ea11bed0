// The item history page: Retry and Dismiss on the dead-letter list. Each action goes through the
// JSON API; afterwards the dead-letter table and the Latest sync summary are fetched again as
// server-rendered HTML (/admin/items/{id}/dead-letters), so they have a single renderer.
'use strict';

(() => {
  const { api, fragment, errorText, confirm, busy } = sfj;
  const section = document.getElementById('dead-letters');
  if (!section) return;
  const itemId = section.dataset.itemId;
  const heading = document.getElementById('dead-letters-title');
  const status = document.getElementById('dead-letters-status');
  let working = false;

  /// Shows what happened above the list; `kind` is 'success', 'warning', 'error' or nothing
  /// (under way).
  function say(text, kind) {
    status.className = 'action-status' + (kind ? ' banner ' + kind : '');
    status.textContent = text;
  }

  function rows() { return Array.from(section.querySelectorAll('tr[data-link-id]')); }
  function keyOf(row) { return row.dataset.linkId + '/' + row.dataset.operation; }

  /// "Write fields to Salesforce on SUP-1"
  function describe(row) {
    const label = row.dataset.operationLabel || row.dataset.operation;
    return row.dataset.issue ? label + ' on ' + row.dataset.issue : label;
  }

  function endpoint(row, action) {
    return '/api/admin/items/' + encodeURIComponent(itemId) + '/dead-letters/' +
      encodeURIComponent(row.dataset.linkId) + '/' + encodeURIComponent(row.dataset.operation) +
      '/' + action;
  }

  /// Fetches the fragment and swaps each region it carries into the page.
  async function rerender() {
    const html = await fragment('/admin/items/' + encodeURIComponent(itemId) + '/dead-letters');
    const template = document.createElement('template');
    template.innerHTML = html;
    for (const fresh of template.content.querySelectorAll('[data-region]')) {
      const current = document.querySelector('[data-region="' + fresh.dataset.region + '"]');
      if (current) current.replaceChildren(...fresh.childNodes);
    }
  }

  /// After the list changed, focus stays on the list: on the row's Retry when the row is still
  /// there, else on the Retry of the row now in its place (never on another Dismiss), else on
  /// the heading.
  function refocus(key, index) {
    const now = rows();
    const row = now.find((r) => keyOf(r) === key) || now[Math.min(index, now.length - 1)];
    const button = row && row.querySelector('button[data-action="retry-dead-letter"]');
    (button || heading).focus();
  }

  async function afterChange(key, index, message, kind) {
    try {
      await rerender();
    } catch (e) {
      say(message + ' The list could not be refreshed (' + e.message + '); reload the page.', 'error');
      return;
    }
    // The status line is itself a live region: it is announced as it changes.
    say(message, kind);
    refocus(key, index);
  }

  async function retry(button) {
    const row = button.closest('tr[data-link-id]');
    const key = keyOf(row);
    const index = rows().indexOf(row);
    const what = describe(row);
    busy(button, true);
    say('Retrying ' + what + '…');
    const result = await api('POST', endpoint(row, 'retry'));
    busy(button, false);
    if (!result.ok) {
      if (result.status === 404) {
        await afterChange(key, index, 'This failure is no longer on the list.', 'success');
      } else {
        say('Retry of ' + what + ' failed: ' + errorText(result), 'error');
        button.focus();
      }
      return;
    }
    const remaining = (result.body.remaining || []).find((a) => a.operation === row.dataset.operation);
    const message = remaining
      ? 'Retried ' + what + ': still failing (attempt ' + remaining.attempt + '). ' + remaining.error
      : 'Retried ' + what + ': it succeeded and is off the list.';
    await afterChange(key, index, message, remaining ? 'warning' : 'success');
  }

  async function dismiss(button) {
    const row = button.closest('tr[data-link-id]');
    const key = keyOf(row);
    const index = rows().indexOf(row);
    const what = describe(row);
    const sure = await confirm({
      title: 'Dismiss this failure?',
      message: '“' + what + '” leaves the list and is not retried automatically. ' +
        'It comes back if the operation fails again; the link history keeps it.',
      confirm: 'Dismiss',
      opener: button,
    });
    if (!sure) return;
    busy(button, true);
    say('Dismissing ' + what + '…');
    const result = await api('POST', endpoint(row, 'dismiss'));
    busy(button, false);
    if (!result.ok && result.status !== 404) {
      say('Dismiss of ' + what + ' failed: ' + errorText(result), 'error');
      button.focus();
      return;
    }
    const message = result.ok ? 'Dismissed ' + what + '.' : 'This failure is no longer on the list.';
    await afterChange(key, index, message, 'success');
  }

  section.addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button || working) return;
    const action = button.dataset.action;
    if (action !== 'retry-dead-letter' && action !== 'dismiss-dead-letter') return;
    working = true;
    try {
      if (action === 'retry-dead-letter') await retry(button);
      else await dismiss(button);
    } finally {
      working = false;
    }
  });
})();

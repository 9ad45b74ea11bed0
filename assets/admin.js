// The admin page and item history: connect and revoke Salesforce, refresh the items table,
// sync an item now, delete one. Every change goes through the JSON API; the table is fetched
// again as server-rendered HTML afterwards.
'use strict';

(() => {
  const { api, fragment, announce, errorText, confirm, busy, el } = sfj;

  // ---- Connection ---------------------------------------------------------------------------

  const form = document.getElementById('connection-form');
  const errorBox = document.getElementById('connection-error');

  function clearConnectionErrors() {
    errorBox.hidden = true;
    errorBox.replaceChildren();
    for (const slot of form.querySelectorAll('[data-error-for]')) {
      slot.hidden = true;
      slot.textContent = '';
    }
    for (const input of form.querySelectorAll('input')) input.removeAttribute('aria-invalid');
  }

  function showConnectionError(result) {
    const details = (result.body && result.body.details) || {};
    const fields = details.fields || {};
    let firstInvalid = null;
    for (const [name, message] of Object.entries(fields)) {
      const slot = form.querySelector('[data-error-for="' + name + '"]');
      const input = document.getElementById(name);
      if (slot) { slot.textContent = message; slot.hidden = false; }
      if (input) { input.setAttribute('aria-invalid', 'true'); firstInvalid = firstInvalid || input; }
    }
    if (details.cause || details.fix) {
      // The message repeats cause and fix; show them once each, then Salesforce's own words.
      errorBox.append(el('p', {}, el('strong', { text: 'Salesforce refused these credentials.' })));
      if (details.cause) errorBox.append(el('p', {}, el('span', { class: 'label', text: 'Cause: ' }), details.cause));
      if (details.fix) errorBox.append(el('p', {}, el('span', { class: 'label', text: 'Fix: ' }), details.fix));
      const said = [details.salesforce_error, details.salesforce_description].filter(Boolean).join(': ');
      if (said) errorBox.append(el('p', { class: 'small' }, 'Salesforce said: ', el('code', { text: said })));
    } else {
      errorBox.append(el('p', {}, el('strong', { text: 'Not connected. ' }), errorText(result)));
    }
    errorBox.hidden = false;
    if (firstInvalid) firstInvalid.focus();
  }

  if (form) {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearConnectionErrors();
      const button = form.querySelector('button[type="submit"]');
      busy(button, true);
      button.textContent = 'Connecting…';
      const result = await api('PUT', '/api/admin/connection', {
        login_url: form.elements.login_url.value.trim(),
        client_id: form.elements.client_id.value.trim(),
        client_secret: form.elements.client_secret.value,
      });
      busy(button, false);
      button.textContent = 'Connect';
      if (result.ok) {
        announce('Connected to ' + (result.body.org_name || 'Salesforce'));
        window.location.reload();
      } else {
        showConnectionError(result);
      }
    });
  }

  const revoke = document.getElementById('revoke-connection');
  if (revoke) {
    revoke.addEventListener('click', async () => {
      const sure = await confirm({
        title: 'Revoke the Salesforce connection?',
        message: 'sfjira forgets the client secret and stops syncing until someone connects again. Items and links are kept.',
        confirm: 'Revoke Connection',
        opener: revoke,
      });
      if (!sure) return;
      busy(revoke, true);
      const result = await api('DELETE', '/api/admin/connection');
      busy(revoke, false);
      if (result.ok) {
        window.location.reload();
      } else {
        const box = el('div', { class: 'banner error', role: 'alert' }, errorText(result));
        revoke.closest('.card').append(box);
      }
    });
  }

  // ---- Items ----------------------------------------------------------------------------------

  const region = document.getElementById('items-region');
  const refreshButton = document.getElementById('refresh-items');

  const itemsStatus = document.getElementById('items-status');

  async function refreshItems(message) {
    if (!region) return;
    busy(refreshButton, true);
    try {
      region.innerHTML = await fragment('/admin/items/table');
      // The status line is itself a live region: it is announced as it changes.
      if (itemsStatus) itemsStatus.textContent = message || 'List refreshed.';
    } catch (e) {
      if (itemsStatus) itemsStatus.textContent = 'The list could not be refreshed: ' + e.message;
    } finally {
      busy(refreshButton, false);
    }
  }

  if (refreshButton) refreshButton.addEventListener('click', () => refreshItems());

  function statusLine(anchor, text, kind) {
    const host = anchor.closest('td, .toolbar') || anchor.parentElement;
    let line = host.querySelector('.action-status');
    if (!line) {
      line = el('p', { class: 'action-status cell-note', role: 'status' });
      host.append(line);
    }
    line.className = 'action-status cell-note' + (kind === 'error' ? ' field-error' : '');
    line.textContent = text;
  }

  function countsText(counts) {
    if (!counts) return '';
    const parts = [];
    const add = (n, one, many) => { if (n) parts.push(n + ' ' + (n === 1 ? one : many)); };
    add(counts.records_seen, 'record seen', 'records seen');
    add(counts.issues_created, 'issue created', 'issues created');
    add(counts.fields_pulled, 'field pulled', 'fields pulled');
    add(counts.statuses_written, 'status written', 'statuses written');
    add(counts.comments_paired, 'comment', 'comments');
    add(counts.attachments_paired, 'file', 'files');
    add(counts.failures, 'failure', 'failures');
    return parts.length ? parts.join(', ') : 'nothing changed';
  }

  async function syncNow(button) {
    const holder = button.closest('[data-item-id]');
    const id = holder.dataset.itemId;
    const name = holder.dataset.itemName;
    busy(button, true);
    statusLine(button, 'Syncing…');
    const result = await api('POST', '/api/admin/items/' + encodeURIComponent(id) + '/sync');
    busy(button, false);
    if (!result.ok) {
      statusLine(button, errorText(result), 'error');
      announce('Sync of ' + name + ' failed: ' + errorText(result));
      return;
    }
    const item = result.body.item || {};
    const summary = 'Sync of ' + name + ' finished: ' + countsText(item.counts) + '.';
    if (region) {
      await refreshItems(summary);
    } else {
      // The history page: reload to show the new run.
      window.location.reload();
    }
  }

  async function deleteItem(button) {
    const row = button.closest('[data-item-id]');
    const id = row.dataset.itemId;
    const name = row.dataset.itemName;
    const sure = await confirm({
      title: 'Delete “' + name + '”?',
      message: 'Its links stop syncing and the item disappears from issue panels. The history of every link stays in the log.',
      confirm: 'Delete item',
      opener: button,
    });
    if (!sure) return;
    busy(button, true);
    const result = await api('DELETE', '/api/admin/items/' + encodeURIComponent(id));
    if (result.ok) {
      await refreshItems('Deleted ' + name + '.');
      if (refreshButton) refreshButton.focus();
    } else {
      busy(button, false);
      statusLine(button, errorText(result), 'error');
    }
  }

  document.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    if (button.dataset.action === 'sync') syncNow(button);
    if (button.dataset.action === 'delete') deleteItem(button);
  });
})();

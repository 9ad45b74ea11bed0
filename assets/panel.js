// The issue panel: Refresh and Unlink on a card, and the "Link a Salesforce record" dialog with
// type-ahead search and paste-an-id. After each change the card is fetched again as
// server-rendered HTML.
'use strict';

(() => {
  const { api, fragment, announce, errorText, confirm, busy, openDialog, el } = sfj;
  const ID_PATTERN = /^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/;

  function cardOf(node) { return node.closest('article[data-item-id]'); }

  function base(card) {
    return '/api/issues/' + encodeURIComponent(card.dataset.issueKey) + '/items/' +
      encodeURIComponent(card.dataset.itemId);
  }

  function say(card, text, kind) {
    const status = card.querySelector('.card-status');
    status.className = 'card-status' + (kind === 'error' ? ' banner error' : '');
    status.textContent = text;
  }

  async function reloadCard(card, message) {
    const path = '/panel/' + encodeURIComponent(card.dataset.issueKey) + '/cards/' +
      encodeURIComponent(card.dataset.itemId);
    try {
      const html = await fragment(path);
      const holder = document.createElement('div');
      holder.innerHTML = html;
      const fresh = holder.firstElementChild;
      card.replaceWith(fresh);
      if (message) say(fresh, message);
      const title = fresh.querySelector('h2');
      if (title) title.focus();
      return fresh;
    } catch (e) {
      say(card, 'The card could not be reloaded: ' + e.message + '. Reload the page.', 'error');
      return card;
    }
  }

  async function refresh(button) {
    const card = cardOf(button);
    busy(button, true);
    say(card, 'Refreshing from Salesforce…');
    const result = await api('POST', base(card) + '/refresh');
    busy(button, false);
    if (!result.ok) {
      say(card, errorText(result), 'error');
      return;
    }
    const message = 'Refreshed from Salesforce.';
    await reloadCard(card, message);
    announce(message);
  }

  async function unlink(button) {
    const card = cardOf(button);
    const label = card.querySelector('.record-label');
    const sure = await confirm({
      title: 'Unlink this record?',
      message: 'The issue stops showing ' + (label ? label.textContent : 'the record') +
        ' and nothing more syncs between them. Their history stays in the log.',
      confirm: 'Unlink',
      opener: button,
    });
    if (!sure) return;
    busy(button, true);
    const result = await api('DELETE', base(card) + '/link');
    if (!result.ok) {
      busy(button, false);
      say(card, errorText(result), 'error');
      return;
    }
    await reloadCard(card, 'Unlinked.');
    announce('Unlinked.');
  }

  // ---- The "Link a Salesforce record" dialog -------------------------------------------------

  const dialog = document.getElementById('link-dialog');
  const query = document.getElementById('link-query');
  const state = document.getElementById('link-state');
  const results = document.getElementById('link-results');
  const paste = document.getElementById('link-paste');
  const pasteButton = document.getElementById('link-paste-button');
  const description = document.getElementById('link-dialog-desc');
  let current = null;      // the card being linked
  let close = null;
  let timer = null;
  let generation = 0;

  function setState(text, kind) {
    state.className = 'state' + (kind ? ' ' + kind : '');
    state.textContent = text;
    results.setAttribute('aria-busy', kind === 'loading' ? 'true' : 'false');
  }

  function idleHint() {
    const object = current ? current.dataset.objectLabel : 'record';
    setState('Type at least 2 characters to search ' + object + ' records, or paste a record id.');
  }

  function openLink(button) {
    current = cardOf(button);
    description.textContent = 'Find the ' + current.dataset.objectLabel + ' for “' +
      current.dataset.itemName + '” by typing part of its searchable fields, or paste its 15- or 18-character Salesforce id.';
    query.value = '';
    results.replaceChildren();
    paste.hidden = true;
    idleHint();
    close = openDialog(dialog, button, () => {
      generation += 1;
      window.clearTimeout(timer);
    });
    query.focus();
  }

  async function link(recordId, trigger) {
    const card = current;
    busy(trigger, true);
    setState('Linking ' + recordId + '…', 'loading');
    const result = await api('POST', base(card) + '/link', { record_id: recordId });
    busy(trigger, false);
    if (!result.ok) {
      setState(errorText(result), 'error');
      query.focus();
      return;
    }
    const label = (result.body.link && result.body.link.record_label) || recordId;
    close();
    const message = 'Linked ' + label + '.';
    await reloadCard(card, message);
    announce(message);
  }

  async function search(text) {
    const mine = ++generation;
    setState('Searching…', 'loading');
    const result = await api('GET', base(current) + '/search?q=' + encodeURIComponent(text));
    if (mine !== generation) return;  // a newer search is under way, or the dialog closed
    results.replaceChildren();
    if (!result.ok) {
      setState(errorText(result), 'error');
      return;
    }
    const hits = result.body.results || [];
    if (hits.length === 0) {
      const fields = (result.body.searched_fields || []).join(', ');
      setState(result.body.hint || ('No matching records found. Searched ' + fields + '.'), 'empty');
      return;
    }
    setState(hits.length + (hits.length === 1 ? ' record found.' : ' records found.') + ' Choose one to link it.');
    for (const hit of hits) {
      const button = el('button', { type: 'button', class: 'result', 'data-record-id': hit.id },
        el('span', { class: 'label', text: hit.label }),
        el('span', { class: 'id', text: hit.id }));
      button.addEventListener('click', () => link(hit.id, button));
      results.append(el('li', {}, button));
    }
  }

  if (dialog) {
    query.addEventListener('input', () => {
      const text = query.value.trim();
      window.clearTimeout(timer);
      paste.hidden = !ID_PATTERN.test(text);
      if (!paste.hidden) pasteButton.textContent = 'Link record id ' + text;
      if (text.length < 2) {
        generation += 1;
        results.replaceChildren();
        idleHint();
        return;
      }
      timer = window.setTimeout(() => search(text), 250);
    });
    query.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        const text = query.value.trim();
        if (ID_PATTERN.test(text)) link(text, pasteButton);
        else if (text.length >= 2) { window.clearTimeout(timer); search(text); }
      } else if (event.key === 'ArrowDown') {
        const first = results.querySelector('button');
        if (first) { event.preventDefault(); first.focus(); }
      }
    });
    results.addEventListener('keydown', (event) => {
      const buttons = Array.from(results.querySelectorAll('button'));
      const index = buttons.indexOf(document.activeElement);
      if (index < 0) return;
      if (event.key === 'ArrowDown' && index < buttons.length - 1) { event.preventDefault(); buttons[index + 1].focus(); }
      if (event.key === 'ArrowUp') { event.preventDefault(); (index > 0 ? buttons[index - 1] : query).focus(); }
    });
    pasteButton.addEventListener('click', () => link(query.value.trim(), pasteButton));
    dialog.querySelector('[data-close]').addEventListener('click', () => close && close());
  }

  document.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button || !cardOf(button)) return;
    if (button.dataset.action === 'link') openLink(button);
    if (button.dataset.action === 'refresh') refresh(button);
    if (button.dataset.action === 'unlink') unlink(button);
  });
})();

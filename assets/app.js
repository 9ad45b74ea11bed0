// sfjira pages: what every page script shares. Plain JavaScript, no build step.
//
// `sfj.api` calls the JSON API with the session cookie and the X-Requested-With header the
// server requires on cookie-authenticated changes; `sfj.confirm` and `sfj.openDialog` are the
// keyboard-usable dialogs (Esc closes, Tab stays inside, focus goes back where it was).
'use strict';

const sfj = (() => {
  function signInAgain() {
    const next = window.location.pathname + window.location.search;
    window.location.assign('/admin/login?next=' + encodeURIComponent(next));
  }

  async function api(method, path, body, extraHeaders) {
    const headers = Object.assign(
      { 'Accept': 'application/json', 'X-Requested-With': 'sfjira' },
      extraHeaders || {}
    );
    const init = { method, headers, credentials: 'same-origin' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (e) {
      return { ok: false, status: 0, body: { message: 'sfjira could not be reached: ' + e.message }, headers: new Headers() };
    }
    if (response.status === 401) {
      signInAgain();
    }
    const text = await response.text();
    let parsed = null;
    if (text) {
      try { parsed = JSON.parse(text); } catch (_) { parsed = { message: text }; }
    }
    return { ok: response.ok, status: response.status, body: parsed || {}, headers: response.headers };
  }

  async function fragment(path) {
    const response = await fetch(path, {
      headers: { 'X-Requested-With': 'sfjira', 'Accept': 'text/html' },
      credentials: 'same-origin',
    });
    if (response.status === 401) {
      signInAgain();
    }
    if (!response.ok) {
      throw new Error('HTTP ' + response.status);
    }
    return response.text();
  }

  function announce(message) {
    const region = document.getElementById('announcer');
    if (!region) return;
    region.textContent = '';
    window.setTimeout(() => { region.textContent = message; }, 50);
  }

  /// The message of an API error body, for people.
  function errorText(result) {
    const b = result.body || {};
    return b.message || ('The request failed (HTTP ' + result.status + ').');
  }

  function focusable(root) {
    return Array.from(root.querySelectorAll(
      'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])'
    )).filter((el) => !el.closest('[hidden]') && el.offsetParent !== null);
  }

  /// Opens a modal dialog; returns a function that closes it. Focus returns to `opener`.
  function openDialog(dialog, opener, onClose) {
    const restore = opener || document.activeElement;
    function trap(event) {
      if (event.key !== 'Tab') return;
      const items = focusable(dialog);
      if (items.length === 0) return;
      const first = items[0];
      const last = items[items.length - 1];
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    }
    function closed() {
      dialog.removeEventListener('keydown', trap);
      dialog.removeEventListener('close', closed);
      if (onClose) onClose(dialog.returnValue);
      if (restore && document.contains(restore) && typeof restore.focus === 'function') {
        restore.focus();
      }
    }
    dialog.addEventListener('keydown', trap);
    dialog.addEventListener('close', closed);
    dialog.returnValue = '';
    dialog.showModal();
    return (value) => { if (dialog.open) dialog.close(value || ''); };
  }

  /// Asks for confirmation; resolves true only when the person confirms.
  function confirm(options) {
    const dialog = document.getElementById('confirm-dialog');
    dialog.querySelector('#confirm-title').textContent = options.title;
    dialog.querySelector('#confirm-message').textContent = options.message;
    const ok = dialog.querySelector('[data-confirm="ok"]');
    const cancel = dialog.querySelector('[data-confirm="cancel"]');
    ok.textContent = options.confirm || 'Confirm';
    return new Promise((resolve) => {
      const close = openDialog(dialog, options.opener, (value) => {
        ok.removeEventListener('click', onOk);
        cancel.removeEventListener('click', onCancel);
        resolve(value === 'ok');
      });
      function onOk() { close('ok'); }
      function onCancel() { close('cancel'); }
      ok.addEventListener('click', onOk);
      cancel.addEventListener('click', onCancel);
      cancel.focus();
    });
  }

  function busy(button, on) {
    if (!button) return;
    button.disabled = on;
    if (on) { button.setAttribute('aria-busy', 'true'); } else { button.removeAttribute('aria-busy'); }
  }

  /// Creates an element: el('p', {class: 'x'}, 'text', child…).
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === false || value === null || value === undefined) continue;
      if (name === 'class') node.className = value;
      else if (name === 'text') node.textContent = value;
      else if (value === true) node.setAttribute(name, '');
      else node.setAttribute(name, value);
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  return { api, fragment, announce, errorText, openDialog, confirm, busy, el, signInAgain };
})();

// The Smart Connected Item editor. The page paints with what the server already knew; this
// script loads the live pickers afterwards (Jira projects, issue types and create-screen
// fields; Salesforce modules, objects and fields), keeps the working definition, runs "Check"
// against the validation API and saves with If-Match.
'use strict';

(() => {
  const { api, announce, errorText, busy, el } = sfj;
  const boot = JSON.parse(document.getElementById('item-state').textContent);
  const itemId = boot.item_id;
  const version = boot.version;
  const def = boot.definition;
  def.options = def.options || {};
  const cache = { projects: null, issueTypes: {}, jiraFields: {}, modules: null, sfFields: {} };

  const $ = (id) => document.getElementById(id);
  const form = $('item-form');
  const nameInput = $('f-name');
  const projectsList = $('projects-list');
  const issueType = $('f-issue-type');
  const moduleSelect = $('f-module');
  const objectSelect = $('f-object');
  const previewList = $('preview-list');
  const previewFilter = $('preview-filter');
  const mappingsList = $('mappings-list');
  const statusBox = $('o-status');
  const statusField = $('o-status-field');
  const problemsBox = $('editor-problems');
  const warningsBox = $('editor-warnings');
  const busyLine = $('editor-busy');

  const isSync = () => def.mode !== 'display_only';

  function loaded(name) {
    const line = document.querySelector('[data-loading="' + name + '"]');
    if (line) line.hidden = true;
  }

  function loadFailed(name, result, retry) {
    const line = document.querySelector('[data-loading="' + name + '"]');
    const text = line.textContent;
    const again = el('button', { type: 'button', class: 'button small' }, 'Try again');
    again.addEventListener('click', () => {
      line.className = 'loading';
      line.replaceChildren(text);
      retry();
    });
    line.className = 'field-error';
    line.replaceChildren('Could not load: ' + errorText(result) + ' ', again);
    line.hidden = false;
  }

  function option(value, label, selected) {
    return el('option', { value, selected: selected || false }, label);
  }

  function choice(type, name, value, label, checked, extra) {
    const id = name + '-' + value;
    return el('div', { class: 'choice' },
      el('input', { type, name, id, value, checked: checked || false }),
      el('label', { for: id }, label, extra ? el('span', { class: 'api-name' }, ' ' + extra) : null));
  }

  // ---- Mode -----------------------------------------------------------------------------------

  function applyMode() {
    for (const section of document.querySelectorAll('[data-sync-only]')) section.hidden = !isSync();
    $('projects-hint').textContent = isSync()
      ? 'A synchronised item targets exactly one project.'
      : 'Choose one or more projects; the item shows on their issues.';
    if (isSync() && def.jira_projects.length > 1) def.jira_projects = def.jira_projects.slice(0, 1);
    renderProjects();
    renderMappings();
  }

  form.addEventListener('change', (event) => {
    if (event.target.name === 'mode') {
      def.mode = event.target.value;
      applyMode();
      if (isSync() && def.jira_projects[0]) loadIssueTypes(def.jira_projects[0]);
    }
  });

  // ---- Jira -----------------------------------------------------------------------------------

  async function loadProjects() {
    const result = await api('GET', '/api/admin/jira/projects');
    if (!result.ok) return loadFailed('projects', result, loadProjects);
    cache.projects = result.body.projects || [];
    loaded('projects');
    renderProjects();
    if (isSync() && def.jira_projects[0]) loadIssueTypes(def.jira_projects[0]);
  }

  function renderProjects() {
    if (!cache.projects) return;
    const type = isSync() ? 'radio' : 'checkbox';
    projectsList.replaceChildren(...cache.projects.map((p) =>
      choice(type, 'jira_project', p.key, p.name, def.jira_projects.includes(p.key), p.key)));
  }

  projectsList.addEventListener('change', () => {
    def.jira_projects = Array.from(projectsList.querySelectorAll('input:checked')).map((i) => i.value);
    if (isSync() && def.jira_projects[0]) {
      def.issue_type_id = null;
      loadIssueTypes(def.jira_projects[0]);
    }
  });

  async function loadIssueTypes(project) {
    issueType.replaceChildren(option('', 'Loading issue types…', true));
    let types = cache.issueTypes[project];
    if (!types) {
      const result = await api('GET', '/api/admin/jira/projects/' + encodeURIComponent(project) + '/issue-types');
      if (!result.ok) {
        issueType.replaceChildren(option('', 'Could not load issue types', true));
        announce('Could not load issue types: ' + errorText(result));
        return;
      }
      types = cache.issueTypes[project] = result.body.issue_types || [];
    }
    issueType.replaceChildren(option('', 'Choose an issue type', !def.issue_type_id),
      ...types.map((t) => option(t.id, t.name, t.id === def.issue_type_id)));
    if (def.issue_type_id && !types.some((t) => t.id === def.issue_type_id)) def.issue_type_id = null;
    if (def.issue_type_id) loadJiraFields();
  }

  issueType.addEventListener('change', () => {
    def.issue_type_id = issueType.value || null;
    if (def.issue_type_id) loadJiraFields();
  });

  async function loadJiraFields() {
    const project = def.jira_projects[0];
    const type = def.issue_type_id;
    const key = project + '/' + type;
    if (!cache.jiraFields[key]) {
      const result = await api('GET', '/api/admin/jira/projects/' + encodeURIComponent(project) +
        '/issue-types/' + encodeURIComponent(type) + '/fields');
      if (!result.ok) {
        announce('Could not load the Jira fields: ' + errorText(result));
        return;
      }
      cache.jiraFields[key] = (result.body.fields || []).filter((f) => f.id !== 'project' && f.id !== 'issuetype');
    }
    renderMappings();
  }

  const jiraFields = () => cache.jiraFields[def.jira_projects[0] + '/' + def.issue_type_id];

  // ---- Salesforce -------------------------------------------------------------------------------

  async function loadObjects() {
    const result = await api('GET', '/api/admin/salesforce/objects');
    if (!result.ok) return loadFailed('objects', result, loadObjects);
    cache.modules = (result.body.modules || []).filter((m) => (m.objects || []).length > 0);
    loaded('objects');
    const owner = cache.modules.find((m) => m.objects.some((o) => o.name === def.object));
    moduleSelect.replaceChildren(option('', 'Choose a module', !owner),
      ...cache.modules.map((m) => option(m.module, m.label, owner === m)));
    renderObjects();
    if (def.object) loadSfFields(def.object);
  }

  function renderObjects() {
    const module = cache.modules && cache.modules.find((m) => m.module === moduleSelect.value);
    const objects = module ? module.objects : [];
    objectSelect.replaceChildren(option('', module ? 'Choose an object' : 'Choose a module first', !def.object),
      ...objects.map((o) => option(o.name, o.label + ' (' + o.name + ')', o.name === def.object)));
  }

  moduleSelect.addEventListener('change', renderObjects);

  objectSelect.addEventListener('change', () => {
    def.object = objectSelect.value;
    def.preview_fields = [];
    for (const m of def.mappings) m.salesforce_field = '';
    def.options.status_sync = null;
    statusBox.checked = false;
    if (def.object) loadSfFields(def.object);
  });

  async function loadSfFields(object) {
    previewList.replaceChildren(el('p', { class: 'loading' }, 'Loading fields…'));
    if (!cache.sfFields[object]) {
      const result = await api('GET', '/api/admin/salesforce/objects/' + encodeURIComponent(object) + '/fields');
      if (!result.ok) {
        previewList.replaceChildren(el('p', { class: 'field-error' }, 'Could not load the fields: ' + errorText(result)));
        return;
      }
      cache.sfFields[object] = result.body.fields || [];
    }
    renderPreview();
    renderMappings();
    renderStatusFields();
  }

  const sfFields = () => cache.sfFields[def.object];

  function renderPreview() {
    const fields = sfFields();
    if (!fields) return;
    previewList.replaceChildren(...fields.map((f) =>
      choice('checkbox', 'preview', f.name, f.label, def.preview_fields.includes(f.name), f.name)));
    filterPreview();
  }

  function filterPreview() {
    const text = previewFilter.value.trim().toLowerCase();
    for (const item of previewList.querySelectorAll('.choice')) {
      item.hidden = text !== '' && !item.textContent.toLowerCase().includes(text);
    }
  }

  previewFilter.addEventListener('input', filterPreview);
  previewList.addEventListener('change', (event) => {
    const name = event.target.value;
    def.preview_fields = def.preview_fields.filter((f) => f !== name);
    if (event.target.checked) def.preview_fields.push(name);
  });

  function renderStatusFields() {
    statusField.disabled = !statusBox.checked;
    if (!sfFields()) return;
    const fields = sfFields().filter((f) => f.status_like);
    const chosen = def.options.status_sync && def.options.status_sync.salesforce_field;
    statusField.replaceChildren(option('', fields.length ? 'Choose a status field' : 'No status-like field on this object', !chosen),
      ...fields.map((f) => option(f.name, f.label + ' (' + f.name + ')', f.name === chosen)));
    statusBox.disabled = fields.length === 0 && !statusBox.checked;
    statusField.disabled = !statusBox.checked;
  }

  statusBox.addEventListener('change', () => {
    statusField.disabled = !statusBox.checked;
    if (statusBox.checked && !statusField.value) {
      const first = Array.from(statusField.options).find((o) => o.value);
      if (first) statusField.value = first.value;
    }
  });

  // ---- Mappings -------------------------------------------------------------------------------

  function renderMappings() {
    const sf = sfFields();
    const jira = jiraFields();
    const arrow = def.mode === 'two_way' ? '⇄' : '→';
    const rows = def.mappings.map((m, i) => {
      const sfSelect = el('select', { id: 'map-sf-' + i, 'data-index': i, 'data-side': 'salesforce' });
      const sfOptions = sf
        ? sf.map((f) => option(f.name, f.label + ' (' + f.name + ')' +
            (def.mode === 'two_way' && !f.updateable ? ' — read-only' : ''), f.name === m.salesforce_field))
        : (m.salesforce_field ? [option(m.salesforce_field, m.salesforce_field, true)] : []);
      sfSelect.replaceChildren(option('', 'Choose a Salesforce field', !m.salesforce_field), ...sfOptions);
      const jiraSelect = el('select', { id: 'map-jira-' + i, 'data-index': i, 'data-side': 'jira' });
      const jiraOptions = jira
        ? jira.map((f) => option(f.id, f.name + (f.required ? ' (required)' : ''), f.id === m.jira_field))
        : (m.jira_field ? [option(m.jira_field, m.jira_field, true)] : []);
      jiraSelect.replaceChildren(option('', jira ? 'Choose a Jira field' : 'Choose an issue type first', !m.jira_field), ...jiraOptions);
      const remove = el('button', { type: 'button', class: 'button small subtle', 'data-remove': i },
        'Remove', el('span', { class: 'visually-hidden' }, ' mapping ' + (i + 1)));
      return el('div', { class: 'mapping-row', 'data-row': i },
        el('div', { class: 'field' }, el('label', { for: sfSelect.id }, 'Salesforce field'), sfSelect),
        el('span', { class: 'arrow', 'aria-hidden': 'true' }, arrow),
        el('div', { class: 'field' }, el('label', { for: jiraSelect.id }, 'Jira field'), jiraSelect),
        remove,
        el('p', { class: 'field-error', 'data-error-for': 'mappings[' + i + ']', hidden: true }));
    });
    mappingsList.replaceChildren(...rows);
    if (rows.length === 0) {
      mappingsList.append(el('p', { class: 'empty' }, 'No mappings yet.'));
    }
  }

  mappingsList.addEventListener('change', (event) => {
    const select = event.target;
    const mapping = def.mappings[Number(select.dataset.index)];
    if (!mapping) return;
    if (select.dataset.side === 'salesforce') mapping.salesforce_field = select.value;
    if (select.dataset.side === 'jira') mapping.jira_field = select.value;
  });

  mappingsList.addEventListener('click', (event) => {
    const button = event.target.closest('[data-remove]');
    if (!button) return;
    def.mappings.splice(Number(button.dataset.remove), 1);
    renderMappings();
    $('add-mapping').focus();
  });

  $('add-mapping').addEventListener('click', () => {
    def.mappings.push({ salesforce_field: '', jira_field: '' });
    renderMappings();
    $('map-sf-' + (def.mappings.length - 1)).focus();
  });

  // ---- Check and save -------------------------------------------------------------------------

  function definition() {
    const sync = isSync();
    const options = sync
      ? {
          auto_create: $('o-auto-create').checked,
          status_sync: statusBox.checked ? { salesforce_field: statusField.value } : null,
          comments_sync: $('o-comments').checked,
          attachments_sync: $('o-attachments').checked,
        }
      : { auto_create: false, status_sync: null, comments_sync: false, attachments_sync: false };
    return {
      name: nameInput.value.trim(),
      mode: def.mode,
      jira_projects: def.jira_projects.slice(0, sync ? 1 : undefined),
      issue_type_id: sync ? (def.issue_type_id || null) : null,
      object: def.object || '',
      preview_fields: def.preview_fields,
      mappings: sync ? def.mappings : [],
      options,
    };
  }

  const CONTROLS = [
    [/^name$/, 'f-name', 'Name'],
    [/^mode/, 'mode-' + def.mode, 'Sync mode'],
    [/^jira_projects/, null, 'Jira projects'],
    [/^issue_type_id/, 'f-issue-type', 'Issue type'],
    [/^object/, 'f-object', 'Object'],
    [/^preview_fields/, 'preview-filter', 'Preview fields'],
    [/^mappings\[(\d+)\]\.jira_field/, 'map-jira-$1', 'Mapping $n'],
    [/^mappings\[(\d+)\]/, 'map-sf-$1', 'Mapping $n'],
    [/^mappings/, 'add-mapping', 'Mappings'],
    [/^options\.status_sync/, 'o-status-field', 'Status sync'],
    [/^options\.comments_sync/, 'o-comments', 'Comments sync'],
    [/^options/, 'o-auto-create', 'Options'],
  ];

  function controlOf(key) {
    for (const [pattern, id, label] of CONTROLS) {
      const match = key.match(pattern);
      if (!match) continue;
      const n = match[1] !== undefined ? Number(match[1]) : null;
      let controlId = id ? id.replace('$1', n) : null;
      if (!controlId) {
        const first = projectsList.querySelector('input');
        controlId = first ? first.id : null;
      }
      return { id: controlId, label: n !== null ? label.replace('$n', n + 1) : label };
    }
    return { id: null, label: key };
  }

  function slotOf(key) {
    let probe = key;
    while (probe) {
      const slot = form.querySelector('[data-error-for="' + probe + '"]');
      if (slot) return slot;
      const cut = Math.max(probe.lastIndexOf('.'), probe.lastIndexOf('['));
      probe = cut > 0 ? probe.slice(0, cut) : '';
    }
    return null;
  }

  function clearProblems() {
    problemsBox.hidden = true;
    warningsBox.hidden = true;
    problemsBox.replaceChildren();
    warningsBox.replaceChildren();
    for (const slot of form.querySelectorAll('[data-error-for]')) { slot.hidden = true; slot.textContent = ''; }
    for (const control of form.querySelectorAll('[aria-invalid]')) control.removeAttribute('aria-invalid');
  }

  function showProblems(problems, warnings, general) {
    clearProblems();
    if (problems.length || general) {
      const list = el('ul');
      for (const p of problems) {
        const control = controlOf(p.field);
        const slot = slotOf(p.field);
        if (slot) {
          slot.textContent = slot.textContent ? slot.textContent + ' ' + p.message : p.message;
          slot.hidden = false;
        }
        const input = control.id && $(control.id);
        if (input) input.setAttribute('aria-invalid', 'true');
        const link = el('a', { href: control.id ? '#' + control.id : '#item-form' }, control.label);
        link.addEventListener('click', (event) => {
          if (input) { event.preventDefault(); input.focus(); }
        });
        list.append(el('li', {}, link, ': ' + p.message));
      }
      const heading = general || (problems.length === 1
        ? '1 problem to fix before saving'
        : problems.length + ' problems to fix before saving');
      problemsBox.append(el('p', {}, el('strong', {}, heading)));
      if (problems.length) problemsBox.append(list);
      problemsBox.hidden = false;
      problemsBox.focus();
    }
    if (warnings.length) {
      warningsBox.append(el('p', {}, el('strong', {}, 'Warnings: the item can be saved, but')),
        el('ul', {}, ...warnings.map((w) => el('li', {}, w))));
      warningsBox.hidden = false;
      // With nothing to fix, bring the warnings into view (problems take focus instead).
      if (!problems.length && !general) warningsBox.scrollIntoView({ block: 'center' });
    }
  }

  // Rows left completely empty are dropped before checking or saving.
  function prune() {
    const before = def.mappings.length;
    def.mappings = def.mappings.filter((m) => m.salesforce_field || m.jira_field);
    if (def.mappings.length !== before) renderMappings();
  }

  $('check-item').addEventListener('click', async (event) => {
    const button = event.currentTarget;
    prune();
    busy(button, true);
    busyLine.className = 'muted';
    busyLine.textContent = 'Checking against Salesforce and Jira…';
    const result = await api('POST', '/api/admin/items/validate', definition());
    busy(button, false);
    if (!result.ok) {
      busyLine.textContent = '';
      showProblems([], [], errorText(result));
      return;
    }
    const problems = result.body.problems || [];
    const warnings = result.body.warnings || [];
    showProblems(problems, warnings);
    busyLine.className = problems.length || warnings.length ? 'muted' : 'passed';
    busyLine.textContent = problems.length
      ? 'Check found ' + problems.length + (problems.length === 1 ? ' problem.' : ' problems.')
      : (warnings.length ? 'No problems; see the warnings.' : 'Check passed: no problems.');
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = $('save-item');
    prune();
    busy(button, true);
    busyLine.className = 'muted';
    busyLine.textContent = 'Saving…';
    const body = definition();
    const result = itemId
      ? await api('PUT', '/api/admin/items/' + encodeURIComponent(itemId), body, { 'If-Match': '"' + version + '"' })
      : await api('POST', '/api/admin/items', body);
    busy(button, false);
    busyLine.textContent = '';
    if (result.ok) {
      announce('Saved ' + body.name);
      window.location.assign('/admin');
      return;
    }
    const details = (result.body && result.body.details) || {};
    if (result.status === 422 && Array.isArray(details.problems)) {
      showProblems(details.problems, details.warnings || []);
    } else if (result.status === 409 && result.body.error === 'stale_item') {
      showProblems([], [], 'Someone changed this item since you opened it. Reload the page to edit the current version.');
    } else {
      showProblems([], [], errorText(result));
    }
  });

  nameInput.addEventListener('input', () => { def.name = nameInput.value; });

  applyMode();
  renderStatusFields();
  loadProjects();
  loadObjects();
})();

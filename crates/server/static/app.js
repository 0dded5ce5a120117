// spacelinks owner pages: what JavaScript adds on top of pages that already
// work without it (plain forms, server-side confirmation pages).
//
//   - uploads: drag and drop onto the page, one request per file with a
//     progress bar, the server's error per file, the listing refreshed after;
//   - Copy buttons ([data-copy]) with a "Copied" status read out by screen
//     readers;
//   - instant checks on the link form, next to each field. The server stays
//     the authority: these only repeat its rules so a person sees a mistake
//     before sending the form.
//
// One plain ES2020 file, no build step, no inline code (the CSP forbids it).
// Styling hooks for the stylesheet: [data-dragover] on the upload form while
// files are dragged over the page, li[data-state=uploading|done|error] in the
// progress list, .field-error[data-js-error] for the messages shown here.
'use strict';

(() => {
  // ---------------------------------------------------------------- uploads

  /** How many files travel at the same time. */
  const PARALLEL_UPLOADS = 3;

  /** `wholePage`: drops anywhere on the page go to this form (the first one). */
  function setUpUpload(form, wholePage) {
    const input = form.querySelector('input[type=file]');
    const list = form.querySelector('[data-upload-progress]') || appendList(form);
    if (!input) return;
    announcer(); // a live region must exist before it speaks

    input.addEventListener('change', () => {
      if (input.files && input.files.length) uploadAll(form, list, Array.from(input.files), input);
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const files = input.files ? Array.from(input.files) : [];
      if (files.length) {
        uploadAll(form, list, files, input);
      } else {
        showListMessage(list, 'Choose one or more files first.');
        input.focus();
      }
    });
    setUpDropZone(wholePage ? document : form, form, list, input);
  }

  function appendList(form) {
    const list = document.createElement('ul');
    list.setAttribute('data-upload-progress', '');
    form.appendChild(list);
    return list;
  }

  /** `zone` (the page, or the form) takes drops; the form shows that files are over it. */
  function setUpDropZone(zone, form, list, input) {
    let depth = 0;
    const hasFiles = (event) => Array.from(event.dataTransfer ? event.dataTransfer.types : []).includes('Files');
    zone.addEventListener('dragenter', (event) => {
      if (!hasFiles(event)) return;
      depth += 1;
      form.setAttribute('data-dragover', '');
    });
    zone.addEventListener('dragleave', (event) => {
      if (!hasFiles(event)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) form.removeAttribute('data-dragover');
    });
    zone.addEventListener('dragover', (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault(); // allows the drop
      event.dataTransfer.dropEffect = 'copy';
    });
    zone.addEventListener('drop', (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault(); // never let the browser navigate to the file
      depth = 0;
      form.removeAttribute('data-dragover');
      const files = Array.from(event.dataTransfer.files || []);
      if (files.length) uploadAll(form, list, files, input);
    });
  }

  async function uploadAll(form, list, files, input) {
    const rows = files.map((file) => progressRow(list, file));
    const maxBytes = Number(form.getAttribute('data-max-bytes')) || 0;
    if (input) input.value = ''; // the picker is free for the next batch
    list.setAttribute('aria-busy', 'true');
    let next = 0;
    let failed = 0;
    const worker = async () => {
      while (next < files.length) {
        const i = next;
        next += 1;
        const ok = maxBytes && files[i].size > maxBytes
          ? tooLarge(files[i], rows[i], maxBytes)
          : await uploadOne(form, files[i], rows[i]);
        if (!ok) failed += 1;
      }
    };
    const workers = [];
    for (let w = 0; w < Math.min(PARALLEL_UPLOADS, files.length); w += 1) workers.push(worker());
    await Promise.all(workers);
    list.removeAttribute('aria-busy');
    await refreshListing();
    const done = files.length - failed;
    announce(failed
      ? `${done} of ${files.length} files uploaded; ${failed} failed.`
      : `${done} ${done === 1 ? 'file' : 'files'} uploaded.`);
  }

  /** One <li>: the file's name, a <progress>, the percent, then the outcome. */
  function progressRow(list, file) {
    const li = document.createElement('li');
    li.setAttribute('data-state', 'uploading');
    const name = document.createElement('span');
    name.className = 'upload-name';
    name.textContent = file.name;
    const bar = document.createElement('progress');
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute('aria-label', `Uploading ${file.name}`);
    const percent = document.createElement('span');
    percent.className = 'upload-percent';
    percent.textContent = '0%';
    const message = document.createElement('span');
    message.className = 'upload-message';
    li.append(name, ' ', bar, ' ', percent, ' ', message);
    list.appendChild(li);
    return { li, bar, percent, message };
  }

  /** The server would refuse it anyway (data-max-bytes is its limit): say so now. */
  function tooLarge(file, row, maxBytes) {
    finish(row, 'error', `This file is ${formatBytes(file.size)}; the server accepts at most ${formatBytes(maxBytes)} per file.`);
    return false;
  }

  function formatBytes(n) {
    if (n >= 1024 * 1024 * 1024) return `${(n / (1024 * 1024 * 1024)).toFixed(1)} GB`;
    if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
    if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
    return `${n} bytes`;
  }

  function setProgress(row, fraction) {
    const pct = Math.max(0, Math.min(100, Math.round(fraction * 100)));
    row.bar.value = pct;
    row.percent.textContent = `${pct}%`;
  }

  /** Sends one file as the form would (same action, same hidden fields). */
  function uploadOne(form, file, row) {
    return new Promise((resolve) => {
      const data = new FormData(form);
      const field = (form.querySelector('input[type=file]') || {}).name || 'file';
      data.delete(field);
      data.append(field, file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open((form.getAttribute('method') || 'POST').toUpperCase(), form.action || window.location.href);
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.upload.addEventListener('progress', (event) => {
        if (event.lengthComputable && event.total > 0) setProgress(row, event.loaded / event.total);
      });
      xhr.addEventListener('load', () => {
        const error = uploadError(xhr);
        if (error) {
          finish(row, 'error', error);
          resolve(false);
        } else {
          setProgress(row, 1);
          finish(row, 'done', 'Uploaded');
          resolve(true);
        }
      });
      xhr.addEventListener('error', () => {
        finish(row, 'error', 'The upload did not reach the server (the connection was closed; the file may be too large).');
        resolve(false);
      });
      xhr.addEventListener('abort', () => {
        finish(row, 'error', 'The upload was cancelled.');
        resolve(false);
      });
      xhr.send(data);
    });
  }

  /** null when the server accepted the file, else the message to show. */
  function uploadError(xhr) {
    let body = null;
    try { body = JSON.parse(xhr.responseText); } catch (_) { body = null; }
    const ok = xhr.status >= 200 && xhr.status < 300;
    if (ok && body && typeof body === 'object' && body.ok !== false && !body.error) return null;
    // A page instead of JSON: most likely the session ended and the request
    // was sent to the sign-in page.
    if (ok) return 'The server did not confirm this upload (has the session ended?). Reload the page and check.';
    const message = body && (typeof body.error === 'string' ? body.error
      : body.error && typeof body.error.message === 'string' ? body.error.message : null);
    if (message) return message;
    if (xhr.status === 413) return 'This file is larger than the server accepts.';
    if (xhr.status === 403) return 'The server refused the upload; reload the page and try again.';
    return `The upload failed (HTTP ${xhr.status}).`;
  }

  function finish(row, state, text) {
    row.li.setAttribute('data-state', state);
    row.message.textContent = text;
    if (state === 'error') {
      row.percent.textContent = '';
      row.message.classList.add('error');
      row.message.setAttribute('role', 'alert');
      row.bar.setAttribute('aria-label', `Upload of ${row.li.firstChild.textContent} failed`);
    } else {
      row.bar.setAttribute('aria-label', `Uploaded ${row.li.firstChild.textContent}`);
    }
  }

  function showListMessage(list, text) {
    const li = document.createElement('li');
    li.setAttribute('data-state', 'error');
    li.setAttribute('role', 'alert');
    li.textContent = text;
    list.appendChild(li);
  }

  /**
   * Shows the new files without a reload (which would wipe the progress list
   * and its errors): fetches this page again and swaps every [data-listing]
   * element for its fresh copy. Pages without one are reloaded instead.
   */
  async function refreshListing() {
    const current = document.querySelectorAll('[data-listing]');
    if (!current.length) {
      if (!document.querySelector('[data-upload-progress] li[data-state=error]')) window.location.reload();
      return;
    }
    try {
      const res = await fetch(window.location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
      if (!res.ok) return;
      const fresh = new DOMParser().parseFromString(await res.text(), 'text/html').querySelectorAll('[data-listing]');
      current.forEach((el, i) => {
        if (fresh[i]) el.replaceWith(document.adoptNode(fresh[i]));
      });
    } catch (_) {
      // The files are uploaded; a manual reload shows them.
    }
  }

  // ------------------------------------------------------------- copy links

  function setUpCopy(button) {
    const status = copyStatusFor(button);
    button.addEventListener('click', async () => {
      const text = button.getAttribute('data-copy') || '';
      status.textContent = '';
      if (await copyText(text, button)) {
        status.textContent = 'Copied';
        status.setAttribute('data-state', 'copied');
      } else {
        const field = fieldShowing(text, button);
        if (field) field.select();
        status.textContent = field ? 'Could not copy: the text is selected, press Ctrl+C (⌘C on a Mac).'
          : 'Could not copy; select the text and copy it by hand.';
        status.setAttribute('data-state', 'error');
      }
    });
  }

  /**
   * The Clipboard API exists only in secure contexts (https or localhost);
   * a server reached over plain http on a LAN address falls back to the
   * older selection-and-copy command.
   */
  async function copyText(text, button) {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch (_) {
        // Denied or unavailable: try the fallback.
      }
    }
    const shown = fieldShowing(text, button);
    const field = shown || document.createElement('textarea');
    if (!shown) {
      field.value = text;
      field.className = 'visually-hidden';
      field.setAttribute('readonly', '');
      field.setAttribute('aria-hidden', 'true');
      field.tabIndex = -1;
      button.after(field);
    }
    try {
      field.select();
      field.setSelectionRange(0, text.length);
      return document.execCommand('copy');
    } catch (_) {
      return false;
    } finally {
      if (!shown) field.remove();
      button.focus();
    }
  }

  /** The read-only field next to the button that shows the same text, if any. */
  function fieldShowing(text, button) {
    const scope = button.parentElement || document;
    return Array.from(scope.querySelectorAll('input[readonly], textarea[readonly]')).find((f) => f.value === text) || null;
  }

  /** A polite live region right after the button (created once, empty). */
  function copyStatusFor(button) {
    const existing = button.nextElementSibling;
    if (existing && existing.hasAttribute('data-copy-status')) return existing;
    const status = document.createElement('span');
    status.className = 'copy-status';
    status.setAttribute('data-copy-status', '');
    status.setAttribute('role', 'status');
    status.setAttribute('aria-live', 'polite');
    button.after(status);
    return status;
  }

  // ---------------------------------------------------- page-level announcer

  let liveRegion = null;

  /** The page's polite live region for outcomes (created empty, once). */
  function announcer() {
    if (!liveRegion) {
      liveRegion = document.createElement('p');
      liveRegion.className = 'visually-hidden';
      liveRegion.setAttribute('data-announcer', '');
      liveRegion.setAttribute('role', 'status');
      liveRegion.setAttribute('aria-live', 'polite');
      document.body.appendChild(liveRegion);
    }
    return liveRegion;
  }

  function announce(text) {
    announcer().textContent = text;
  }

  // ------------------------------------------------ link form: instant checks

  // The same rules as crates/core/src/links.rs (the server re-checks all).
  const TITLE_MAX = 255;
  const PASSWORD_MIN = 8;
  const PASSWORD_MAX = 30;
  const MAX_LIFETIME_MS = 10 * 366 * 24 * 3600 * 1000;

  /** A limit the server wrote on the field (data-minlength, ...), else the default. */
  function limit(field, attr, fallback) {
    const n = Number(field.getAttribute(attr));
    return Number.isInteger(n) && n > 0 ? n : fallback;
  }

  const RULES = {
    title(value, field) {
      const max = limit(field, 'data-maxlength', TITLE_MAX);
      return Array.from(value).length > max ? `The title can be at most ${max} characters.` : '';
    },
    password(value, field) {
      if (value === '') return '';
      const min = limit(field, 'data-minlength', PASSWORD_MIN);
      const max = limit(field, 'data-maxlength', PASSWORD_MAX);
      const len = Array.from(value).length;
      if (len < min || len > max || !/^[\x21-\x7e]*$/.test(value)) {
        return `Password must contain from ${min} to ${max} characters, only latin letters, digits and symbols, no spaces.`;
      }
      return '';
    },
    expires(value) {
      if (value === '') return '';
      const when = parseLocalDate(value);
      if (when === null) return 'Enter a date and time, for example 2030-01-31 18:00.';
      if (when <= Date.now()) return 'The expiry must be in the future.';
      if (when > Date.now() + MAX_LIFETIME_MS) return 'The expiry can be at most ten years away.';
      return '';
    },
  };

  /** A datetime-local / date value as the browser's local time, in ms. */
  function parseLocalDate(value) {
    const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(value.trim());
    if (!m) {
      const t = Date.parse(value);
      return Number.isNaN(t) ? null : t;
    }
    const [, y, mo, d, h = '23', mi = '59', s = '59'] = m;
    const t = new Date(+y, +mo - 1, +d, +h, +mi, +s).getTime();
    return Number.isNaN(t) ? null : t;
  }

  /** Which rule a field follows: data-validate="…", else its name. */
  function ruleFor(field) {
    const key = field.getAttribute('data-validate') || '';
    if (RULES[key]) return RULES[key];
    const name = (field.name || '').toLowerCase();
    if (name === 'title') return RULES.title;
    if (name === 'password') return RULES.password;
    if (name === 'expires' || name === 'expiration' || name === 'expirationdate' || name === 'expires_at') return RULES.expires;
    return null;
  }

  /** What each field held when the page was shown (server errors are about these). */
  const shownValues = new WeakMap();

  function setUpLinkForm(form) {
    showUtcAsLocal(form);
    const fields = Array.from(form.querySelectorAll('input, textarea')).filter((f) => ruleFor(f));
    for (const field of fields) {
      shownValues.set(field, field.value);
      const check = () => showFieldError(field, ruleFor(field)(field.value, field));
      field.addEventListener('input', () => {
        // While typing, only clear an error (never scold half-typed input).
        if (field.getAttribute('aria-invalid') === 'true') check();
      });
      field.addEventListener('change', check);
      field.addEventListener('blur', check);
    }
    form.addEventListener('submit', (event) => {
      let first = null;
      for (const field of fields) {
        const message = ruleFor(field)(field.value, field);
        showFieldError(field, message);
        if (message && !first) first = field;
      }
      if (first) {
        event.preventDefault();
        first.focus();
      }
    });
    sendUtc(form); // after the checks: it skips a submit they stopped
  }

  // ------------------------------------- date fields the server keeps in UTC

  // Without JavaScript a [data-utc-input] datetime-local field is in UTC (its
  // hint says so). With it, the person sees and types their own local time:
  // the value is shown in local time on load, the hint names the zone, and on
  // submit a hidden field carries the UTC value under the field's name. So the
  // server always receives UTC and its "unchanged expiry" check still works.

  const pad = (n) => String(n).padStart(2, '0');

  function formatLocal(d) {
    const secs = d.getSeconds() ? `:${pad(d.getSeconds())}` : '';
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}${secs}`;
  }

  function utcToLocal(value) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
    if (!m) return value;
    const [, y, mo, d, h, mi, s = '0'] = m;
    return formatLocal(new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s)));
  }

  function localToUtc(value) {
    const t = parseLocalDate(value);
    if (t === null || !/T/.test(value)) return value; // the server names the mistake
    const iso = new Date(t).toISOString(); // 2030-01-31T17:00:00.000Z
    return iso.endsWith(':00.000Z') ? iso.slice(0, 16) : iso.slice(0, 19);
  }

  function zoneName() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
    } catch (_) {
      return 'local time';
    }
  }

  /** Shows UTC values in local time (before anything reads the fields). */
  function showUtcAsLocal(form) {
    for (const field of form.querySelectorAll('input[data-utc-input]')) {
      if (field.value) field.value = utcToLocal(field.value);
      for (const id of (field.getAttribute('aria-describedby') || '').split(/\s+/)) {
        const hint = id && document.getElementById(id);
        if (hint && hint.classList.contains('hint') && /\bin UTC\b/.test(hint.textContent)) {
          hint.textContent = hint.textContent.replace(/\bin UTC\b/, `in your time zone (${zoneName()})`);
        }
      }
    }
  }

  /** On submit, UTC copies of the fields travel under their names. */
  function sendUtc(form) {
    const fields = Array.from(form.querySelectorAll('input[data-utc-input]'));
    if (!fields.length) return;
    form.addEventListener('submit', (event) => {
      if (event.defaultPrevented) return;
      for (const field of fields) {
        if (!field.name) continue;
        const copy = document.createElement('input');
        copy.type = 'hidden';
        copy.name = field.name;
        copy.value = field.value ? localToUtc(field.value) : '';
        copy.setAttribute('data-utc-copy', '');
        field.setAttribute('data-name', field.name);
        field.removeAttribute('name');
        form.appendChild(copy);
      }
    });
    // Back/forward cache: the page comes back as it was left, with the copy.
    window.addEventListener('pageshow', () => {
      form.querySelectorAll('input[data-utc-copy]').forEach((copy) => copy.remove());
      for (const field of fields) {
        if (field.hasAttribute('data-name')) field.name = field.getAttribute('data-name');
      }
    });
  }

  const same = (a, b) => a.trim().replace(/\.$/, '') === b.trim().replace(/\.$/, '');

  /**
   * The message goes right after the field and is tied to it for screen
   * readers. The server's own message for the field (#<id>-error) stays until
   * the value changes and passes these checks; then it is about an old value.
   */
  function showFieldError(field, message) {
    const serverBox = field.id ? document.getElementById(`${field.id}-error`) : null;
    if (serverBox && !serverBox.hasAttribute('data-js-error')) {
      const stale = !message && field.value !== shownValues.get(field);
      serverBox.hidden = stale;
      if (stale) field.removeAttribute('data-server-invalid');
      else if (message && !serverBox.hidden && same(serverBox.textContent, message)) message = '';
    }
    const id = `${field.id || field.name}-js-error`;
    let box = document.getElementById(id);
    if (!box && message) {
      box = document.createElement('p');
      box.id = id;
      box.className = 'field-error';
      box.setAttribute('data-js-error', '');
      box.setAttribute('aria-live', 'polite');
      field.after(box);
    }
    const described = (field.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
    if (message) {
      box.textContent = message;
      box.hidden = false;
      field.setAttribute('aria-invalid', 'true');
      if (!described.includes(id)) field.setAttribute('aria-describedby', [...described, id].join(' '));
    } else {
      if (box) {
        box.textContent = '';
        box.hidden = true;
      }
      // A server-rendered error for this field still stands until the next
      // submit; only drop aria-invalid if the server did not set it.
      if (!field.hasAttribute('data-server-invalid')) field.removeAttribute('aria-invalid');
      if (described.includes(id)) field.setAttribute('aria-describedby', described.filter((d) => d !== id).join(' '));
      if (field.getAttribute('aria-describedby') === '') field.removeAttribute('aria-describedby');
    }
  }

  // ------------------------------------------------------------------ start

  function start() {
    document.querySelectorAll('form[data-upload]').forEach((form, i) => setUpUpload(form, i === 0));
    document.querySelectorAll('button[data-copy]').forEach(setUpCopy);
    document.querySelectorAll('form[data-link-form]').forEach(setUpLinkForm);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();

// The owner's web app in a real browser (Debian's Chromium through
// playwright-core), against the release binary on a free port with a fresh
// data directory:
//
//   SPACELINKS_BIN=$CARGO_TARGET_DIR/release/spacelinks node --test tests/browser/
//
// The flows follow issue 9: sign in, upload by drag and drop, create a link
// with a password and an expiry, copy it, open it as a stranger, download,
// see that in the link's activity, revoke it; CSRF; axe-core on every page;
// a 390 px phone; JavaScript off; the keyboard alone. Screenshots of every
// page go to $SPACELINKS_SCREENSHOTS or a temp folder printed at the start and
// the end of the run. The selectors are the accessible names of the issue's
// "UI contract" (labels, button texts), so these tests also hold the pages to
// it.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  clickAndWait, closeSuite, dropFiles, openSuite, OWNER_PASSWORD, pageScrollWidth, PNG_BASE64,
  seriousAxeViolations, signIn, startServer,
} from './harness.mjs';

const LINK_PASSWORD = 'Tr0ub4dor&3';
const PHONE = { width: 390, height: 844 };
const PNG = Buffer.from(PNG_BASE64, 'base64');

let server;
let api;
let browser;
let shots;
let shotCount = 0;

before(async () => {
  ({ server, api, browser, shots } = await openSuite());
});

after(() => closeSuite({ server, browser, shots }));

/** A full-page screenshot, numbered in the order taken. */
async function shot(page, name) {
  shotCount += 1;
  const file = `webapp-${String(shotCount).padStart(2, '0')}-${name}.png`;
  await page.screenshot({ path: join(shots, file), fullPage: true });
}

/** A browser session that remembers every CSP violation its pages report. */
async function newSession(options = {}) {
  const context = await browser.newContext({ acceptDownloads: true, ...options });
  const cspViolations = [];
  const pageErrors = [];
  context.on('page', (p) => {
    p.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });
    p.on('pageerror', (e) => pageErrors.push(String(e)));
  });
  const page = await context.newPage();
  return { context, page, cspViolations, pageErrors };
}

/** A text file's bytes, unique to this run (so a download proves the right file). */
function uniqueBytes(label, size = 48 * 1024) {
  const line = `${label} ${randomBytes(12).toString('hex')}\n`;
  return Buffer.from(line.repeat(Math.ceil(size / line.length)));
}

/** The card (<article>) of the link whose URL or title is `text`, on a file page. */
function linkRow(page, text) {
  return page.locator('article').filter({ hasText: text });
}

/** The share URL shown on a file page (the first, or the one in `row`). */
async function shownLinkUrl(scope) {
  const copy = scope.getByRole('button', { name: 'Copy link' }).first();
  const url = await copy.getAttribute('data-copy');
  assert.match(url ?? '', /^https?:\/\//, 'the Copy link button carries an absolute URL');
  return url;
}

/** A link's action by its name: a button or a link (both work without JS). */
function action(scope, name) {
  return scope.getByRole('button', { name, exact: true }).or(scope.getByRole('link', { name, exact: true }));
}

/**
 * Fills the New link form (its labels are the UI contract). `expires` is a
 * Date; with JavaScript the field takes the browser's local time, without it
 * UTC (`utc: true`), as the field's hint says.
 */
async function fillLinkForm(page, { title, password, expires, access, utc = false } = {}) {
  if (title !== undefined) await page.getByLabel('Title', { exact: true }).fill(title);
  if (access !== undefined) await page.getByLabel('Access', { exact: true }).selectOption({ label: access });
  if (password !== undefined) await page.getByLabel('Password', { exact: true }).fill(password);
  if (expires !== undefined) {
    await page.getByLabel('Expires', { exact: true }).fill(utc ? expires.toISOString().slice(0, 16) : await localDateTime(page, expires));
  }
}

/** A Date as a datetime-local value in the browser's time zone. */
async function localDateTime(page, d) {
  return page.evaluate((ms) => {
    const t = new Date(ms);
    const p = (n) => String(n).padStart(2, '0');
    return `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())}T${p(t.getHours())}:${p(t.getMinutes())}`;
  }, d.getTime());
}

/** The expiry of the link `url` on file `fileId`, through the API (ms since the epoch). */
async function apiLink(fileId, url) {
  const links = await api.call('GET', `/api/2.0/files/file/${fileId}/links`);
  const link = links.response.map((l) => l.sharedTo ?? l.sharedLink).find((l) => l.shareLink === url);
  assert.ok(link, `the API lists ${url}: ${JSON.stringify(links.response)}`);
  const e = link.expirationDate;
  link.expiresMs = e ? Date.parse(typeof e === 'string' ? e : e.utcTime) : null;
  return link;
}

function daysFromNow(days) {
  return new Date(Date.now() + days * 24 * 3600 * 1000);
}

/** Opens the New link form from a file page. */
async function openNewLinkForm(page) {
  await clickAndWait(page, page.getByRole('button', { name: 'New link' }));
  await page.getByLabel('Title', { exact: true }).waitFor({ state: 'visible' });
}

async function saveLink(page) {
  return clickAndWait(page, page.getByRole('button', { name: 'Save link' }));
}

/** From a file page: the file's id in its URL. */
function fileIdOf(page) {
  const m = /\/files\/file\/(\d+)/.exec(new URL(page.url()).pathname);
  assert.ok(m, `a file page URL: ${page.url()}`);
  return Number(m[1]);
}

/** Reloads `page` until `check()` holds (events are written in batches). */
async function reloadUntil(page, check, what, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) assert.fail(`${what} did not appear within ${timeoutMs} ms`);
    await page.reload();
  }
}

/**
 * Checks the page fits the phone's width (no horizontal scrolling); returns
 * '' or what sticks out, so one run can list every page that does not fit.
 */
async function phoneOverflow(page, what) {
  const width = await pageScrollWidth(page);
  if (width <= PHONE.width) return '';
  // Name the culprits: the innermost elements that stick out on the right.
  const wide = await page.evaluate((max) => Array.from(document.querySelectorAll('body *'))
    .filter((el) => el.getBoundingClientRect().right > max + 0.5
      || (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'visible'))
    .filter((el) => !Array.from(el.children).some((c) => c.getBoundingClientRect().right > max + 0.5))
    .slice(0, 5)
    .map((el) => {
      const name = (e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.className ? `.${String(e.className).trim().split(/\s+/).join('.')}` : ''}`;
      const path = [el.parentElement?.parentElement, el.parentElement, el].filter(Boolean).map(name).join(' > ');
      return `${path} (right edge ${Math.round(el.getBoundingClientRect().right)})`;
    }), PHONE.width);
  return `${what}: scrollWidth ${width} > ${PHONE.width}; sticking out: ${wide.join(', ')}`;
}

async function assertNoSeriousAxe(page, what) {
  const violations = await seriousAxeViolations(page);
  assert.deepEqual(violations, [], `${what}: axe-core finds serious or critical violations`);
}

// ----------------------------------------------------------------------------
// The main flow: each test builds on the one before (one owner session).
// ----------------------------------------------------------------------------

describe('owner web app: the main flow', { timeout: 300_000 }, () => {
  let owner;
  let recipient;
  const uploads = [
    { name: 'quarterly report.txt', type: 'text/plain', bytes: uniqueBytes('quarterly report') },
    { name: 'team photo.png', type: 'image/png', bytes: PNG },
  ];
  let linkUrl;
  let fileUrl;

  before(async () => {
    // Not UTC, so that the local-time expiry field is really converted.
    owner = await newSession({ permissions: ['clipboard-read', 'clipboard-write'], timezoneId: 'America/New_York' });
    await owner.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
  });
  after(async () => {
    await owner?.context.close();
    await recipient?.context.close();
  });

  test('1. sign in: a wrong password is refused, the right one opens Files', async () => {
    const { page, context } = owner;
    const res = await page.goto(`${server.baseUrl}/`);
    assert.equal(res.status(), 200);
    assert.match((await res.allHeaders())['cache-control'] ?? '', /no-store/, 'pages are no-store');
    await shot(page, 'sign-in');

    await page.getByLabel('Email', { exact: true }).fill('owner@example.com');
    await page.getByLabel('Password', { exact: true }).fill('not-the-password');
    await clickAndWait(page, page.getByRole('button', { name: 'Sign in' }));
    assert.ok(!new URL(page.url()).pathname.startsWith('/files'), 'a wrong password does not sign in');
    assert.match(await page.getByRole('alert').innerText(), /(not correct|invalid|wrong|incorrect)/i, 'the page says why');
    assert.equal(await page.getByLabel('Email', { exact: true }).inputValue(), 'owner@example.com', 'the e-mail is kept');
    assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '', 'the password is not echoed');
    assert.equal((await context.cookies()).length, 0, 'a failed sign-in sets no cookie');
    await shot(page, 'sign-in-error');

    await signIn(page, server.baseUrl);
    assert.match(new URL(page.url()).pathname, /^\/files/);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.getByRole('link', { name: 'Files', exact: true }).waitFor();
    await page.getByRole('link', { name: 'API keys', exact: true }).waitFor();
    const cookies = await context.cookies();
    assert.equal(cookies.length, 1, `one session cookie: ${JSON.stringify(cookies.map((c) => c.name))}`);
    assert.ok(cookies[0].httpOnly, 'the session cookie is HttpOnly');
    assert.equal(cookies[0].sameSite, 'Strict', 'the session cookie is SameSite=Strict');
    assert.ok(!cookies[0].value.includes(OWNER_PASSWORD), 'the cookie does not carry the password');
    assert.ok(!page.url().includes(cookies[0].value), 'no secret in the URL');
    await shot(page, 'files-empty');
  });

  test('2. upload two files by drag and drop: progress per file, then both listed', async () => {
    const { page } = owner;
    const form = page.locator('form[data-upload]');
    await form.waitFor();
    assert.equal(await page.getByLabel('Upload files').getAttribute('type'), 'file');
    const requests = [];
    page.on('request', (r) => { if (r.method() === 'POST') requests.push(r); });

    await dropFiles(page, form, uploads, {
      beforeDrop: async () => assert.equal(await form.getAttribute('data-dragover'), '', 'the form shows files are over the page'),
    });
    assert.equal(await form.getAttribute('data-dragover'), null, 'and stops after the drop');

    // One row per file with its name and a <progress>, which reaches 100%.
    const rows = page.locator('[data-upload-progress] li');
    await page.waitForFunction(() => document.querySelectorAll('[data-upload-progress] li').length === 2);
    for (const f of uploads) {
      const row = rows.filter({ hasText: f.name });
      assert.equal(await row.locator('progress').count(), 1, `${f.name} has a progress bar`);
      await row.and(page.locator('[data-state=done]')).waitFor();
      assert.equal(await row.locator('progress').evaluate((p) => p.value / p.max), 1, `${f.name}: the bar is full`);
      assert.match(await row.innerText(), /100\s*%/, `${f.name}: 100% shown`);
    }
    await page.locator('[data-announcer]').filter({ hasText: '2 files uploaded.' }).waitFor({ state: 'attached' });
    assert.equal(await page.locator('[data-announcer]').getAttribute('role'), 'status', 'screen readers hear the outcome');
    const uploadPosts = requests.filter((r) => (r.headers().accept ?? '').includes('application/json'));
    assert.equal(uploadPosts.length, 2, 'one request per file, asking for JSON');
    await shot(page, 'files-uploaded');

    // The listing shows both files, as links named by the file.
    for (const f of uploads) {
      await page.getByRole('link', { name: f.name, exact: true }).waitFor();
    }
    // And still there after a reload (the list was refreshed in place).
    await page.reload();
    for (const f of uploads) {
      await page.getByRole('link', { name: f.name, exact: true }).waitFor();
    }
    await shot(page, 'files-listed');
  });

  test('3. open a file and create a link with a password and an expiry', async () => {
    const { page } = owner;
    await clickAndWait(page, page.getByRole('link', { name: uploads[0].name, exact: true }));
    fileUrl = page.url();
    assert.match(new URL(fileUrl).pathname, /^\/files\/file\/\d+$/);
    assert.equal(await page.locator('h1').innerText(), uploads[0].name);
    // The owner's Download gives the bytes that were dropped.
    const own = await page.request.get(await page.locator('a[download]').first().evaluate((a) => a.href));
    assert.equal(own.status(), 200);
    assert.deepEqual(await own.body(), uploads[0].bytes, 'the stored file is the dropped file, byte for byte');
    await shot(page, 'file-page');

    await openNewLinkForm(page);
    const hint = await page.locator('#link-expires-hint').innerText();
    assert.match(hint, /America\/New_York/, `with JavaScript the expiry is in the person's time zone: ${hint}`);
    await shot(page, 'link-form');

    // Instant checks (JS): a bad password is named next to its field before sending.
    const password = page.getByLabel('Password', { exact: true });
    await password.fill('short');
    await password.blur();
    const passwordError = page.locator('[data-js-error]').filter({ hasText: /8 to 30/ });
    await passwordError.waitFor({ state: 'visible' });
    assert.equal(await password.getAttribute('aria-invalid'), 'true');
    const expiresField = page.getByLabel('Expires', { exact: true });
    await expiresField.fill(await localDateTime(page, daysFromNow(-1)));
    await expiresField.blur();
    await page.locator('[data-js-error]').filter({ hasText: /future/ }).waitFor({ state: 'visible' });
    const titleField = page.getByLabel('Title', { exact: true });
    await titleField.fill('t'.repeat(256));
    await titleField.blur();
    await page.locator('[data-js-error]').filter({ hasText: /at most 255/ }).waitFor({ state: 'visible' });
    // Sending is stopped, and the focus goes to the first field to fix.
    await page.getByRole('button', { name: 'Save link' }).click();
    assert.match(new URL(page.url()).pathname, /\/links\/new$/, 'the form was not sent');
    assert.equal(await page.locator('[data-js-error]').filter({ hasText: /at most 255/ }).count(), 1, 'the same page, not a reload');
    assert.equal(await page.evaluate(() => document.activeElement.id), await titleField.getAttribute('id'));
    await shot(page, 'link-form-instant-errors');

    const expires = daysFromNow(7);
    const typed = await localDateTime(page, expires);
    assert.notEqual(typed, expires.toISOString().slice(0, 16), 'the browser is not on UTC (the conversion is tested)');
    await fillLinkForm(page, { title: 'For the auditors', password: LINK_PASSWORD, expires });
    await password.blur();
    await passwordError.waitFor({ state: 'hidden' });
    await saveLink(page);
    assert.equal(page.url().split('#')[0], fileUrl.split('#')[0], 'saving returns to the file page');

    const row = linkRow(page, 'For the auditors');
    await row.waitFor();
    linkUrl = await shownLinkUrl(row);
    assert.ok((await row.innerText()).includes(linkUrl), 'the link URL is shown as text');
    assert.ok(!(await row.innerText()).includes(LINK_PASSWORD), 'the password is hidden until asked for');
    assert.ok((await page.content()).includes(linkUrl), 'URL on the page');
    const qr = row.getByRole('img', { name: /^QR code/ });
    await qr.waitFor();
    for (const name of ['Copy link', 'Edit', 'Revoke', 'Activity']) {
      assert.equal(await action(row, name).count(), 1, `the link offers ${name}`);
    }
    // The link really has the password and the expiry (through the API): the
    // local time typed became the right instant.
    const fileId = fileIdOf(page);
    const made = await apiLink(fileId, linkUrl);
    assert.equal(made.title, 'For the auditors');
    assert.equal(made.password, LINK_PASSWORD);
    assert.ok(Math.abs(made.expiresMs - expires.getTime()) < 60_000, `expiry ${JSON.stringify(made.expirationDate)} is the instant typed (${typed} local)`);
    await shot(page, 'file-page-with-link');

    // Edit shows the same local time; saving it unchanged keeps the instant.
    await clickAndWait(page, action(row, 'Edit'));
    assert.equal(await page.getByLabel('Expires', { exact: true }).inputValue(), typed, 'the edit form shows local time');
    assert.equal(await page.getByLabel('Title', { exact: true }).inputValue(), 'For the auditors');
    await page.getByLabel('Deny download', { exact: true }).check();
    await page.getByLabel('Deny download', { exact: true }).uncheck();
    await saveLink(page);
    assert.equal(page.url().split('#')[0], fileUrl);
    const edited = await apiLink(fileId, linkUrl);
    assert.equal(edited.expiresMs, made.expiresMs, 'an unchanged expiry stays the same instant');
    assert.equal(edited.password, LINK_PASSWORD, 'and the password stays');
  });

  test('4. Copy link puts the shown URL on the clipboard and says Copied', async () => {
    const { page } = owner;
    const row = linkRow(page, linkUrl);
    await page.evaluate(() => navigator.clipboard.writeText('nothing yet'));
    await row.getByRole('button', { name: 'Copy link' }).click();
    const status = row.locator('[role=status], [aria-live]').filter({ hasText: 'Copied' });
    await status.waitFor({ state: 'visible' });
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), linkUrl);
    await shot(page, 'copied');

    // Over plain http on a LAN address there is no Clipboard API (it needs a
    // secure context): the older copy command still copies.
    await page.evaluate(() => navigator.clipboard.writeText('nothing yet'));
    const insecure = await owner.context.newPage();
    try {
      await insecure.addInitScript(() => {
        Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined, configurable: true });
      });
      await insecure.goto(fileUrl);
      assert.equal(await insecure.evaluate(() => typeof navigator.clipboard), 'undefined');
      const again = linkRow(insecure, linkUrl);
      await again.getByRole('button', { name: 'Copy link' }).click();
      await again.locator('[data-copy-status]').filter({ hasText: 'Copied' }).waitFor();
    } finally {
      await insecure.close();
    }
    await page.bringToFront();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), linkUrl, 'copied without the Clipboard API');
  });

  test('5. a stranger opens the link, types the password and downloads the same bytes', async () => {
    recipient = await newSession();
    const { page } = recipient;
    await page.goto(linkUrl);
    await page.locator('#password-form').waitFor();
    await page.fill('#password', 'wrong-password-1');
    await clickAndWait(page, page.locator('#unlock'));
    await page.locator('#message').waitFor();
    await page.fill('#password', LINK_PASSWORD);
    await clickAndWait(page, page.locator('#unlock'));
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download').click()]);
    assert.equal(await download.failure(), null);
    assert.equal(download.suggestedFilename(), uploads[0].name);
    assert.deepEqual(await readFile(await download.path()), uploads[0].bytes, 'the downloaded bytes are the uploaded ones');
    await shot(page, 'share-page-unlocked');
  });

  test('6. the link\'s activity shows that visit and that download, with the client IP', async () => {
    const { page } = owner;
    await page.goto(fileUrl);
    const row = linkRow(page, linkUrl);
    await clickAndWait(page, action(row, 'Activity'));
    const events = page.locator('tbody tr');
    const download = events.filter({ hasText: 'Downloaded' });
    await reloadUntil(page, async () => (await download.count()) >= 1, 'the download event');
    assert.equal(await download.count(), 1, 'one download');
    const cells = async (row) => (await row.locator('td').allInnerTexts()).map((t) => t.trim());
    const [, what, ip, ua] = await cells(download);
    assert.equal(what, 'Downloaded');
    assert.equal(ip, '127.0.0.1', 'the download shows the client IP');
    assert.match(ua, /Chrom/, 'and the browser');
    const opened = events.filter({ hasText: 'Opened' });
    assert.ok(await opened.count() >= 1, 'the visit is listed');
    assert.equal((await cells(opened.last()))[2], '127.0.0.1', 'the visit shows the client IP');
    assert.equal(await events.filter({ hasText: 'Password failed' }).count(), 1, 'the wrong password is listed');
    // Newest first: the download came last, so it is the first row, and the
    // times never go up down the table.
    assert.equal((await cells(events.first()))[1], 'Downloaded', 'newest first');
    const times = await events.locator('time').evaluateAll((ts) => ts.map((t) => Date.parse(t.getAttribute('datetime'))));
    assert.ok(times.every((t) => !Number.isNaN(t)), `machine-readable times: ${times}`);
    assert.ok(times.every((t, i) => i === 0 || t <= times[i - 1]), `newest first: ${times}`);
    // Counters at the top.
    assert.ok(Number(await page.locator('#count-opens').innerText()) >= 1, 'opens counted');
    assert.equal(await page.locator('#count-downloads').innerText(), '1', 'one download counted');
    assert.notEqual((await page.locator('#last-opened').innerText()).trim(), 'Never');
    await shot(page, 'activity');
  });

  test('7. revoke (with a confirmation), and the stranger\'s reload shows the invalid-link page', async () => {
    const { page } = owner;
    await page.goto(fileUrl);
    const row = linkRow(page, linkUrl);
    await clickAndWait(page, action(row, 'Revoke'));
    assert.notEqual(page.url(), fileUrl, 'a confirmation page comes first');
    await shot(page, 'revoke-confirm');
    const stillWorks = await recipient.page.reload();
    assert.equal(stillWorks.status(), 200, 'nothing is revoked before the confirmation');
    await clickAndWait(page, page.locator('main').getByRole('button', { name: /revoke/i }));
    assert.equal(page.url(), fileUrl, 'back on the file page');
    assert.equal(await page.getByText(linkUrl).count(), 0, 'the link is gone from the file page');
    await shot(page, 'file-page-revoked');

    const res = await recipient.page.reload();
    assert.equal(res.status(), 404);
    assert.match(await recipient.page.locator('h1').innerText(), /not valid/i);
    const direct = await recipient.page.goto(linkUrl);
    assert.equal(direct.status(), 404);
    await shot(recipient.page, 'share-page-invalid');
    assert.deepEqual(owner.cspViolations, [], 'the owner pages run within their CSP');
    assert.deepEqual(owner.pageErrors, [], 'no JavaScript errors on the owner pages');
  });
});

// ----------------------------------------------------------------------------
// Safety, accessibility, phone, JavaScript off, keyboard: each on its own.
// ----------------------------------------------------------------------------

/** The fields a form would send, as strings (files left out). */
async function formFields(form) {
  return form.evaluate((f) => Object.fromEntries([...new FormData(f)].filter(([, v]) => typeof v === 'string')));
}

describe('owner web app: CSRF', { timeout: 120_000 }, () => {
  test('8. a form POST replayed without its CSRF token is 403', async () => {
    const { context, page } = await newSession();
    const other = await newSession();
    try {
      await signIn(page, server.baseUrl);
      await signIn(other.page, server.baseUrl);
      const form = page.locator('form[method=post i]').filter({ has: page.getByRole('button', { name: 'New folder' }) });
      const action = await form.evaluate((f) => f.action);
      const fields = await formFields(form);
      assert.ok(fields.csrf, `the New folder form carries a csrf field: ${JSON.stringify(fields)}`);
      const nameField = Object.keys(fields).find((k) => k !== 'csrf') ?? 'name';
      const post = (body) => page.request.post(action, { form: body, maxRedirects: 0, failOnStatusCode: false });
      const listing = async () => (await page.request.get(`${server.baseUrl}/files`)).text();

      const { csrf, ...withoutToken } = fields;
      const cases = [
        ['no token', { ...withoutToken, [nameField]: 'csrf-missing' }],
        ['empty token', { ...withoutToken, csrf: '', [nameField]: 'csrf-empty' }],
        ['a forged token', { ...withoutToken, csrf: `${csrf.slice(0, -4)}AAAA`, [nameField]: 'csrf-forged' }],
        ['another session\'s token', { ...withoutToken, csrf: (await formFields(other.page.locator('form[method=post i]').filter({ has: other.page.getByRole('button', { name: 'New folder' }) }))).csrf, [nameField]: 'csrf-other' }],
      ];
      for (const [what, body] of cases) {
        const res = await post(body);
        assert.equal(res.status(), 403, `${what}: ${res.status()} ${await res.text()}`);
        assert.ok(!(await listing()).includes(body[nameField]), `${what}: nothing was created`);
      }
      // The upload form's JSON answer, without its token: 403 with a message.
      const upload = page.locator('form[data-upload]');
      const up = await page.request.post(await upload.evaluate((f) => f.action), {
        headers: { Accept: 'application/json' },
        multipart: { file: { name: 'csrf.txt', mimeType: 'text/plain', buffer: Buffer.from('x') } },
        maxRedirects: 0,
        failOnStatusCode: false,
      });
      assert.equal(up.status(), 403, 'an upload without the token');
      assert.ok((await up.json()).error, 'the JSON answer names the error');
      assert.ok(!(await listing()).includes('csrf.txt'), 'the file was not stored');

      // Signing in needs the sign-in form's token too.
      const anon = await browser.newContext();
      const signin = await anon.request.post(`${server.baseUrl}/signin`, {
        form: { email: 'owner@example.com', password: OWNER_PASSWORD }, maxRedirects: 0, failOnStatusCode: false,
      });
      assert.equal(signin.status(), 403, 'a sign-in POST without its token');
      assert.equal((await anon.cookies()).length, 0, 'and no session');
      await anon.close();

      // The same replay WITH the token works: the 403s above are the token's doing.
      const ok = await post({ ...fields, [nameField]: 'csrf-control' });
      assert.ok([200, 303].includes(ok.status()), `with the token: ${ok.status()}`);
      assert.ok((await listing()).includes('csrf-control'), 'the folder was created with the token');
    } finally {
      await context.close();
      await other.context.close();
    }
  });
});

describe('owner web app: every page', { timeout: 300_000 }, () => {
  test('9 + 11. axe-core finds no serious or critical violation on any page; a screenshot of each', async () => {
    const folderId = await api.createFolder('Projects');
    // Many and long lines: the text preview scrolls, so it must be reachable by keyboard.
    const handbook = Array.from({ length: 300 }, (_, i) => `${i + 1}. ${'rule, '.repeat(i % 40)}`).join('\n');
    const fileId = await api.upload('handbook.txt', Buffer.from(`The handbook\n${handbook}\n`), 'text/plain');
    await api.uploadTo(folderId, 'plan.txt', Buffer.from('The plan\n'), 'text/plain');
    const link = await api.createLink(fileId, { access: 2, password: LINK_PASSWORD, title: 'Handbook for partners', expirationDate: daysFromNow(30).toISOString() });
    // Some activity for the activity page.
    const visitor = await newSession();
    await visitor.page.goto(link.shareLink);
    await visitor.page.fill('#password', LINK_PASSWORD);
    await clickAndWait(visitor.page, visitor.page.locator('#unlock'));

    const { context, page, cspViolations, pageErrors } = await newSession();
    const failures = [];
    const checked = new Set();
    async function check(name, p = page) {
      checked.add(new URL(p.url()).pathname);
      await shot(p, name);
      const violations = await seriousAxeViolations(p);
      if (violations.length) failures.push(`${name} (${new URL(p.url()).pathname}):\n    ${violations.join('\n    ')}`);
    }
    const filePage = `${server.baseUrl}/files/file/${fileId}`;
    try {
      await page.goto(`${server.baseUrl}/`);
      await check('axe-sign-in');
      await page.getByLabel('Email', { exact: true }).fill('owner@example.com');
      await page.getByLabel('Password', { exact: true }).fill('wrong-password');
      await clickAndWait(page, page.getByRole('button', { name: 'Sign in' }));
      await page.getByRole('alert').waitFor();
      await check('axe-sign-in-error');
      await signIn(page, server.baseUrl);
      await check('axe-files');
      await clickAndWait(page, page.getByRole('link', { name: 'Projects', exact: true }));
      assert.equal(new URL(page.url()).pathname, `/files/folder/${folderId}`);
      await page.getByRole('link', { name: 'plan.txt', exact: true }).waitFor();
      await check('axe-folder');
      await page.goto(filePage);
      await check('axe-file-page');
      await page.getByText('Show password').first().click();
      await check('axe-file-page-password-shown');
      await openNewLinkForm(page);
      await check('axe-link-form');
      // The server's own errors (the JS checks bypassed with form.submit()).
      await fillLinkForm(page, { title: 't'.repeat(256), password: 'short' });
      await page.getByLabel('Expires', { exact: true }).fill('2001-01-01T00:00');
      const form = page.locator('form[data-link-form]');
      await Promise.all([page.waitForNavigation(), form.evaluate((f) => f.submit())]);
      await page.locator('.field-error').first().waitFor();
      await check('axe-link-form-errors');
      await page.goto(filePage);
      await clickAndWait(page, action(linkRow(page, link.shareLink), 'Edit'));
      assert.equal(await page.getByLabel('Title', { exact: true }).inputValue(), 'Handbook for partners');
      await check('axe-link-edit');
      await page.goto(filePage);
      await clickAndWait(page, action(linkRow(page, link.shareLink), 'Activity'));
      await check('axe-activity');
      await page.goto(filePage);
      await clickAndWait(page, action(linkRow(page, link.shareLink), 'Revoke'));
      await check('axe-revoke-link-confirm');
      await page.goto(filePage);
      await clickAndWait(page, page.locator('main').getByRole('button', { name: 'Delete', exact: true }));
      await check('axe-delete-file-confirm');
      await page.goto(`${server.baseUrl}/files`);
      const folderRow = page.locator('li').filter({ has: page.getByRole('link', { name: 'Projects', exact: true }) });
      await clickAndWait(page, action(folderRow, 'Delete'));
      await check('axe-delete-folder-confirm');
      await clickAndWait(page, page.getByRole('link', { name: 'API keys', exact: true }));
      await check('axe-api-keys');
      // An empty name (the browser's own check bypassed): the server's error.
      await Promise.all([page.waitForNavigation(), page.locator('form.new-key').evaluate((f) => f.submit())]);
      await page.getByRole('alert').waitFor();
      await check('axe-api-key-error');
      await page.getByLabel('Name', { exact: true }).fill('laptop');
      await clickAndWait(page, page.getByRole('button', { name: 'New API key' }));
      await page.getByRole('button', { name: 'Copy key' }).waitFor();
      await check('axe-api-key-created');

      // Every other page an owner can reach by a link (Account, pagers, ...).
      const seen = new Set(checked);
      const queue = [`${server.baseUrl}/files`];
      while (queue.length && seen.size < 60) {
        await page.goto(queue.shift());
        const hrefs = await page.$$eval('a[href]', (as) => as.map((a) => a.href));
        for (const href of hrefs) {
          const u = new URL(href);
          if (u.origin !== server.baseUrl || seen.has(u.pathname)) continue;
          if (/^\/(s|doceditor|filehandler\.ashx|static|assets|api)(\/|$)/.test(u.pathname)) continue;
          seen.add(u.pathname);
          const head = await page.request.get(u.href, { maxRedirects: 0, failOnStatusCode: false });
          if (head.status() !== 200 || !(head.headers()['content-type'] ?? '').startsWith('text/html')) continue;
          if (/attachment/i.test(head.headers()['content-disposition'] ?? '')) continue;
          await page.goto(u.href);
          await check(`axe-crawl${u.pathname.replace(/[^a-z0-9]+/gi, '-')}`);
          queue.push(u.href);
        }
      }
      assert.ok(checked.has('/account/password'), 'the crawl reached the Account page');

      // The share page, locked and unlocked, and the invalid-link page.
      const stranger = visitor.page;
      const other = await api.createLink(fileId, { access: 2, password: LINK_PASSWORD });
      await stranger.goto(other.shareLink);
      await stranger.locator('#password-form').waitFor();
      await check('axe-share-locked', stranger);
      await stranger.fill('#password', LINK_PASSWORD);
      await clickAndWait(stranger, stranger.locator('#unlock'));
      await check('axe-share-unlocked', stranger);
      await stranger.goto(`${server.baseUrl}/s/doesNotExist123`);
      await check('axe-share-invalid', stranger);

      assert.deepEqual(failures, [], `serious or critical axe-core violations:\n  ${failures.join('\n  ')}`);
      assert.deepEqual(cspViolations, [], 'every page runs within its CSP');
      assert.deepEqual(pageErrors, [], 'no JavaScript errors');
    } finally {
      await context.close();
      await visitor.context.close();
    }
  });
});

describe('owner web app: API keys', { timeout: 120_000 }, () => {
  test('a new key is shown once with Copy key, works, and Revoke ends it', async () => {
    const { context, page } = await newSession({ permissions: ['clipboard-read', 'clipboard-write'] });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
    try {
      await signIn(page, server.baseUrl);
      await clickAndWait(page, page.getByRole('link', { name: 'API keys', exact: true }));
      await page.getByLabel('Name', { exact: true }).fill('deploy script');
      await clickAndWait(page, page.getByRole('button', { name: 'New API key' }));
      const key = await page.getByRole('button', { name: 'Copy key' }).getAttribute('data-copy');
      assert.match(key, /^sk-/);
      await page.getByRole('button', { name: 'Copy key' }).click();
      await page.locator('[data-copy-status]').filter({ hasText: 'Copied' }).waitFor();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);
      const me = await fetch(`${server.baseUrl}/api/2.0/people/@self`, { headers: { Authorization: `Bearer ${key}` } });
      assert.equal(me.status, 200, 'the new key works');
      assert.ok(!page.url().includes(key), 'the key is not in the URL');

      await page.goto(`${server.baseUrl}/keys`);
      assert.ok(!(await page.content()).includes(key), 'shown only once');
      const row = page.locator('li').filter({ hasText: 'deploy script' });
      await clickAndWait(page, row.getByRole('button', { name: 'Revoke', exact: true }));
      assert.equal(await page.locator('li').filter({ hasText: 'deploy script' }).count(), 0, 'gone from the list');
      const after = await fetch(`${server.baseUrl}/api/2.0/people/@self`, { headers: { Authorization: `Bearer ${key}` } });
      assert.equal(after.status, 401, 'the revoked key no longer works');
    } finally {
      await context.close();
    }
  });
});

describe('owner web app: an upload after the session ended', { timeout: 120_000 }, () => {
  test('the file shows an error, not "Uploaded", and nothing is stored', async () => {
    const { context, page } = await newSession();
    try {
      await signIn(page, server.baseUrl);
      await context.clearCookies(); // signed out elsewhere, or the session expired
      const name = 'after sign-out.txt';
      await dropFiles(page, page.locator('form[data-upload]'), [{ name, type: 'text/plain', bytes: Buffer.from('late\n') }]);
      const row = page.locator('[data-upload-progress] li').filter({ hasText: name });
      await row.and(page.locator('[data-state=error]')).waitFor();
      assert.match(await row.locator('.upload-message').innerText(), /sign in|session/i, 'the server\'s words say what happened');
      assert.ok(!(await page.locator('[data-announcer]').innerText()).includes('1 file uploaded'), 'no success is announced');
      const listing = await api.call('GET', '/api/2.0/files/@my');
      assert.ok(!JSON.stringify(listing).includes(name), 'nothing was stored');
    } finally {
      await context.close();
    }
  });
});

describe('owner web app: the upload size limit', { timeout: 120_000 }, () => {
  let small;
  before(async () => { small = await startServer({ env: { SPACELINKS_MAX_UPLOAD_MB: '1' } }); });
  after(async () => { await small?.stop(); });
  const big = { name: 'too big.bin', type: 'application/octet-stream', bytes: randomBytes(1024 * 1024 + 4096) };

  test('with JavaScript: a clear message on the file, from the page and from the server', async () => {
    const { context, page } = await newSession();
    try {
      await signIn(page, small.baseUrl);
      const form = page.locator('form[data-upload]');
      const fine = { name: 'fine.txt', type: 'text/plain', bytes: Buffer.from('small enough\n') };
      await dropFiles(page, form, [big, fine]);
      const row = page.locator('[data-upload-progress] li').filter({ hasText: big.name });
      await row.and(page.locator('[data-state=error]')).waitFor();
      assert.match(await row.innerText(), /1(\.0)? MB/, 'the message names the limit');
      await page.locator('[data-upload-progress] li[data-state=done]').filter({ hasText: 'fine.txt' }).waitFor();
      await page.getByRole('link', { name: 'fine.txt', exact: true }).waitFor();
      await shot(page, 'limit-js-precheck');

      // Without the page's own check, the server's answer reaches the person.
      await page.locator('form[data-upload]').evaluate((f) => f.removeAttribute('data-max-bytes'));
      await dropFiles(page, form, [{ ...big, name: 'still too big.bin' }]);
      const second = page.locator('[data-upload-progress] li').filter({ hasText: 'still too big.bin' });
      await second.and(page.locator('[data-state=error]')).waitFor();
      const message = await second.locator('.upload-message').innerText();
      assert.match(message, /MB|large|limit/i, `the server's message: ${message}`);
      assert.equal(await page.getByRole('link', { name: /too big/ }).count(), 0, 'nothing too big was stored');
      await shot(page, 'limit-js-server');
    } finally {
      await context.close();
    }
  });

  test('without JavaScript: a page that says so, not a broken one', async () => {
    const { context, page } = await newSession({ javaScriptEnabled: false });
    try {
      await signIn(page, small.baseUrl);
      await page.getByLabel('Upload files').setInputFiles([{ name: big.name, mimeType: big.type, buffer: big.bytes }]);
      const res = await clickAndWait(page, page.locator('form[data-upload]').getByRole('button', { name: 'Upload', exact: true }));
      assert.equal(res.status(), 413);
      assert.match(await res.headerValue('content-type'), /^text\/html/);
      assert.match(await page.getByRole('alert').innerText(), /1(\.0)? MB|too large|larger/i);
      await shot(page, 'limit-nojs');
      assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 1, 'the page keeps the signed-in layout (Sign out, Files, API keys)');
      assert.equal(await page.getByRole('link', { name: 'Files', exact: true }).count(), 1, 'a way back: Files');
    } finally {
      await context.close();
    }
  });
});

describe('owner web app: on a phone (390 × 844)', { timeout: 300_000 }, () => {
  test('10. sign in, upload, create a link, activity, revoke: nothing overflows', async () => {
    const { context, page, cspViolations } = await newSession({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const longName = `minutes-of-the-annual-general-meeting-${'x'.repeat(60)}-final.txt`;
    const overflows = [];
    const fitsPhone = async (p, what) => {
      const problem = await phoneOverflow(p, what);
      if (problem) overflows.push(problem);
    };
    try {
      await page.goto(`${server.baseUrl}/`);
      await fitsPhone(page, 'sign-in');
      await shot(page, 'phone-sign-in');
      await signIn(page, server.baseUrl);
      await fitsPhone(page, 'files');

      // Dropped on the page, not on the form: the whole page is the drop zone.
      await dropFiles(page, page.locator('h1'), [{ name: longName, type: 'text/plain', bytes: uniqueBytes('phone') }]);
      await page.locator('[data-upload-progress] li[data-state=done]').filter({ hasText: longName }).waitFor();
      await fitsPhone(page, 'files with the progress of a long name');
      const file = page.getByRole('link', { name: longName, exact: true });
      await file.waitFor();
      await fitsPhone(page, 'files with a long name');
      await shot(page, 'phone-files');

      await clickAndWait(page, file);
      await fitsPhone(page, 'file page');
      await openNewLinkForm(page);
      await fitsPhone(page, 'link form');
      await shot(page, 'phone-link-form');
      await fillLinkForm(page, { title: 'A rather long link title that has to wrap on a phone screen', password: LINK_PASSWORD, expires: daysFromNow(3) });
      await saveLink(page);
      const url = await shownLinkUrl(page.locator('main'));
      await fitsPhone(page, 'file page with a link');
      const copy = await page.getByRole('button', { name: 'Copy link' }).first().boundingBox();
      assert.ok(copy.x >= 0 && copy.x + copy.width <= PHONE.width, 'Copy link is on screen');
      assert.ok(copy.height >= 24, `Copy link is big enough to tap (${copy.height}px)`);
      await shot(page, 'phone-file-page');

      await clickAndWait(page, action(linkRow(page, url), 'Activity'));
      await fitsPhone(page, 'activity');
      await shot(page, 'phone-activity');
      await page.goBack();
      await clickAndWait(page, action(linkRow(page, url), 'Revoke'));
      await fitsPhone(page, 'revoke confirmation');
      await shot(page, 'phone-revoke-confirm');
      await clickAndWait(page, page.locator('main').getByRole('button', { name: /revoke/i }));
      assert.equal(await page.getByText(url).count(), 0, 'revoked');
      await fitsPhone(page, 'file page after revoke');

      await clickAndWait(page, page.getByRole('link', { name: 'API keys', exact: true }));
      await fitsPhone(page, 'API keys');
      await shot(page, 'phone-api-keys');
      assert.deepEqual(overflows, [], 'pages wider than the phone');
      assert.deepEqual(cspViolations, []);
    } finally {
      await context.close();
    }
  });
});

describe('owner web app: JavaScript off', { timeout: 300_000 }, () => {
  test('12. sign in, upload through the plain form, create a link, revoke', async () => {
    const { context, page } = await newSession({ javaScriptEnabled: false });
    const files = [
      { name: 'no-js one.txt', mimeType: 'text/plain', buffer: uniqueBytes('no-js one', 1000) },
      { name: 'no-js two.txt', mimeType: 'text/plain', buffer: uniqueBytes('no-js two', 1000) },
    ];
    try {
      await signIn(page, server.baseUrl);

      const form = page.locator('form[data-upload]');
      await page.getByLabel('Upload files').setInputFiles(files);
      const res = await clickAndWait(page, form.getByRole('button', { name: 'Upload', exact: true }));
      assert.equal(res.status(), 200);
      assert.equal(await page.locator('[data-upload-progress] li').count(), 0, 'no script drew progress');
      for (const f of files) await page.getByRole('link', { name: f.name, exact: true }).waitFor();
      await shot(page, 'nojs-uploaded');

      await clickAndWait(page, page.getByRole('link', { name: files[0].name, exact: true }));
      const fileId = fileIdOf(page);
      const fileUrl = page.url();
      await openNewLinkForm(page);
      // The server's check, in its words, next to the field.
      await fillLinkForm(page, { title: 'No script', password: 'short pw' });
      await saveLink(page);
      const password = page.getByLabel('Password', { exact: true });
      const described = await password.getAttribute('aria-describedby');
      assert.ok(described, 'the password field points at its error');
      assert.match(await page.locator(`[id="${described.split(' ')[0]}"]`).innerText(), /8 to 30 characters/);
      await shot(page, 'nojs-link-form-error');

      await fillLinkForm(page, { title: 'No script', password: LINK_PASSWORD, expires: daysFromNow(2), utc: true });
      await saveLink(page);
      assert.equal(page.url().split('#')[0], fileUrl.split('#')[0]);
      const row = linkRow(page, 'No script');
      const url = await shownLinkUrl(row);
      assert.equal(await row.locator('[data-copy-status]').count(), 0, 'app.js did not run');
      assert.equal((await fetch(url)).status, 200, 'the new link works');
      const made = await apiLink(fileId, url);
      assert.equal(made.password, LINK_PASSWORD);
      assert.ok(Math.abs(made.expiresMs - daysFromNow(2).getTime()) < 5 * 60_000, `the UTC expiry is kept: ${JSON.stringify(made.expirationDate)}`);
      await shot(page, 'nojs-link-created');

      await clickAndWait(page, action(row, 'Revoke'));
      await shot(page, 'nojs-revoke-confirm');
      await clickAndWait(page, page.locator('main').getByRole('button', { name: /revoke/i }));
      assert.equal(await page.getByText(url).count(), 0, 'the link is gone from the page');
      assert.equal((await fetch(url)).status, 404, 'the revoked link is invalid');
      const links = await api.call('GET', `/api/2.0/files/file/${fileId}/links`);
      assert.ok(!JSON.stringify(links).includes(url), 'and gone from the API');
      await shot(page, 'nojs-revoked');
    } finally {
      await context.close();
    }
  });
});

describe('owner web app: keyboard only', { timeout: 120_000 }, () => {
  /** What has focus: its tag, role-ish kind and accessible-ish name. */
  function focused(page) {
    return page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const label = (el.labels && el.labels[0] && el.labels[0].textContent)
        || el.getAttribute('aria-label') || el.textContent || el.value || '';
      const style = getComputedStyle(el);
      return {
        tag: el.tagName.toLowerCase(),
        name: label.replace(/\s+/g, ' ').trim(),
        outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
        shadow: style.boxShadow !== 'none',
      };
    });
  }

  /** Presses Tab until `match(focused)` holds; fails after `max` presses. */
  async function tabTo(page, match, what, max = 60) {
    for (let i = 0; i < max; i += 1) {
      await page.keyboard.press('Tab');
      const f = await focused(page);
      if (f && match(f)) {
        assert.ok(f.outline || f.shadow, `${what} shows where the focus is`);
        return f;
      }
    }
    assert.fail(`${what} not reached with ${max} Tab presses`);
  }

  test('13. sign in and reach New link with Tab and Enter', async () => {
    const name = 'keyboard.txt';
    await api.upload(name, Buffer.from('typed\n'), 'text/plain');
    const { context, page } = await newSession();
    try {
      await page.goto(`${server.baseUrl}/`);
      const first = await focused(page);
      if (!(first && first.tag === 'input' && /email/i.test(first.name))) {
        await tabTo(page, (f) => f.tag === 'input' && /^email/i.test(f.name), 'Email');
      }
      await page.keyboard.type('owner@example.com');
      await tabTo(page, (f) => f.tag === 'input' && /^password/i.test(f.name), 'Password');
      await page.keyboard.type(OWNER_PASSWORD);
      await Promise.all([page.waitForURL((u) => u.pathname.startsWith('/files')), page.keyboard.press('Enter')]);

      await tabTo(page, (f) => f.tag === 'a' && f.name === name, `the ${name} link`);
      await Promise.all([page.waitForURL(/\/files\/file\/\d+$/), page.keyboard.press('Enter')]);
      await tabTo(page, (f) => f.name === 'New link', 'New link');
      await page.keyboard.press('Enter');
      await page.getByLabel('Title', { exact: true }).waitFor({ state: 'visible' });
      await tabTo(page, (f) => f.tag === 'input' && f.name.startsWith('Title'), 'the Title field', 20);
      await shot(page, 'keyboard-new-link');
    } finally {
      await context.close();
    }
  });
});

// Issue 12, the shared folder's page in a real browser (Debian's Chromium
// through playwright-core): a recipient opens a password-protected folder link,
// browses it, opens a subfolder, previews a file and downloads everything as
// one zip; a phone layout; no CSP violations.
//
//   SPACELINKS_BIN=$CARGO_TARGET_DIR/release/spacelinks node --test tests/browser/folder-page.test.mjs

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { closeSuite, openSuite, PNG_BASE64 } from './harness.mjs';

const PASSWORD = 'folder-pass-1';
const PNG = Buffer.from(PNG_BASE64, 'base64');
const NOTES = 'meeting notes, shared through a folder link\n';

let server;
let api;
let browser;
let shots;

before(async () => {
  ({ server, api, browser, shots } = await openSuite());
});

after(() => closeSuite({ server, browser, shots }));

async function shot(page, name) {
  await page.screenshot({ path: join(shots, `folder-${name}.png`), fullPage: true });
}

async function clickTo(page, locator) {
  const [response] = await Promise.all([page.waitForNavigation(), page.locator(locator).first().click()]);
  return response;
}

describe('folder share page in Chromium', { timeout: 300_000 }, () => {
  test('browse, open a subfolder, preview a file, download all', async () => {
    const top = await api.createFolder('Holiday');
    const sub = await api.createFolder('Photos', top);
    const sibling = await api.createFolder('Private');
    await api.uploadTo(top, 'notes.txt', Buffer.from(NOTES), 'text/plain');
    await api.uploadTo(sub, 'beach.png', PNG, 'image/png');
    await api.uploadTo(sibling, 'secret.txt', Buffer.from('do not show'), 'text/plain');
    const json = await api.call('PUT', `/api/2.0/files/folder/${top}/links`, { access: 2, password: PASSWORD, title: 'For the family' });
    const link = json.response.sharedLink;

    const context = await browser.newContext({ acceptDownloads: true });
    const cspViolations = [];
    const page = await context.newPage();
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });
    try {
      const first = await page.goto(link.shareLink);
      assert.equal(first.status(), 200);
      assert.equal(new URL(page.url()).pathname, '/rooms/share', 'the short link leads to the folder page');
      await page.locator('#password-form').waitFor({ state: 'visible' });
      assert.equal(await page.locator('#folder-name').textContent(), 'Holiday');
      assert.equal(await page.locator('#entries').count(), 0, 'nothing listed before the password');
      await shot(page, '01-password');

      await page.fill('#password', PASSWORD);
      const opened = await clickTo(page, '#unlock');
      assert.equal(opened.status(), 200);
      assert.equal(await page.locator('#link-title').textContent(), 'For the family');
      assert.equal(await page.locator('#folder-name').textContent(), 'Holiday');
      const names = await page.locator('#entries .name').allTextContents();
      assert.deepEqual(names.map((n) => n.replace('▸', '').trim()), ['Photos', 'notes.txt']);
      assert.match(await page.locator('#entries .entry:not(.folder) .size').textContent(), /bytes/);
      assert.ok(!(await page.content()).includes('Private'), 'nothing outside the shared folder');
      await shot(page, '02-folder');

      // A subfolder: breadcrumbs from the shared folder, never above it.
      await clickTo(page, '#entries .folder .name');
      assert.equal(await page.locator('#folder-name').textContent(), 'Photos');
      const crumbs = await page.locator('#crumbs a, #crumbs span[aria-current]').allTextContents();
      assert.deepEqual(crumbs, ['Holiday', 'Photos']);
      await shot(page, '03-subfolder');

      // A file opens in the file link's preview page, with a way back.
      await clickTo(page, '#entries .entry:not(.folder) .name');
      assert.equal(new URL(page.url()).pathname, '/doceditor');
      const img = page.locator('#preview-image');
      await img.waitFor({ state: 'visible' });
      await page.waitForFunction(() => document.getElementById('preview-image')?.complete);
      assert.ok((await img.evaluate((el) => el.naturalWidth)) > 0, 'the preview loaded');
      assert.ok(await page.locator('#download').isVisible());
      await shot(page, '04-preview');
      await clickTo(page, '#back');
      assert.equal(await page.locator('#folder-name').textContent(), 'Photos');
      await clickTo(page, '#crumbs a');
      assert.equal(await page.locator('#folder-name').textContent(), 'Holiday');

      // Download all: one zip named after the folder, with both files.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-all')]);
      assert.equal(download.suggestedFilename(), 'Holiday.zip');
      const zip = await readFile(await download.path());
      assert.equal(zip.subarray(0, 4).toString('latin1'), 'PK\x03\x04');
      assert.ok(zip.includes(Buffer.from(NOTES)), 'the zip holds notes.txt');
      assert.ok(zip.includes(PNG), 'the zip holds the image');
      assert.ok(zip.includes(Buffer.from('Photos/beach.png')), 'subfolders keep their path');
      assert.ok(!zip.includes(Buffer.from('do not show')), 'nothing from outside');

      // Phone layout: nothing wider than the screen.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.reload();
      const width = await page.evaluate(() => document.scrollingElement.scrollWidth);
      assert.ok(width <= 390, `the page is ${width}px wide on a 390px screen`);
      await shot(page, '05-phone');
      assert.deepEqual(cspViolations, []);
    } finally {
      await context.close();
    }
  });

  test('deny download: browse and preview, no download buttons', async () => {
    const top = await api.createFolder('Read only');
    await api.uploadTo(top, 'plan.txt', Buffer.from('the plan'), 'text/plain');
    const json = await api.call('PUT', `/api/2.0/files/folder/${top}/links`, { access: 2, denyDownload: true });
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(json.response.sharedLink.shareLink);
      assert.equal(await page.locator('#download-all').count(), 0);
      assert.ok(await page.locator('#no-download').isVisible());
      assert.equal(await page.locator('#entries .get').count(), 0);
      await clickTo(page, '#entries .name');
      assert.equal(await page.locator('#download').count(), 0);
      assert.match(await page.locator('#preview-text').textContent(), /the plan/);
      await shot(page, '06-deny-download');
    } finally {
      await context.close();
    }
  });
});

// The share page in a real browser (Debian's Chromium through playwright-core):
// what a link recipient sees and can do, from the short link to the download.
//
//   SPACELINKS_BIN=$CARGO_TARGET_DIR/debug/spacelinks node --test tests/browser/
//
// Screenshots of every state go to $SPACELINKS_SCREENSHOTS (or a temp folder,
// printed at the start and the end of the run).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { closeSuite, openSuite, PNG_BASE64 } from './harness.mjs';

const PASSWORD = 'secret123';
const PNG = Buffer.from(PNG_BASE64, 'base64');
const PNG_WIDTH = PNG.readUInt32BE(16);

let server;
let api;
let browser;
let shots;

before(async () => {
  ({ server, api, browser, shots } = await openSuite());
});

after(() => closeSuite({ server, browser, shots }));

async function shot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/** A fresh anonymous browser session that records every URL it requests. */
async function anonymousPage(options = {}) {
  const context = await browser.newContext({ acceptDownloads: true, ...options });
  const urls = [];
  const cspViolations = [];
  context.on('request', (req) => urls.push(req.url()));
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
  });
  return { context, page, urls, cspViolations };
}

/** Clicks something that submits a form and waits for the page it leads to. */
async function submit(page, selector) {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  return response;
}

async function count(page, selector) {
  return page.locator(selector).count();
}

async function noPreview(page) {
  for (const id of ['#preview-image', '#preview-video', '#preview-audio', '#preview-pdf', '#preview-text']) {
    assert.equal(await count(page, id), 0, `${id} must not be on the page`);
  }
}

/** The phone check: nothing wider than the viewport. */
async function scrollWidth(page) {
  return page.evaluate(() => document.scrollingElement.scrollWidth);
}

describe('share page in Chromium', { timeout: 300_000 }, () => {
  test('password-protected image: wrong password, right password, preview, download', async () => {
    const fileId = await api.upload('holiday photo.png', PNG, 'image/png');
    const link = await api.createLink(fileId, { access: 2, password: PASSWORD, denyDownload: false, title: 'For the family' });
    const { context, page, urls, cspViolations } = await anonymousPage();
    try {
      const first = await page.goto(link.shareLink);
      assert.equal(first.status(), 200);
      assert.match(new URL(page.url()).pathname, /^\/doceditor$/, 'the short link leads to the share page');
      const redirect = first.request().redirectedFrom();
      assert.ok(redirect, 'the short link answers with a redirect');
      assert.equal((await redirect.response()).status(), 302);

      // Locked: what the file is, but not the file.
      await page.locator('#password-form').waitFor({ state: 'visible' });
      assert.equal(await page.locator('#file-name').textContent(), 'holiday photo.png');
      assert.equal(await page.locator('#link-title').textContent(), 'For the family');
      assert.match(await page.locator('#file-type').textContent(), /PNG/);
      assert.match(await page.locator('#file-size').textContent(), /\d/);
      assert.ok(await page.locator('#password').isVisible());
      assert.ok(await page.locator('#unlock').isVisible());
      await noPreview(page);
      assert.equal(await count(page, '#download'), 0, 'no download before the password');
      assert.equal(await count(page, '#message'), 0, 'no error before any attempt');
      await shot(page, '01-password-form');

      // Wrong password: an error, the form again, still nothing to see.
      await page.fill('#password', 'not-the-password');
      const wrong = await submit(page, '#unlock');
      assert.equal(wrong.status(), 200);
      await page.locator('#message').waitFor({ state: 'visible' });
      assert.match(await page.locator('#message').textContent(), /not correct/i);
      assert.ok(await page.locator('#password-form').isVisible(), 'the form is shown again');
      assert.equal(await page.locator('#password').inputValue(), '', 'the wrong password is not echoed back');
      await noPreview(page);
      assert.equal(await count(page, '#download'), 0);
      assert.equal((await context.cookies()).filter((c) => c.name.startsWith('sharelink')).length, 0,
        'a wrong password sets no cookie');
      await shot(page, '02-wrong-password');

      // Right password: 303 back to the share page with the proof cookie.
      await page.fill('#password', PASSWORD);
      const right = await submit(page, '#unlock');
      assert.equal(right.status(), 200);
      assert.equal((await right.request().redirectedFrom()?.response())?.status(), 303,
        'the password POST answers 303 so a reload does not resend it');
      assert.match(new URL(page.url()).pathname, /^\/doceditor$/);
      assert.equal(await count(page, '#password-form'), 0);
      assert.equal(await count(page, '#message'), 0);
      const cookie = (await context.cookies()).find((c) => c.name === `sharelink${link.id}`);
      assert.ok(cookie, `a sharelink${link.id} cookie is set`);
      assert.ok(cookie.httpOnly, 'the proof cookie is HttpOnly');
      assert.ok(!cookie.value.includes(PASSWORD), 'the cookie does not carry the password');
      assert.ok(!Buffer.from(cookie.value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1').includes(PASSWORD),
        'the cookie does not carry the password in base64 either');

      const img = page.locator('#preview-image');
      await img.waitFor({ state: 'visible' });
      await page.waitForFunction(() => {
        const el = document.getElementById('preview-image');
        return el && el.complete;
      });
      const natural = await img.evaluate((el) => ({ w: el.naturalWidth, h: el.naturalHeight }));
      assert.ok(natural.w > 0, 'the preview image actually loaded');
      assert.equal(natural.w, PNG_WIDTH, 'the preview shows the uploaded image');
      const box = await img.boundingBox();
      assert.ok(box && box.width > 0 && box.height > 0, 'the preview has a size on screen');
      await shot(page, '03-preview');

      // Download: the exact bytes, under the file's name.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
      assert.equal(await download.failure(), null);
      assert.equal(download.suggestedFilename(), 'holiday photo.png');
      const got = await readFile(await download.path());
      assert.deepEqual(got, PNG, 'the downloaded bytes are the uploaded ones');

      // The password never travels in a URL, nor stays in the page.
      assert.ok(urls.length >= 5, `requests were recorded (${urls.length})`);
      const leaks = urls.filter((u) => {
        const decoded = (() => { try { return decodeURIComponent(u); } catch { return u; } })();
        return u.includes(PASSWORD) || decoded.includes(PASSWORD);
      });
      assert.deepEqual(leaks, [], 'no URL the browser visited contains the password');
      assert.ok(!(await page.content()).includes(PASSWORD), 'the unlocked page does not contain the password');
      assert.deepEqual(cspViolations, [], 'the page runs within its own Content-Security-Policy');
      // The stylesheet is allowed by the CSP and applied.
      const radius = await page.locator('main.card').evaluate((el) => getComputedStyle(el).borderTopLeftRadius);
      assert.equal(radius, '12px', 'share.css is applied');
    } finally {
      await context.close();
    }
  });

  test('text file with denyDownload: preview shown, no download', async () => {
    const content = 'Meeting notes\n<b>not bold</b> & "quoted"\nline three\n';
    const fileId = await api.upload('notes.txt', Buffer.from(content), 'text/plain');
    const link = await api.createLink(fileId, { access: 2, denyDownload: true });
    const { context, page } = await anonymousPage();
    try {
      const res = await page.goto(link.shareLink);
      assert.equal(res.status(), 200);
      assert.equal(await count(page, '#password-form'), 0, 'no password on this link');
      const pre = page.locator('#preview-text');
      await pre.waitFor({ state: 'visible' });
      const text = await pre.textContent();
      assert.ok(text.includes('Meeting notes'), 'the preview shows the text');
      assert.ok(text.includes('<b>not bold</b> & "quoted"'), 'markup in the file is shown as text, not rendered');
      assert.equal(await count(page, '#preview-text b'), 0, 'markup in the file is not rendered');
      assert.equal(await count(page, '#download'), 0, 'no Download link');
      assert.ok(await page.locator('#no-download').isVisible(), 'the page says downloads are off');
      assert.equal(await page.locator('#file-name').textContent(), 'notes.txt');
      await shot(page, '04-deny-download');

      // The server refuses the download too, not only the page.
      const share = new URL(page.url()).searchParams.get('share');
      assert.ok(share, 'the share page URL carries the share token');
      const direct = await page.request.get(`${server.baseUrl}/filehandler.ashx?action=download&fileid=${fileId}&share=${encodeURIComponent(share)}`);
      assert.equal(direct.status(), 403, 'a direct download through a denyDownload link is refused');
    } finally {
      await context.close();
    }
  });

  test('revoked link: the page says the link is not valid (404)', async () => {
    const fileId = await api.upload('revoked.txt', Buffer.from('gone soon\n'), 'text/plain');
    const link = await api.createLink(fileId, { access: 2 });
    const { context, page } = await anonymousPage();
    try {
      const before = await page.goto(link.shareLink);
      assert.equal(before.status(), 200, 'the link works before it is revoked');
      const longUrl = page.url();
      await page.locator('#preview-text').waitFor();

      await api.revokeLink(fileId, link.id);

      for (const url of [link.shareLink, longUrl]) {
        const res = await page.goto(url);
        assert.equal(res.status(), 404, `${url} after revoke`);
        assert.match(await page.locator('h1').textContent(), /not valid/i);
        assert.equal(await count(page, '#file-name'), 0, 'the file is not named');
        await noPreview(page);
        assert.equal(await count(page, '#download'), 0);
        assert.ok(!(await page.content()).includes('revoked.txt'), 'nothing about the file leaks');
      }
      await shot(page, '05-invalid');
    } finally {
      await context.close();
    }
  });

  test('internal link opened anonymously: sign-in page (403)', async () => {
    const fileId = await api.upload('members-only.txt', Buffer.from('internal\n'), 'text/plain');
    const link = await api.createLink(fileId, { access: 2, internal: true });
    assert.equal(link.internal, true);
    const { context, page } = await anonymousPage();
    try {
      const res = await page.goto(link.shareLink);
      assert.equal(res.status(), 403);
      assert.match(await page.locator('h1').textContent(), /sign in/i);
      assert.equal(await page.locator('main').getAttribute('data-state'), 'signin');
      await noPreview(page);
      assert.equal(await count(page, '#download'), 0);
      assert.equal(await count(page, '#password-form'), 0);
      assert.ok(!(await page.content()).includes('members-only.txt'), 'the file name is not shown to outsiders');
      await shot(page, '06-sign-in');
    } finally {
      await context.close();
    }
  });

  test('phone-sized viewport: no horizontal scrolling', async () => {
    const longName = `quarterly-report-${'x'.repeat(80)}-final-v2.txt`;
    const longLine = 'https://example.com/' + 'averyveryverylongunbrokenword'.repeat(12);
    const fileId = await api.upload(longName, Buffer.from(`short line\n${longLine}\n`), 'text/plain');
    const link = await api.createLink(fileId, { access: 2, password: PASSWORD, title: 'A rather long link title that has to wrap on a phone screen' });
    const imageId = await api.upload('phone.png', PNG, 'image/png');
    const imageLink = await api.createLink(imageId, { access: 2 });
    const { context, page } = await anonymousPage({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    try {
      await page.goto(link.shareLink);
      await page.locator('#password-form').waitFor();
      assert.ok(await scrollWidth(page) <= 375, `password form fits: scrollWidth ${await scrollWidth(page)}`);
      await page.fill('#password', 'wrong-password');
      await submit(page, '#unlock');
      await page.locator('#message').waitFor();
      assert.ok(await scrollWidth(page) <= 375, `wrong password fits: scrollWidth ${await scrollWidth(page)}`);
      await page.fill('#password', PASSWORD);
      await submit(page, '#unlock');
      await page.locator('#preview-text').waitFor();
      assert.ok(await scrollWidth(page) <= 375, `text preview fits: scrollWidth ${await scrollWidth(page)}`);
      const dl = await page.locator('#download').boundingBox();
      assert.ok(dl && dl.x >= 0 && dl.x + dl.width <= 375, 'the Download button is on screen');
      assert.ok(dl.height >= 40, `the Download button is big enough to tap (${dl.height}px)`);
      await shot(page, '07-phone');

      await page.goto(imageLink.shareLink);
      await page.waitForFunction(() => document.getElementById('preview-image')?.complete);
      assert.ok(await scrollWidth(page) <= 375, `image preview fits: scrollWidth ${await scrollWidth(page)}`);
      await shot(page, '08-phone-image');
    } finally {
      await context.close();
    }
  });

  test('share page response headers: no referrer, no caching, no framing', async () => {
    const fileId = await api.upload('headers.txt', Buffer.from('headers\n'), 'text/plain');
    const open = await api.createLink(fileId, { access: 2 });
    const locked = await api.createLink(fileId, { access: 2, password: PASSWORD });
    const { context, page } = await anonymousPage();
    try {
      for (const [what, url] of [['open link', open.shareLink], ['password link', locked.shareLink], ['invalid link', `${server.baseUrl}/s/doesNotExist123`]]) {
        const res = await page.goto(url);
        const h = await res.allHeaders();
        assert.equal(h['referrer-policy'], 'no-referrer', `${what}: Referrer-Policy`);
        assert.match(h['cache-control'] ?? '', /no-store/, `${what}: Cache-Control`);
        const csp = h['content-security-policy'] ?? '';
        assert.match(csp, /frame-ancestors 'none'/, `${what}: CSP frame-ancestors`);
        assert.match(h['content-type'] ?? '', /^text\/html/, `${what}: Content-Type`);
      }
      // The short link's own redirect leaks the token to no one either.
      const res = await page.goto(open.shareLink);
      const redirect = await res.request().redirectedFrom().response();
      const rh = await redirect.allHeaders();
      assert.equal(rh['referrer-policy'], 'no-referrer', 'redirect: Referrer-Policy');
      assert.match(rh['cache-control'] ?? '', /no-store/, 'redirect: Cache-Control');
    } finally {
      await context.close();
    }
  });

  test('too many wrong passwords: friendly 429 page', async () => {
    const fileId = await api.upload('guarded.txt', Buffer.from('guarded\n'), 'text/plain');
    const link = await api.createLink(fileId, { access: 2, password: PASSWORD });
    const { context, page } = await anonymousPage();
    try {
      await page.goto(link.shareLink);
      const share = new URL(page.url()).searchParams.get('share');
      assert.ok(share, 'the share page URL carries the share token');
      let locked = null;
      let attempts = 0;
      while (attempts < 10) {
        await page.locator('#password-form').waitFor();
        await page.fill('#password', `wrong-${attempts}-pw`);
        attempts += 1;
        const res = await submit(page, '#unlock');
        if (res.status() === 429) { locked = res; break; }
        assert.equal(res.status(), 200);
        assert.match(await page.locator('#message').textContent(), /not correct/i);
      }
      assert.ok(locked, 'wrong passwords are limited');
      assert.equal(attempts, 6, 'five wrong attempts are allowed, the sixth is refused');
      assert.match((await locked.allHeaders())['retry-after'] ?? '', /^\d+$/, 'Retry-After is set');
      assert.match(await page.locator('#message').textContent(), /too many/i);
      assert.equal(await count(page, '#password-form'), 0, 'no form to keep guessing with');
      await noPreview(page);
      await shot(page, '09-too-many-attempts');

      // Even the right password waits out the lockout.
      const again = await page.request.post(`${server.baseUrl}/share/password`, {
        form: { share, fileid: String(fileId), password: PASSWORD },
        maxRedirects: 0,
      });
      assert.notEqual(again.status(), 303, 'the right password does not get in during the lockout');

      // The lockout page is no dead end: "Try again" leads back to the share
      // page (a GET), so the visitor need not reload the POST.
      const retry = page.locator('#retry');
      assert.ok(await retry.isVisible(), 'a Try again link is offered');
      const [back] = await Promise.all([page.waitForNavigation(), retry.click()]);
      assert.equal(back.request().method(), 'GET');
      assert.equal(back.status(), 200);
      assert.equal(new URL(page.url()).pathname, '/doceditor');
      assert.equal(new URL(page.url()).searchParams.get('share'), share);
      assert.ok(await page.locator('#password-form').isVisible(), 'the password form is back');
    } finally {
      await context.close();
    }
  });
});

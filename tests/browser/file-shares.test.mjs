// The owner's file page shows who the file is shared with (issue 15): the
// people and groups of `PUT /api/2.0/files/file/{id}/share`, with their
// access, and nobody once the shares are gone. axe-core on the page.
//
//   SPACELINKS_BIN=$CARGO_TARGET_DIR/release/spacelinks node --test tests/browser/file-shares.test.mjs

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { closeSuite, openSuite, seriousAxeViolations, signIn } from './harness.mjs';

let server;
let api;
let browser;
let shots;

before(async () => {
  ({ server, api, browser, shots } = await openSuite());
});

after(() => closeSuite({ server, browser, shots }));

describe('file page: shared with people and groups', { timeout: 120_000 }, () => {
  test('lists each person and group with their access, then nobody', async () => {
    const fileId = await api.upload('plan.txt', Buffer.from('the plan'), 'text/plain');
    const person = (await api.call('POST', '/api/2.0/people', {
      email: 'dana@example.com', firstName: 'Dana', lastName: 'Reader', type: 'User',
    })).response;
    const group = (await api.call('POST', '/api/2.0/group', {
      groupName: 'Design team', groupManager: '00000000-0000-0000-0000-000000000000', members: [person.id],
    })).response;
    await api.call('PUT', `/api/2.0/files/file/${fileId}/share`, {
      share: [{ shareTo: person.id, access: 2 }, { shareTo: group.id, access: 10 }], notify: false,
    });

    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await signIn(page, server.baseUrl);
      await page.goto(`${server.baseUrl}/files/file/${fileId}`);
      const section = page.getByRole('region', { name: 'Shared with' });
      await section.waitFor();
      const personRow = section.getByRole('row').filter({ hasText: 'Dana Reader' });
      await assert.doesNotReject(personRow.waitFor(), 'the person is listed');
      assert.match(await personRow.innerText(), /dana@example\.com[\s\S]*person[\s\S]*Read/);
      const groupRow = section.getByRole('row').filter({ hasText: 'Design team' });
      assert.match(await groupRow.innerText(), /1 member[\s\S]*group[\s\S]*Editing/);
      await page.screenshot({ path: join(shots, 'file-shares-1-shared.png'), fullPage: true });
      assert.deepEqual(await seriousAxeViolations(page), [], 'axe-core on the file page with shares');

      // On a phone the table fits the screen (no sideways scrolling).
      await page.setViewportSize({ width: 390, height: 844 });
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `the page is ${width}px wide on a 390px screen`);
      await page.screenshot({ path: join(shots, 'file-shares-1-phone.png'), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 800 });

      // Revoked through the API: the page lists nobody.
      await api.call('PUT', `/api/2.0/files/file/${fileId}/share`, {
        share: [{ shareTo: person.id, access: 0 }, { shareTo: group.id, access: 0 }],
      });
      await page.reload();
      assert.match(await section.innerText(), /Nobody on this server yet/);
      assert.equal(await section.getByRole('row').count(), 0);
      await page.screenshot({ path: join(shots, 'file-shares-2-nobody.png'), fullPage: true });
      assert.deepEqual(await seriousAxeViolations(page), [], 'axe-core on the file page without shares');
    } finally {
      await context.close();
    }
  });
});

// Search and export in Chromium against the real `hearth serve` (HEARTH_BIN)
// and the built web client: an employee enrolls and gets a pseudonym in the
// browser, posts, searches from the forum's search box (results newest first,
// a moderator's hide takes a post out of them; the Channel choice narrows them
// to one channel, across pages), and saves "Export my posts",
// whose file name says nothing of the handle and which `hearth verify-export`
// accepts. Other voices come from the integration tests' protocol client.
// Screenshots at desktop width and at 375 px in tests/output/search/ (or
// $HEARTH_SHOTS/search/).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { becomePseudonym, ensureIntegrationDeps, ensureWebBuilt, launchBrowser, noOverflow, openPage, shotBoth, shotsDir, WEB_DIST } from './lib/browser.mjs';

ensureIntegrationDeps();
const { HEARTH_BIN, Server, pseudonymOnForum, signedPost } = await import('../integration/lib/harness.mjs');

const SHOTS = shotsDir('search');
const WEB_CONFIG = `[server]\nweb = ${JSON.stringify(WEB_DIST)}\n`;

let browser;
before(async () => {
  ensureWebBuilt();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

async function search(page, query, channel = 'All channels') {
  const box = page.getByRole('searchbox', { name: 'Search posts' });
  await box.fill(query);
  await page.getByRole('search', { name: 'Search posts' }).getByRole('combobox', { name: 'Channel' }).selectOption({ label: channel });
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  const results = page.getByRole('region', { name: 'Search results' });
  // The heading names this search: the results below it are this search's.
  const title = `Search: “${query}”${channel === 'All channels' ? '' : ` in ${channel}`}`;
  await results.getByRole('heading', { name: title, exact: true }).waitFor();
  await page.waitForFunction(() => document.querySelector('[aria-label="Search results"]')?.getAttribute('aria-busy') === 'false');
  return results;
}

const texts = (region) => region.getByRole('article').allInnerTexts();

test('an employee searches the forum and exports their posts', async (t) => {
  const server = await Server.start({ config: WEB_CONFIG + '[rate]\npost = { per_second = 0 }\n' });
  const dir = mkdtempSync(join(tmpdir(), 'hearth-search-e2e-'));
  let admin, other;
  try {
    admin = await server.admin();
    const { codes } = await admin.ok('roster.import', { employees: ['emp-sue'] });
    other = await pseudonymOnForum(server, admin, 'emp-other', 'other_voice');
    await admin.ok('channels.add', { name: 'travel', description: 'trips and offsites' });
    const older = (await other.forum.ok('post', signedPost(server, other.p, 'general', 'The zanzibar offsite is in May'))).post;
    await other.forum.ok('post', signedPost(server, other.p, 'general', 'Unrelated: the printer on floor 2 works'));
    const hideMe = (await other.forum.ok('post', signedPost(server, other.p, 'general', 'zanzibar rumours nobody should read'))).post;

    const page = await openPage(browser, 'SUE');
    await t.test('the employee gets a pseudonym and posts', async () => {
      await becomePseudonym(page, server.url, 'emp-sue', codes['emp-sue'], 'sue_search');
      await page.getByRole('textbox', { name: 'Write a post' }).fill('Zanzibar planning: who books the boat?');
      await page.getByRole('button', { name: 'Post', exact: true }).click();
      await page.getByRole('region', { name: 'Feed' }).getByText('who books the boat?').waitFor();
    });

    await t.test('search: every word, newest first, replies to a result lead to its thread', async () => {
      const results = await search(page, 'ZANZIBAR');
      const found = await texts(results);
      assert.equal(found.length, 3, found.join('\n---\n'));
      assert.match(found[0], /who books the boat/);
      assert.match(found[1], /rumours nobody should read/);
      assert.match(found[2], /offsite is in May/);
      await shotBoth(page, SHOTS, 'search-01-results', noOverflow(page));

      const narrow = await search(page, 'zanzibar offsite');
      assert.equal((await texts(narrow)).length, 1);
      const none = await search(page, 'no-such-word-here');
      await none.getByText('No visible post holds all these words.').waitFor();
      await shotBoth(page, SHOTS, 'search-02-nothing', noOverflow(page));

      // A query without a word is refused in the page itself.
      await page.getByRole('searchbox', { name: 'Search posts' }).fill(' ?! ');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.getByRole('alert').getByText('Type a word to search for.').waitFor();
    });

    await t.test('a post a moderator hides leaves the results at once', async () => {
      await admin.ok('hide', { post_id: hideMe.id, reason: 'rumours' });
      const results = await search(page, 'zanzibar');
      const found = await texts(results);
      assert.equal(found.length, 2);
      assert.ok(!found.some((f) => /rumours/.test(f)));
      assert.match(found[1], /offsite is in May/);
      // Reply on a result opens its thread.
      await results.getByRole('article').filter({ hasText: 'offsite is in May' }).getByRole('button', { name: 'Reply' }).click();
      await page.getByRole('region', { name: 'Thread' }).getByText('offsite is in May').waitFor();
      assert.equal(older.channel, 'general');
    });

    await t.test('the Channel choice narrows the search to one channel; All channels widens it again', async () => {
      // 25 matching posts in #travel: more than one page (20) of results in that channel alone.
      for (let i = 1; i <= 25; i++) await other.forum.ok('post', signedPost(server, other.p, 'travel', `Zanzibar ferry times, note ${i}`));
      const travel = await search(page, 'zanzibar', '#travel');
      let found = await texts(travel);
      assert.equal(found.length, 20);
      assert.ok(found.every((f) => /ferry times/.test(f)), 'only #travel');
      assert.match(found[0], /note 25\b/);
      await shotBoth(page, SHOTS, 'search-04-one-channel', noOverflow(page));
      // The next page keeps the query and the channel.
      await travel.getByRole('button', { name: 'More results' }).click();
      await page.waitForFunction(() => document.querySelectorAll('[aria-label="Search results"] article').length === 25);
      found = await texts(travel);
      assert.ok(found.every((f) => /ferry times/.test(f)), 'the next page is #travel only too');
      assert.match(found[24], /note 1\b/);
      assert.equal(await travel.getByRole('button', { name: 'More results' }).count(), 0);

      const general = await search(page, 'zanzibar', '#general');
      found = await texts(general);
      assert.equal(found.length, 2);
      assert.ok(!found.some((f) => /ferry times/.test(f)));
      // A channel with no such post says so.
      const none = await search(page, 'ferry', '#general');
      await none.getByText('No visible post holds all these words.').waitFor();

      const all = await search(page, 'zanzibar', 'All channels');
      found = await texts(all);
      assert.equal(found.length, 20);
      await all.getByRole('button', { name: 'More results' }).click();
      await page.waitForFunction(() => document.querySelectorAll('[aria-label="Search results"] article').length === 27);
      found = await texts(all);
      assert.equal(found.filter((f) => /ferry times/.test(f)).length, 25);
      assert.ok(found.some((f) => /offsite is in May/.test(f)));
      assert.ok(found.some((f) => /who books the boat/.test(f)));
      assert.equal(await all.getByRole('button', { name: 'More results' }).count(), 0);
    });

    await t.test('Export my posts: one JSON file named by the date, which hearth verify-export accepts', async () => {
      await page.getByRole('navigation', { name: 'Forum' }).getByRole('button', { name: 'My pseudonym' }).click();
      await page.getByRole('heading', { name: 'Export my posts' }).waitFor();
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export my posts' }).click(),
      ]);
      const name = download.suggestedFilename();
      assert.match(name, /^hearth-export-\d{4}-\d{2}-\d{2}\.json$/);
      assert.ok(!name.includes('sue'), 'the file name says nothing of the handle');
      await page.getByText(`Saved 1 post in ${name}.`).waitFor();
      await shotBoth(page, SHOTS, 'search-03-export', noOverflow(page));
      const file = join(dir, name);
      await download.saveAs(file);
      const v = spawnSync(HEARTH_BIN, ['verify-export', file], { encoding: 'utf8' });
      assert.equal(v.status, 0, v.stderr);
      assert.match(v.stdout, /sue_search/);
      assert.match(v.stdout, /posts: 1 /);
      assert.match(v.stdout, /every signature verifies/);
    });
    assert.deepEqual(page.errors, []);
  } finally {
    admin?.close();
    other?.forum.close();
    await server.stop();
    server.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

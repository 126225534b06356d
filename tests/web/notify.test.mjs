// Notifications and appeals in Chromium against the real `hearth serve`
// (HEARTH_BIN) and the built web client: an employee gets a pseudonym in the
// browser and posts; another voice replies and reacts, and the bell counts
// them live; a moderator hides the post, the employee appeals from the
// notification, a second moderator overturns it at /staff, and the employee
// is told; then a ban, appealed from the page a banned pseudonym lands on.
// Other voices and the first moderator come from the integration tests'
// protocol client. Screenshots at desktop width and at 375 px in
// tests/output/notify/ (or $HEARTH_SHOTS/notify/).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { becomePseudonym, ensureIntegrationDeps, ensureWebBuilt, launchBrowser, noOverflow, openPage, shotBoth, shotsDir, staffSignIn, WEB_DIST } from './lib/browser.mjs';

ensureIntegrationDeps();
const { Server, pseudonymOnForum, signedPost } = await import('../integration/lib/harness.mjs');

const SHOTS = shotsDir('notify');
const WEB_CONFIG = `[server]\nweb = ${JSON.stringify(WEB_DIST)}\n`;
const MOD_PASSWORD = 'appeal-moderator-password';

let browser;
before(async () => {
  ensureWebBuilt();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('an employee is told of replies, reactions and moderation, and appeals a hide and a ban', async (t) => {
  const server = await Server.start({ config: WEB_CONFIG + '[rate]\npost = { per_second = 0 }\n' });
  let admin, other;
  try {
    admin = await server.admin();
    const { codes } = await admin.ok('roster.import', { employees: ['emp-kim'] });
    other = await pseudonymOnForum(server, admin, 'emp-other', 'other_voice');

    const page = await openPage(browser, 'KIM');
    const bell = () => page.getByRole('navigation', { name: 'Forum' }).getByRole('button', { name: /^Notifications/ });
    const panel = () => page.getByRole('region', { name: 'Notifications' });
    let postId;

    await t.test('replies and reactions ring the bell live', async () => {
      await becomePseudonym(page, server.url, 'emp-kim', codes['emp-kim'], 'kim_notes');
      await page.getByRole('textbox', { name: 'Write a post' }).fill('Is the canteen open late on Fridays?');
      await page.getByRole('button', { name: 'Post', exact: true }).click();
      await page.getByRole('region', { name: 'Feed' }).getByText('open late on Fridays').waitFor();
      const feed = await other.forum.ok('feed', { channel: 'general' });
      postId = feed.posts.find((p) => p.body.includes('open late on Fridays')).id;
      assert.equal(await bell().textContent(), 'Notifications ');

      await other.forum.ok('post', signedPost(server, other.p, 'general', 'Until 9, I think.', postId));
      await other.forum.ok('react', { post_id: postId, reaction: 'heart', on: true });
      await bell().getByLabel('2 unread').waitFor();
      await bell().click();
      await panel().getByText('other_voice replied to your post.').waitFor();
      await panel().getByText('Your post got a heart reaction.').waitFor();
      await shotBoth(page, SHOTS, 'notify-01-unread', noOverflow(page));

      await panel().getByRole('button', { name: 'Mark all read' }).click();
      await bell().getByLabel('2 unread').waitFor({ state: 'detached' });
      assert.equal((await other.forum.ok('notifications')).unread, 0, 'the other pseudonym was told nothing');

      // A reply notice opens the thread.
      await panel().getByRole('button', { name: 'Open the post' }).first().click();
      await page.getByRole('region', { name: 'Thread' }).getByText('Until 9, I think.').waitFor();
    });

    await t.test('a hidden post: the employee appeals from the notification', async () => {
      await admin.ok('hide', { post_id: postId, reason: 'off topic for general' });
      await bell().getByLabel('1 unread').waitFor();
      if (!(await panel().count())) await bell().click();
      const item = panel().getByRole('listitem').filter({ hasText: 'A moderator hid your post: off topic for general.' });
      await item.getByRole('button', { name: 'Appeal' }).click();
      await item.getByLabel('Appeal text').fill('It was about the office, so general seemed right.');
      await shotBoth(page, SHOTS, 'notify-02-appeal-form', noOverflow(page));
      await item.getByRole('button', { name: 'Send appeal' }).click();
      await item.getByText('Your appeal is waiting for a moderator.').waitFor();
      await shotBoth(page, SHOTS, 'notify-03-appealed', noOverflow(page));
    });

    await t.test('another moderator overturns it at /staff; the author is told and the post is back', async () => {
      await admin.ok('staff.add', { username: 'appealmod', role: 'moderator', password: MOD_PASSWORD });
      const mod = await openPage(browser, 'MODERATOR');
      await staffSignIn(mod, server.url, 'appealmod', MOD_PASSWORD);
      await mod.getByRole('region', { name: 'Flagged posts' }).waitFor();
      const appeals = mod.getByRole('region', { name: 'Appeals' });
      const item = appeals.getByRole('article', { name: 'Appeal by @kim_notes' });
      await item.getByText('so general seemed right').waitFor();
      await item.getByText('open late on Fridays').waitFor();
      await shotBoth(mod, SHOTS, 'notify-04-staff-queue', noOverflow(mod));
      await item.getByLabel('Decision reason').fill('The office canteen is on topic.');
      await item.getByRole('button', { name: 'Overturn' }).click();
      await appeals.getByText("Overturned on @kim_notes's appeal: the post is back.").waitFor();
      await appeals.getByText('No open appeals.').waitFor();
      await shotBoth(mod, SHOTS, 'notify-05-staff-decided', noOverflow(mod));
      assert.deepEqual(mod.errors, []);
      await mod.close();

      await panel().getByText('Your appeal succeeded: The office canteen is on topic.').waitFor();
      await panel().getByText('Appeal granted: The office canteen is on topic.').waitFor();
      await shotBoth(page, SHOTS, 'notify-06-overturned', noOverflow(page));
      const log = await other.forum.ok('modlog');
      assert.equal(log.entries[0].action, 'appeal.overturned');
      assert.equal((await other.forum.ok('thread', { post_id: postId })).post.body, 'Is the canteen open late on Fridays?');
    });

    await t.test('a banned pseudonym appeals from the page it lands on', async () => {
      await admin.ok('ban', { handle: 'kim_notes', reason: 'cooling off' });
      await page.getByRole('heading', { name: 'Cannot continue' }).waitFor({ timeout: 30000 });
      const box = page.getByRole('region', { name: 'Appeal the ban' });
      await box.getByText(/for: cooling off/).waitFor();
      await box.getByLabel('Appeal text').fill('I will keep it calm.');
      await box.getByRole('button', { name: 'Send appeal' }).click();
      await box.getByText('Your appeal is waiting for a moderator.').waitFor();
      await shotBoth(page, SHOTS, 'notify-07-ban-appealed', noOverflow(page));
      const queue = await admin.ok('appeals');
      assert.equal(queue.items.length, 1);
      assert.equal(queue.items[0].action, 'ban');
      assert.equal(queue.items[0].text, 'I will keep it calm.');
      assert.equal(queue.items[0].acted_by_you, true, 'the admin banned, so another moderator decides');
    });
    assert.deepEqual(page.errors, []);
  } finally {
    admin?.close();
    other?.forum.close();
    await server.stop();
    server.cleanup();
  }
});

// The staff console in Chromium against the real `hearth serve` (HEARTH_BIN)
// and the built web client: empty logs, an admin changing their own password,
// a moderator who sees only moderation, a ban with confirmation, duration and
// reason that takes the author's other flags out of the queue, a moderation
// log in words (excerpts, handles, key fingerprints), a search that finds
// hidden posts too and hides and restores from its results, Keys and Audit tables
// that reflow at 375 px, and the sections of each service role. Pseudonyms,
// posts and flags come from the independent protocol client of the
// integration tests. Each item is photographed at desktop width and at 375 px
// into tests/output/staff/ (or $HEARTH_SHOTS/staff/).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureIntegrationDeps, ensureWebBuilt, launchBrowser, noOverflow, openPage, shotBoth, shotsDir, staffSignIn, WEB_DIST } from './lib/browser.mjs';

ensureIntegrationDeps();
const { ADMIN_PASSWORD, HEARTH_BIN, Server, b64u, loginBytes, pseudonymOnForum, signedPost } = await import('../integration/lib/harness.mjs');

const SHOTS = shotsDir('staff');
const WEB_CONFIG = `[server]\nweb = ${JSON.stringify(WEB_DIST)}\n`;
const NEW_ADMIN_PASSWORD = 'a brand new admin password';
const MOD_PASSWORD = 'moderator-pass-1';
const ALL_SECTIONS = ['Flag queue', 'Search', 'Polls', 'Moderation log', 'Keys', 'Roster', 'Staff accounts', 'Channels', 'Audit log', 'My password'];

let browser;

before(async () => {
  ensureWebBuilt();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

const page = (name) => openPage(browser, name);


const sections = (p) => p.getByRole('navigation', { name: 'Console' }).getByRole('button').allInnerTexts();
const open = (p, name) => p.getByRole('navigation', { name: 'Console' }).getByRole('button', { name, exact: true }).click();

/** Every element matching `locator` lies inside the viewport's width. */
async function allInside(p, locator, what) {
  const width = p.viewportSize().width;
  const boxes = await locator.evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON()));
  assert.ok(boxes.length > 0, `${what}: nothing found`);
  for (const b of boxes) assert.ok(b.left >= 0 && b.right <= width + 0.5, `${what} is cut off at ${width} px: ${JSON.stringify(b)}`);
}

/** The answer to a pseudonym's login, as the banned person's client sees it. */
async function loginAnswer(server, pseudonym) {
  const forum = await server.connect('forum');
  const { nonce } = await forum.ok('challenge');
  const r = await forum.call('login', { pseudonym_pk: pseudonym.pkB64, sig: b64u(pseudonym.sign(loginBytes(server.issuer, nonce))) });
  forum.close();
  return r;
}

test('the staff console on a server holding both roles', async (t) => {
  const server = await Server.start({ config: WEB_CONFIG });
  const clients = [];
  try {
    const adm = await page('ADMIN');

    await t.test('the moderation and audit logs say nothing yet when empty', async () => {
      await staffSignIn(adm, server.url, 'admin', ADMIN_PASSWORD);
      assert.deepEqual(await sections(adm), ALL_SECTIONS);
      await open(adm, 'Moderation log');
      await adm.getByText('Nothing yet.').waitFor();
      await shotBoth(adm, SHOTS, '01-modlog-empty', noOverflow(adm));
      await open(adm, 'Audit log');
      await adm.getByText('Nothing yet.').waitFor();
      assert.equal(await adm.getByRole('table').count(), 0, 'no empty table under "Nothing yet."');
      await shotBoth(adm, SHOTS, '02-audit-empty', noOverflow(adm));
    });

    const admin = await server.connect('staff');
    clients.push(admin);
    await admin.ok('login', { username: 'admin', password: ADMIN_PASSWORD });

    await t.test('a moderator added in the console sees only the moderation sections', async () => {
      await open(adm, 'Staff accounts');
      await adm.getByLabel('New staff username').fill('mod1');
      await adm.getByLabel('Role').selectOption('moderator');
      await adm.getByLabel('Initial password').fill(MOD_PASSWORD);
      await adm.getByRole('button', { name: 'Add staff account' }).click();
      await adm.getByText('Moderator mod1 added.').waitFor();
      await adm.getByRole('list', { name: 'Current staff' }).getByText('mod1').waitFor();
    });

    const mod = await page('MODERATOR');
    await staffSignIn(mod, server.url, 'mod1', MOD_PASSWORD);
    assert.deepEqual(await sections(mod), ['Flag queue', 'Search', 'Polls', 'Moderation log', 'My password']);

    // Authors, flaggers and posts, through the protocol.
    const bo = await pseudonymOnForum(server, admin, 'emp-bo', 'bo_k');
    const dee = await pseudonymOnForum(server, admin, 'emp-dee', 'dee_r');
    const ava = await pseudonymOnForum(server, admin, 'emp-ava', 'ava_s');
    clients.push(bo.forum, dee.forum, ava.forum);
    const post = async (who, body) => (await who.forum.ok('post', signedPost(server, who.p, 'general', body))).post;
    const named = await post(bo, 'Our team lead Pat Smith keeps moving every deadline, and here is her home address.');
    const spam1 = await post(bo, 'Cheap watches at a link you should not open, part one.');
    const spam2 = await post(bo, 'Cheap watches at a link you should not open, part two.');
    const fair = await post(dee, 'Could we get the on-call rota published a month ahead?');
    for (const [p, reason] of [
      [named, 'doxxing'],
      [spam1, 'spam'],
      [spam2, 'spam'],
      [fair, 'off_topic'],
    ])
      await ava.forum.ok('flag', { post_id: p.id, reason });

    const queue = mod.getByRole('region', { name: 'Flagged posts' });
    const item = (p) => queue.getByRole('article').filter({ hasText: p.body });

    await t.test('a moderator hides a post from the queue', async () => {
      await open(mod, 'Flag queue');
      await item(named).waitFor();
      await item(named).getByLabel('Reason for the public log').fill('Names a colleague and where she lives');
      await item(named).getByRole('button', { name: 'Hide' }).click();
      await item(named).waitFor({ state: 'detached' });
    });

    await t.test('ban asks for a duration and a reason and closes the author\'s other flags', async () => {
      await item(spam1).getByRole('button', { name: 'Ban author' }).click();
      const dialog = mod.getByRole('dialog', { name: 'Ban @bo_k?' });
      await dialog.waitFor();
      const options = await dialog.getByLabel('Ban duration').locator('option').allInnerTexts();
      assert.ok(options.includes('1 day') && options.includes('7 days'), `durations: ${options}`);
      assert.match(options.at(-1), /^Until its certification ends/);
      const keys = await (await fetch(`${server.url}/v1/keys`)).json();
      const limit = Math.max(...keys.keys.filter((k) => k.state !== 'revoked').map((k) => k.accept_until));
      for (const o of options.slice(0, -1)) {
        const days = Number(o.split(' ')[0]);
        assert.ok(Date.now() / 1000 + days * 86400 < limit, `${o} would outlast every certification`);
      }
      // No reason, no ban; Cancel bans nobody either.
      await dialog.getByRole('button', { name: 'Ban now' }).click();
      await dialog.getByText(/Give a reason/).waitFor();
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
      assert.equal((await loginAnswer(server, bo.p)).ok, true, 'nothing happened without a reason');
      await item(spam1).getByRole('button', { name: 'Ban author' }).click();
      await dialog.getByLabel('Ban duration').selectOption({ label: '1 day' });
      await dialog.getByLabel(/Reason \(shown to @bo_k/).fill('Advertising after two warnings');
      await shotBoth(mod, SHOTS, '05-ban-dialog', async () => {
        await allInside(mod, dialog.getByRole('button'), 'the dialog\'s buttons');
      });
      const asked = Date.now() / 1000;
      await dialog.getByRole('button', { name: 'Ban now' }).click();
      await dialog.waitFor({ state: 'detached' });
      await mod.getByText(/@bo_k banned until/).waitFor();

      // The banned person is told until when and why.
      const r = await loginAnswer(server, bo.p);
      assert.equal(r.error?.code, 'banned');
      assert.match(r.error.message, /Advertising after two warnings/);
      const until = Date.parse(r.error.message.match(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/)[0]) / 1000;
      assert.ok(Math.abs(until - (asked + 86400)) < 120, `banned for a day: until ${until}, asked at ${asked}`);

      // The author's other flagged post left the queue; another author's stayed.
      await item(spam2).waitFor({ state: 'detached' });
      await item(fair).waitFor();
      await shotBoth(mod, SHOTS, '06-after-ban', noOverflow(mod));
    });

    await t.test('the moderation log shows excerpts, handles and key fingerprints', async () => {
      // A rotation (in the console), a post hidden and then deleted by its
      // author, and one hidden and restored.
      await open(adm, 'Keys');
      await adm.getByLabel('Reason (public log)').fill('scheduled rotation');
      await adm.getByRole('button', { name: 'Rotate key…' }).click();
      await adm.getByRole('dialog').getByRole('button', { name: 'Rotate now' }).click();
      await adm.getByText('Rotated. A new key is active.').waitFor();
      const gone = await post(dee, 'A post its author will take back.');
      await admin.ok('hide', { post_id: gone.id, reason: 'Off topic here' });
      await dee.forum.ok('delete', { post_id: gone.id });
      await admin.ok('hide', { post_id: fair.id, reason: 'Looked off topic' });
      await admin.ok('restore', { post_id: fair.id, reason: 'It is on topic after all' });

      await open(mod, 'Moderation log');
      await mod.getByRole('button', { name: 'Refresh' }).click();
      const log = mod.getByRole('main').locator('ol.modlog');
      const entry = (action, text) => log.getByRole('listitem').filter({ has: mod.getByText(action, { exact: true }) }).filter({ hasText: text });
      const active = (await (await fetch(`${server.url}/v1/keys`)).json()).keys.find((k) => k.state === 'active');
      await entry('keys.rotate', `key ${active.key_id.slice(0, 8)} (epoch ${active.epoch})`).waitFor();
      await entry('ban', '@bo_k').waitFor();
      await entry('restore', `“${fair.body}”`).waitFor();
      await entry('hide', `“${fair.body}”`).waitFor();
      await entry('hide', 'deleted post').waitFor();
      assert.equal(await entry('hide', 'deleted post').getByRole('button').count(), 0, 'a deleted post has nothing to restore');
      assert.equal(await entry('hide', `“${fair.body}”`).getByRole('button').count(), 0, 'a restored post has nothing to restore');
      // Moderators also read the start of a hidden post.
      await entry('hide', `“${named.body}” (hidden)`).waitFor();
      const text = await log.innerText();
      for (const id of [active.key_id, named.id, gone.id, fair.id]) assert.ok(!text.includes(id), `no raw id ${id} in the log`);
      await shotBoth(mod, SHOTS, '07-modlog', noOverflow(mod));

      // The public log carries the same words: no excerpt of a hidden post there.
      const pub = (await ava.forum.ok('modlog', { limit: 20 })).entries;
      const hideNamed = pub.find((e) => e.action === 'hide' && e.target === named.id);
      assert.equal(hideNamed.post_state, 'hidden');
      assert.equal(hideNamed.excerpt, null);
    });

    await t.test('a moderator searches, hidden posts included, and hides and restores from the results', async () => {
      await admin.ok('channels.add', { name: 'facilities', description: 'Buildings and kitchens' });
      const leak = await post(dee, 'The kettle on floor three leaks again.');
      const named2 = (await ava.forum.ok('post', signedPost(server, ava.p, 'facilities', 'Who broke the kettle? Sam from payroll, his number is 555-0100.'))).post;
      await admin.ok('hide', { post_id: named2.id, reason: 'A colleague\'s phone number' });
      const gone = await post(dee, 'A kettle post its author takes back.');
      await dee.forum.ok('delete', { post_id: gone.id });
      const forumFinds = async (id) => (await ava.forum.ok('search', { query: 'kettle' })).posts.some((x) => x.id === id);
      assert.equal(await forumFinds(named2.id), false, 'pseudonyms do not find the hidden post');

      await open(mod, 'Search');
      const form = mod.getByRole('search', { name: 'Search posts' });
      const results = mod.getByRole('region', { name: 'Search results' });
      const card = (p) => results.getByRole('article').filter({ hasText: p.body });
      const hiddenBadge = (p) => card(p).getByText('Hidden', { exact: true });
      const search = async (words, channel = 'All channels') => {
        await form.getByLabel('Search words').fill(words);
        await form.getByLabel('Channel').selectOption({ label: channel });
        await form.getByRole('button', { name: 'Search', exact: true }).click();
      };
      const shownBodies = () => results.getByRole('article').locator('.post-body').allInnerTexts();

      // Both found, newest first, the hidden one marked; the deleted one never.
      await search('KETTLE');
      await card(leak).waitFor();
      assert.deepEqual(await shownBodies(), [named2.body, leak.body]);
      await hiddenBadge(named2).waitFor();
      assert.equal(await hiddenBadge(leak).count(), 0);
      assert.equal(await card(named2).getByRole('button', { name: 'Restore' }).count(), 1);
      assert.equal(await card(leak).getByRole('button', { name: 'Hide' }).count(), 1);
      await shotBoth(mod, SHOTS, '11-search', noOverflow(mod));

      // The thread of a result, the result marked.
      await card(named2).getByRole('button', { name: 'Show thread' }).click();
      const thread = card(named2).getByRole('list', { name: 'Thread of the post by @ava_s' });
      await thread.getByText('Found post').waitFor();
      await card(named2).getByRole('button', { name: 'Close thread' }).click();

      // One channel at a time.
      await search('kettle', '#facilities');
      await card(leak).waitFor({ state: 'detached' });
      assert.deepEqual(await shownBodies(), [named2.body]);
      await search('kettle', '#general');
      await card(named2).waitFor({ state: 'detached' });
      assert.deepEqual(await shownBodies(), [leak.body]);

      // No reason, nothing hidden.
      await card(leak).getByRole('button', { name: 'Hide' }).click();
      await mod.getByRole('alert').filter({ hasText: 'Give a reason to hide the post by @dee_r' }).waitFor();
      assert.equal(await hiddenBadge(leak).count(), 0);
      assert.equal(await forumFinds(leak.id), true);

      // Hidden from the results with a reason: marked at once, gone from the forum's search.
      await card(leak).getByLabel('Reason for the public log').fill('Checking the search console');
      await card(leak).getByRole('button', { name: 'Hide' }).click();
      await hiddenBadge(leak).waitFor();
      await mod.getByText('Post by @dee_r hidden.').waitFor();
      assert.equal(await forumFinds(leak.id), false);
      const logged = (await ava.forum.ok('modlog', { limit: 5 })).entries.find((e) => e.target === leak.id);
      assert.equal(logged?.action, 'hide');
      assert.equal(logged.reason, 'Checking the search console');
      await shotBoth(mod, SHOTS, '12-search-hidden', noOverflow(mod));

      // Restored the same way.
      await card(leak).getByLabel('Reason for the public log').fill('It was fine after all');
      await card(leak).getByRole('button', { name: 'Restore' }).click();
      await mod.getByText('Post by @dee_r restored.').waitFor();
      await hiddenBadge(leak).waitFor({ state: 'detached' });
      await card(leak).getByRole('button', { name: 'Hide' }).waitFor();
      assert.equal(await forumFinds(leak.id), true);

      // A query of punctuation only: the server's refusal, shown, and no results.
      await search('?! ... --');
      await mod.getByRole('alert').filter({ hasText: 'holds no word to search for' }).waitFor();
      assert.equal(await results.count(), 0);

      // Nothing holds these words.
      await search('zebra quartz');
      await results.getByText('No posts hold these words.').waitFor();
      assert.equal(await results.getByRole('article').count(), 0);
    });

    await t.test('search results come a page at a time, query and channel kept', async () => {
      for (let i = 1; i <= 21; i++) await post(dee, `Standup notes, day ${i}.`);
      // Found only if a further page forgot the channel, or took the form's new words.
      await ava.forum.ok('post', signedPost(server, ava.p, 'facilities', 'Standup notes from the facilities channel.'));
      await post(dee, 'The retro is on Friday.');
      const form = mod.getByRole('search', { name: 'Search posts' });
      const results = mod.getByRole('region', { name: 'Search results' });
      await form.getByLabel('Search words').fill('standup notes');
      await form.getByLabel('Channel').selectOption({ label: '#general' });
      await form.getByRole('button', { name: 'Search', exact: true }).click();
      await results.getByRole('article').nth(19).waitFor();
      assert.equal(await results.getByRole('article').count(), 20);
      await form.getByLabel('Search words').fill('retro');
      await form.getByLabel('Channel').selectOption({ label: 'All channels' });
      await mod.getByRole('button', { name: 'More results' }).click();
      await results.getByRole('article').nth(20).waitFor();
      await mod.getByRole('button', { name: 'More results' }).waitFor({ state: 'detached' });
      const bodies = await results.getByRole('article').locator('.post-body').allInnerTexts();
      assert.deepEqual(bodies, Array.from({ length: 21 }, (_, i) => `Standup notes, day ${21 - i}.`));
    });

    await t.test('at 375 px the Keys and Audit tables reflow', async () => {
      await open(adm, 'Keys');
      const keys = adm.getByRole('table');
      await keys.getByRole('row').nth(2).waitFor();
      await shotBoth(adm, SHOTS, '08-keys', async (width) => {
        await noOverflow(adm)(width);
        await allInside(adm, keys.getByRole('button', { name: 'Revoke…' }), 'the Revoke button');
        await allInside(adm, keys.getByRole('cell'), 'a Keys cell');
      });
      await open(adm, 'Audit log');
      const audit = adm.getByRole('table', { name: 'Audit log' });
      await audit.getByRole('cell', { name: 'keys.rotate' }).first().waitFor();
      const ban = audit.getByRole('row').filter({ has: adm.getByRole('cell', { name: 'ban', exact: true }) });
      await ban.getByRole('cell', { name: 'Advertising after two warnings' }).waitFor();
      const rotate = audit.getByRole('row').filter({ has: adm.getByRole('cell', { name: 'keys.rotate', exact: true }) });
      await rotate.getByText(/^key .{8} \(epoch 2\)$/).waitFor();
      await shotBoth(adm, SHOTS, '09-audit', async (width) => {
        await noOverflow(adm)(width);
        await allInside(adm, audit.getByRole('cell'), 'an Audit cell');
      });
    });

    await t.test('an admin changes their own password', async () => {
      await open(adm, 'My password');
      const form = adm.getByRole('main');
      await form.getByLabel('Current password').fill('not the password at all');
      await form.getByLabel('New password', { exact: true }).fill(NEW_ADMIN_PASSWORD);
      await form.getByLabel('New password again').fill(NEW_ADMIN_PASSWORD);
      await form.getByRole('button', { name: 'Change password' }).click();
      await adm.getByText('The current password is wrong.').waitFor();
      await shotBoth(adm, SHOTS, '03-password-wrong', noOverflow(adm));
      await form.getByLabel('Current password').fill(ADMIN_PASSWORD);
      await form.getByLabel('New password again').fill('a different new password');
      await form.getByRole('button', { name: 'Change password' }).click();
      await adm.getByText('The two new passwords differ.').waitFor();
      await form.getByLabel('New password again').fill(NEW_ADMIN_PASSWORD);
      await form.getByRole('button', { name: 'Change password' }).click();
      await adm.getByText(/Password changed/).waitFor();
      assert.equal(await form.getByLabel('Current password').inputValue(), '', 'the fields are cleared');
      await shotBoth(adm, SHOTS, '04-password-changed', noOverflow(adm));

      const old = await server.connect('staff');
      assert.equal(await old.err('login', { username: 'admin', password: ADMIN_PASSWORD }), 'unauthenticated');
      old.close();
      // Sign out and in again with the new one.
      await adm.getByRole('button', { name: 'Sign out' }).click();
      await staffSignIn(adm, server.url, 'admin', NEW_ADMIN_PASSWORD);
    });

    assert.deepEqual([...adm.errors, ...mod.errors], []);
  } finally {
    for (const c of clients) c.close();
    await server.stop();
    server.cleanup();
  }
});

/** `hearth init` for one role, with the integration tests' fast Argon2id settings. */
function initRole(role, extra = []) {
  const dir = mkdtempSync(join(tmpdir(), `hearth-staff-${role}-`));
  writeFileSync(join(dir, 'admin.pw'), ADMIN_PASSWORD + '\n');
  writeFileSync(join(dir, 'init.toml'), '[issuer]\nargon2_opslimit = 1\nargon2_memlimit = 8192\n');
  execFileSync(HEARTH_BIN, ['init', '--data', join(dir, 'data'), '--role', role, '--admin-password-file', join(dir, 'admin.pw'),
    '--config', join(dir, 'init.toml'), ...extra], { encoding: 'utf8' });
  return dir;
}

test('the console shows the sections of the role it is connected to', async (t) => {
  const issuer = await Server.start({ init: false, dataDir: initRole('issuer', ['--issuer', 'hearth-test']), config: WEB_CONFIG });
  let forum = null;
  try {
    const master = (await (await fetch(`${issuer.url}/v1/keys`)).json()).master_key;
    forum = await Server.start({
      init: false,
      dataDir: initRole('forum', ['--issuer-url', issuer.url, '--master-key', master]),
      config: WEB_CONFIG,
    });
    for (const [server, role, expected] of [
      [issuer, 'issuer', ['Keys', 'Roster', 'Staff accounts', 'Audit log', 'My password']],
      [forum, 'forum', ['Flag queue', 'Search', 'Polls', 'Moderation log', 'Staff accounts', 'Channels', 'Audit log', 'My password']],
    ]) {
      await t.test(`${role}: ${expected.join(', ')}`, async () => {
        assert.equal((await (await fetch(`${server.url}/v1/config`)).json()).role, role);
        const p = await page(role.toUpperCase());
        await staffSignIn(p, server.url, 'admin', ADMIN_PASSWORD);
        assert.deepEqual(await sections(p), expected);
        await p.getByText(`${role} service`, { exact: true }).waitFor();
        await open(p, 'Staff accounts');
        await p.getByText(`These accounts belong to this ${role} service only`).waitFor();
        await shotBoth(p, SHOTS, `10-${role}-console`, noOverflow(p));
        assert.deepEqual(p.errors, []);
        await p.context().close();
      });
    }
  } finally {
    for (const s of [forum, issuer]) {
      if (!s) continue;
      await s.stop();
      s.cleanup();
    }
  }
});

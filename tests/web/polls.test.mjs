// Polls in Chromium against the real `hearth serve` (HEARTH_BIN) and the
// built web client. An employee enrolls at `/`, creates a live poll from the
// composer area, votes and changes the vote; until three people voted
// (min_crowd here) the poll says there are too few votes to show; two
// colleagues vote through the independent protocol client of the
// integration tests and the results appear, the browser's own vote marked.
// A moderator at `/staff` pins the older of two polls and the employee sees
// it first; then hides the employee's poll with a reason: it leaves the
// employee's channel, its author is told (no appeal: a poll's hide has
// none), the staff list marks it `Hidden`, and Restore brings it back.
// Screenshots at desktop width and at 375 px go where the e2e
// puts its own (tests/output/screenshots, or $HEARTH_SHOTS/screenshots).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { ensureIntegrationDeps, ensureWebBuilt, launchBrowser, noOverflow, openPage, shotBoth, shotsDir, WEB_DIST } from './lib/browser.mjs';

ensureIntegrationDeps();
const { ADMIN_PASSWORD, Server, b64u, utf8, pseudonymOnForum, newNonce } = await import('../integration/lib/harness.mjs');

const SHOTS = shotsDir('screenshots');
const CONFIG = `[server]\nweb = ${JSON.stringify(WEB_DIST)}\n[forum]\nmin_crowd = 3\n`;
const MOD_PASSWORD = 'moderator-pass-polls';

let browser;
before(async () => {
  ensureWebBuilt();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

function signedVote(server, p, pollId, option) {
  const salt = b64u(webcrypto.getRandomValues(new Uint8Array(32)));
  const bytes = utf8(['hearth/vote/v1', server.issuer, pollId, String(option), salt, '', ''].join('\n'));
  return { poll_id: pollId, option, salt, sig: b64u(p.sign(bytes)) };
}

function signedPoll(server, p, question, options, closes_at) {
  const nonce = newNonce();
  const bytes = utf8(['hearth/poll/v1', server.issuer, 'general', String(closes_at), '0', nonce, question, ...options].join('\n'));
  return { channel: 'general', question, options, closes_at, live: false, nonce, sig: b64u(p.sign(bytes)) };
}

test('an employee creates a poll, votes, changes the vote and sees results; a moderator pins a poll', async (t) => {
  const server = await Server.start({ config: CONFIG });
  const clients = [];
  try {
    const admin = await server.connect('staff');
    clients.push(admin);
    await admin.ok('login', { username: 'admin', password: ADMIN_PASSWORD });
    const { codes } = await admin.ok('roster.import', { employees: ['poll-asker'] });

    const emp = await openPage(browser, 'EMPLOYEE');
    await t.test('the employee enrolls and gets a pseudonym', async () => {
      await emp.goto(`${server.url}/`);
      await emp.getByLabel('Employee ID').fill('poll-asker');
      await emp.getByLabel('Enrollment code').fill(codes['poll-asker']);
      await emp.getByLabel('Password', { exact: true }).fill('pw-poll-asker-long');
      await emp.getByRole('button', { name: 'Enroll', exact: true }).click();
      await emp.getByText(/Signed in on the employer side/).waitFor();
      await emp.getByLabel('Handle').fill('poll_asker');
      await emp.getByRole('spinbutton', { name: 'Unlinking delay (seconds)' }).fill('0');
      await emp.getByRole('button', { name: 'Get pseudonym' }).click();
      await emp.getByRole('region', { name: 'Feed' }).waitFor({ timeout: 30000 });
      await emp.getByRole('region', { name: 'Polls' }).getByText('No polls here yet.').waitFor();
    });

    // An older poll (not live) from a colleague, through the protocol.
    const bo = await pseudonymOnForum(server, admin, 'poll-bo', 'bo_votes');
    const cy = await pseudonymOnForum(server, admin, 'poll-cy', 'cy_votes');
    clients.push(bo.forum, cy.forum);
    const closes = Math.ceil(Date.now() / 1000 / 3600) * 3600 + 7200;
    const older = (await bo.forum.ok('poll.create', signedPoll(server, bo.p, 'Move the standup to 10:00?', ['Yes', 'No'], closes))).poll;

    const polls = emp.getByRole('region', { name: 'Polls' });
    const card = (question) => polls.getByRole('article', { name: question });
    const question = 'Where should the team offsite be?';

    await t.test('a poll is created from the composer area', async () => {
      await emp.reload();
      await card(older.question).waitFor();
      await polls.getByRole('button', { name: 'New poll' }).click();
      const form = emp.getByRole('form', { name: 'New poll' });
      await form.getByLabel('Question').fill(question);
      await form.getByLabel('Option 1', { exact: true }).fill('Lisbon');
      await form.getByLabel('Option 2', { exact: true }).fill('Berlin');
      await form.getByRole('button', { name: 'Add option' }).click();
      await form.getByLabel('Option 3', { exact: true }).fill('Online');
      await form.getByLabel('Closes in').selectOption({ label: '1 week' });
      await form.getByLabel('Show results while the poll is open').check();
      await shotBoth(emp, SHOTS, 'polls-01-new-poll', noOverflow(emp));
      await form.getByRole('button', { name: 'Create poll' }).click();
      await card(question).waitFor();
      assert.equal(await emp.getByRole('form', { name: 'New poll' }).count(), 0, 'the form closes');
      await card(question).getByText('Too few votes to show safely', { exact: false }).waitFor();
      const names = await polls.getByRole('article').evaluateAll((els) => els.map((e) => e.querySelector('h3')?.textContent));
      assert.deepEqual(names, [question, older.question], 'newest first');
    });

    await t.test('the employee votes, then changes the vote', async () => {
      const c = card(question);
      await c.getByRole('radio', { name: 'Berlin' }).check();
      await c.getByRole('button', { name: 'Vote' }).click();
      await c.getByText('1 vote', { exact: false }).waitFor();
      await c.getByText('You voted for “Berlin”.').waitFor();
      assert.equal(await c.getByRole('button', { name: 'Change vote' }).isDisabled(), true, 'the same choice is no change');
      await c.getByRole('radio', { name: 'Lisbon' }).check();
      await c.getByRole('button', { name: 'Change vote' }).click();
      await c.getByText('You voted for “Lisbon”.').waitFor();
      await c.getByText('1 vote', { exact: false }).waitFor();
      await shotBoth(emp, SHOTS, 'polls-02-voted-too-few', noOverflow(emp));
    });

    await t.test('with enough votes the live results show, the own vote marked', async () => {
      const { polls: listed } = await bo.forum.ok('polls', { channel: 'general' });
      const id = listed.find((p) => p.question === question).id;
      await bo.forum.ok('poll.vote', signedVote(server, bo.p, id, 0));
      await cy.forum.ok('poll.vote', signedVote(server, cy.p, id, 2));
      await emp.reload();
      const c = card(question);
      const results = c.getByRole('list', { name: 'Results' });
      await results.waitFor();
      await results.getByText('Lisbon: 2 (67%) · your vote').waitFor();
      await results.getByText('Berlin: 0 (0%)').waitFor();
      await results.getByText('Online: 1 (33%)').waitFor();
      assert.equal(await c.getByText('Too few votes', { exact: false }).count(), 0);
      // Not live: a vote, but no results before the close.
      await card(older.question).getByRole('radio', { name: 'No' }).check();
      await card(older.question).getByRole('button', { name: 'Vote' }).click();
      await card(older.question).getByText('Results show when the poll closes.').waitFor();
      await shotBoth(emp, SHOTS, 'polls-03-results', noOverflow(emp));
    });

    let mod;
    const consoleSection = (name) => mod.getByRole('navigation', { name: 'Console' }).getByRole('button', { name, exact: true });
    const staffPoll = (q) => mod.getByRole('region', { name: 'Channel polls' }).getByRole('article', { name: q });

    await t.test('a moderator pins the older poll at /staff and it comes first', async () => {
      await admin.ok('staff.add', { username: 'pollmod', role: 'moderator', password: MOD_PASSWORD });
      mod = await openPage(browser, 'MODERATOR');
      await mod.goto(`${server.url}/staff`);
      await mod.getByLabel('Username').fill('pollmod');
      await mod.getByLabel('Password', { exact: true }).fill(MOD_PASSWORD);
      await mod.getByRole('button', { name: 'Sign in' }).click();
      await consoleSection('Polls').click();
      const item = staffPoll(older.question);
      await item.getByRole('button', { name: 'Pin' }).click();
      await mod.getByText(`Pinned “${older.question}”.`).waitFor();
      await item.getByText('Pinned', { exact: true }).waitFor();
      await shotBoth(mod, SHOTS, 'polls-04-staff-pinned', noOverflow(mod));
      assert.deepEqual(mod.errors, []);

      await emp.reload();
      await card(older.question).getByText('Pinned', { exact: true }).waitFor();
      const names = await polls.getByRole('article').evaluateAll((els) => els.map((e) => e.querySelector('h3')?.textContent));
      assert.deepEqual(names, [older.question, question], 'pinned first');
      await shotBoth(emp, SHOTS, 'polls-05-pinned', noOverflow(emp));

      await item.getByRole('button', { name: 'Unpin' }).click();
      await mod.getByText(`Unpinned “${older.question}”.`).waitFor();
    });

    const bell = emp.getByRole('navigation', { name: 'Forum' }).getByRole('button', { name: /^Notifications/ });
    const panel = emp.getByRole('region', { name: 'Notifications' });
    const notice = (text) => panel.getByRole('listitem').filter({ hasText: text });
    const hideReason = 'The options name colleagues';
    const hidText = `A moderator hid your poll: ${hideReason}.`;

    await t.test('a moderator hides the poll with a reason: it leaves the channel and its author is told, with no appeal', async () => {
      const item = staffPoll(question);
      // No reason, no hide: the author and the public log are shown it.
      await item.getByRole('button', { name: 'Hide' }).click();
      await mod.getByRole('alert').getByText('Give a reason', { exact: false }).waitFor();
      assert.equal(await item.getByText('Hidden', { exact: true }).count(), 0);
      const { polls: before } = await admin.ok('polls', { channel: 'general' });
      assert.equal(before.find((p) => p.question === question).hidden, undefined, 'nothing was sent');

      await bell.click(); // open before the hide: the notice arrives live
      await panel.waitFor();
      await item.getByLabel('Reason for the public log').fill(hideReason);
      await item.getByRole('button', { name: 'Hide' }).click();
      await mod.getByText(`Hid “${question}”.`).waitFor();
      await item.getByText('Hidden', { exact: true }).waitFor();
      await item.getByRole('button', { name: 'Restore' }).waitFor();
      assert.equal(await item.getByLabel('Reason for the public log').inputValue(), '', 'the reason is cleared once used');
      await staffPoll(older.question).getByRole('button', { name: 'Hide' }).waitFor();
      await shotBoth(mod, SHOTS, 'polls-06-staff-hidden', noOverflow(mod));
      // The console's log offers to restore it while it is hidden.
      await consoleSection('Moderation log').click();
      const logged = mod.getByRole('listitem').filter({ hasText: 'Poll hidden' });
      await logged.getByText('hidden poll', { exact: true }).waitFor();
      await logged.getByRole('button', { name: 'Restore' }).waitFor();
      await consoleSection('Polls').click();

      await notice(hidText).waitFor();
      assert.equal(await notice(hidText).getByRole('button').count(), 0, 'no appeal on a poll hide (live notice)');

      await emp.reload();
      await card(older.question).waitFor();
      assert.equal(await card(question).count(), 0, 'the hidden poll left the channel');
      await bell.click();
      await notice(hidText).waitFor();
      assert.equal(await notice(hidText).getByRole('button').count(), 0, 'no appeal on a poll hide (listed notice)');
      await shotBoth(emp, SHOTS, 'polls-07-hidden-notice', noOverflow(emp));

      // The public log names it as a hidden poll, never by a post's words.
      await emp.getByRole('button', { name: 'Moderation log' }).click();
      const entry = emp.getByRole('listitem').filter({ hasText: 'Poll hidden' }).filter({ hasText: hideReason });
      await entry.getByText('hidden poll', { exact: true }).waitFor();
      assert.equal(await entry.getByRole('link').count(), 0);
      await emp.getByRole('button', { name: '#general' }).click();
    });

    await t.test('Restore brings the poll back to the channel', async () => {
      const item = staffPoll(question);
      await item.getByLabel('Reason for the public log').fill('Names removed from view on review');
      await item.getByRole('button', { name: 'Restore' }).click();
      await mod.getByText(`Restored “${question}”.`).waitFor();
      await item.getByRole('button', { name: 'Hide' }).waitFor();
      assert.equal(await item.getByText('Hidden', { exact: true }).count(), 0);
      await consoleSection('Moderation log').click();
      await mod.getByRole('listitem').filter({ hasText: 'Poll restored' }).getByText(`“${question}”`, { exact: true }).waitFor();
      assert.equal(await mod.getByRole('listitem').filter({ hasText: 'Poll hidden' }).getByRole('button').count(), 0, 'nothing left to restore');
      assert.deepEqual(mod.errors, []);
      await mod.close();

      await emp.reload();
      await card(question).waitFor();
      await card(question).getByRole('list', { name: 'Results' }).waitFor();
      await bell.click();
      await notice('A moderator restored your poll: Names removed from view on review.').waitFor();
      await emp.getByRole('button', { name: 'Moderation log' }).click();
      const restored = emp.getByRole('listitem').filter({ hasText: 'Poll restored' });
      await restored.getByText(`“${question}”`, { exact: true }).waitFor();
      await emp.getByRole('button', { name: '#general' }).click();
    });
    assert.deepEqual(emp.errors, []);
  } finally {
    for (const c of clients) c.close();
    await server.stop();
    server.cleanup();
  }
});

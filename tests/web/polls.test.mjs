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
// A second test keeps the employee's channel open while colleagues and a
// moderator act over the protocol: a new poll appears without a reload, after
// the pinned one; votes change its count and then its live results; a hide
// takes it away and a restore brings it back; after a dropped connection the
// list is loaded again and pushes go on.
// A third has a poll close while the employee's channel and a moderator's
// console list show it: at its closing time both cards say it closed and
// show its results, without a reload (a close pushes nothing; the pages ask
// again).
// Screenshots at desktop width and at 375 px go where the e2e
// puts its own (tests/output/screenshots, or $HEARTH_SHOTS/screenshots).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { becomePseudonym, ensureIntegrationDeps, ensureWebBuilt, launchBrowser, noOverflow, openPage, shotBoth, shotsDir, staffSignIn, WEB_DIST } from './lib/browser.mjs';

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

function signedPoll(server, p, question, options, closes_at, live = false, channel = 'general') {
  const nonce = newNonce();
  const bytes = utf8(['hearth/poll/v1', server.issuer, channel, String(closes_at), live ? '1' : '0', nonce, question, ...options].join('\n'));
  return { channel, question, options, closes_at, live, nonce, sig: b64u(p.sign(bytes)) };
}

/** Three colleagues on the forum through the protocol client (`bo_TAG`, `cy_TAG`, `di_TAG`), their sockets in `clients`. */
async function colleagues(server, admin, clients, tag) {
  const them = [];
  for (const name of ['bo', 'cy', 'di']) {
    const o = await pseudonymOnForum(server, admin, `${tag}-${name}`, `${name}_${tag}`);
    clients.push(o.forum);
    them.push(o);
  }
  return them;
}

/** A server with the admin signed in; `clients` are closed and the server removed afterwards. */
async function withServer(body, config = CONFIG) {
  const server = await Server.start({ config });
  const clients = [];
  try {
    const admin = await server.connect('staff');
    clients.push(admin);
    await admin.ok('login', { username: 'admin', password: ADMIN_PASSWORD });
    await body(server, admin, clients);
  } finally {
    for (const c of clients) c.close();
    await server.stop();
    server.cleanup();
  }
}

test('an employee creates a poll, votes, changes the vote and sees results; a moderator pins a poll', (t) =>
  withServer(async (server, admin, clients) => {
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
      await staffSignIn(mod, server.url, 'pollmod', MOD_PASSWORD);
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
  }));

test('the open channel’s polls are live: created, voted on, hidden and restored without a reload', (t) =>
  withServer(async (server, admin, clients) => {
    const { codes } = await admin.ok('roster.import', { employees: ['live-reader'] });
    await admin.ok('staff.add', { username: 'livemod', role: 'moderator', password: MOD_PASSWORD });
    const mod = await server.connect('staff');
    clients.push(mod);
    await mod.ok('login', { username: 'livemod', password: MOD_PASSWORD });

    const [bo, cy, di] = await colleagues(server, admin, clients, 'live');
    const closes = Math.ceil(Date.now() / 1000 / 3600) * 3600 + 7200;
    const pinned = (await bo.forum.ok('poll.create', signedPoll(server, bo.p, 'Keep Friday demos?', ['Yes', 'No'], closes))).poll;
    const older = (await cy.forum.ok('poll.create', signedPoll(server, cy.p, 'New coffee machine?', ['Yes', 'No'], closes))).poll;
    await mod.ok('poll.pin', { poll_id: pinned.id, pinned: true });

    const emp = await openPage(browser, 'LIVE');
    // Keeps the page's forum sockets, so that the test can drop the connection.
    await emp.addInitScript(() => {
      const Native = window.WebSocket;
      window.__forumSockets = [];
      window.WebSocket = class extends Native {
        constructor(...args) {
          super(...args);
          if (String(args[0]).includes('/v1/forum')) window.__forumSockets.push(this);
        }
      };
    });
    const polls = emp.getByRole('region', { name: 'Polls' });
    const card = (question) => polls.getByRole('article', { name: question });
    const order = () => polls.getByRole('article').evaluateAll((els) => els.map((e) => e.querySelector('h3')?.textContent));
    await t.test('the employee opens the channel: the pinned poll first', async () => {
      await becomePseudonym(emp, server.url, 'live-reader', codes['live-reader'], 'live_reader');
      await card(older.question).waitFor();
      assert.deepEqual(await order(), [pinned.question, older.question]);
      // Marks this page load: a reload would lose it.
      await emp.evaluate(() => (window.__sameLoad = true));
    });

    const question = 'Which day for the team lunch?';
    let live;
    await t.test('a colleague creates a poll: it appears after the pinned one, and is announced', async () => {
      live = (await di.forum.ok('poll.create', signedPoll(server, di.p, question, ['Tuesday', 'Thursday'], closes, true))).poll;
      await card(question).waitFor();
      assert.deepEqual(await order(), [pinned.question, question, older.question]);
      await polls.getByRole('status').getByText(`New poll: ${question}`).waitFor();
      await card(question).getByText('0 votes', { exact: false }).waitFor();
      await card(question).getByRole('radio', { name: 'Thursday' }).waitFor();
    });

    await t.test('votes by others change its count, then show its live results', async () => {
      await bo.forum.ok('poll.vote', signedVote(server, bo.p, live.id, 0));
      await card(question).getByText('1 vote', { exact: false }).waitFor();
      await cy.forum.ok('poll.vote', signedVote(server, cy.p, live.id, 1));
      await card(question).getByText('2 votes', { exact: false }).waitFor();
      await card(question).getByText('Too few votes to show safely', { exact: false }).waitFor();
      // The employee votes too: the third voter, so the results show.
      await card(question).getByRole('radio', { name: 'Tuesday' }).check();
      await card(question).getByRole('button', { name: 'Vote' }).click();
      const results = card(question).getByRole('list', { name: 'Results' });
      await results.getByText('Tuesday: 2 (67%) · your vote').waitFor();
      await results.getByText('Thursday: 1 (33%)').waitFor();
      // Another colleague's vote is pushed: the counts follow, the own vote stays marked and changeable.
      await di.forum.ok('poll.vote', signedVote(server, di.p, live.id, 1));
      await results.getByText('Thursday: 2 (50%)').waitFor();
      await results.getByText('Tuesday: 2 (50%) · your vote').waitFor();
      await card(question).getByText('4 votes', { exact: false }).waitFor();
      await card(question).getByRole('button', { name: 'Change vote' }).waitFor();
      assert.equal(await card(question).getByText('You voted from another browser', { exact: false }).count(), 0);
      // A vote on the other poll changes only that one.
      await bo.forum.ok('poll.vote', signedVote(server, bo.p, older.id, 0));
      await card(older.question).getByText('1 vote', { exact: false }).waitFor();
      await shotBoth(emp, SHOTS, 'polls-08-live-results', noOverflow(emp));
    });

    await t.test('a moderator hides it: it leaves the channel; restored, it returns in its place with its results', async () => {
      await mod.ok('poll.hide', { poll_id: live.id, reason: 'Names a colleague' });
      await card(question).waitFor({ state: 'detached' });
      assert.deepEqual(await order(), [pinned.question, older.question]);
      await polls.getByRole('status').getByText(`A moderator hid the poll: ${question}`).waitFor();

      await mod.ok('poll.restore', { poll_id: live.id, reason: 'Reviewed: fine' });
      await card(question).waitFor();
      assert.deepEqual(await order(), [pinned.question, question, older.question]);
      await polls.getByRole('status').getByText(`Poll restored: ${question}`).waitFor();
      const results = card(question).getByRole('list', { name: 'Results' });
      await results.getByText('Tuesday: 2 (50%) · your vote').waitFor();
      await card(question).getByRole('button', { name: 'Change vote' }).waitFor();
    });

    await t.test('the employee changes the vote after the restore, and the page was never reloaded', async () => {
      const c = card(question);
      await c.getByRole('radio', { name: 'Thursday' }).check();
      await c.getByRole('button', { name: 'Change vote' }).click();
      await c.getByRole('list', { name: 'Results' }).getByText('Thursday: 3 (75%) · your vote').waitFor();
      await c.getByText('4 votes', { exact: false }).waitFor();
      assert.equal(await emp.evaluate(() => window.__sameLoad), true, 'no reload');
    });

    await t.test('a poll created in another channel does not appear here', async () => {
      await admin.ok('channels.add', { name: 'elsewhere', description: '' });
      const q = 'Elsewhere only?';
      await bo.forum.ok('poll.create', signedPoll(server, bo.p, q, ['a', 'b'], closes, false, 'elsewhere'));
      // Then one here: once it shows, the other would have too.
      const here = 'And one here?';
      await cy.forum.ok('poll.create', signedPoll(server, cy.p, here, ['a', 'b'], closes));
      await card(here).waitFor();
      assert.equal(await card(q).count(), 0);
    });
    await t.test('after a dropped connection the list is loaded again, and later polls are still pushed', async () => {
      await emp.evaluate(() => window.__forumSockets.forEach((ws) => ws.close()));
      const during = 'Asked while the connection was down?';
      await bo.forum.ok('poll.create', signedPoll(server, bo.p, during, ['a', 'b'], closes));
      await card(during).waitFor();
      // Subscribed again, with the polls: a poll created now can only arrive pushed.
      const after = 'Asked once it was back?';
      await di.forum.ok('poll.create', signedPoll(server, di.p, after, ['a', 'b'], closes));
      await card(after).waitFor();
      assert.equal(await emp.evaluate(() => window.__forumSockets.filter((ws) => ws.readyState === WebSocket.OPEN).length), 1);
      assert.equal(await emp.evaluate(() => window.__sameLoad), true, 'no reload');
    });
    assert.deepEqual(emp.errors, []);
  }));

// Closing times a few seconds ahead need a finer granularity than the default minute.
const CLOSE_CONFIG = `${CONFIG}time_granularity = 1\n`;

test('a shown poll that closes says so and shows its results without a reload', (t) =>
  withServer(async (server, admin, clients) => {
    const { codes } = await admin.ok('roster.import', { employees: ['close-reader'] });
    const [bo, cy, di] = await colleagues(server, admin, clients, 'close');
    const emp = await openPage(browser, 'CLOSE');
    const polls = emp.getByRole('region', { name: 'Polls' });
    await becomePseudonym(emp, server.url, 'close-reader', codes['close-reader'], 'close_reader');
    await polls.waitFor();
    await emp.evaluate(() => (window.__sameLoad = true));
    await admin.ok('staff.add', { username: 'closemod', role: 'moderator', password: MOD_PASSWORD });
    const mod = await openPage(browser, 'MODERATOR');
    await staffSignIn(mod, server.url, 'closemod', MOD_PASSWORD);
    const pollsSection = mod.getByRole('navigation', { name: 'Console' }).getByRole('button', { name: 'Polls', exact: true });
    await mod.evaluate(() => (window.__sameLoad = true));

    const question = 'Order pizza for the release evening?';
    const card = polls.getByRole('article', { name: question });
    const results = card.getByRole('list', { name: 'Results' });
    const staffCard = mod.getByRole('region', { name: 'Channel polls' }).getByRole('article', { name: question });
    let poll;
    await t.test('an open poll, not live: votes counted, results held back', async () => {
      const closes = Math.floor(Date.now() / 1000) + 10;
      poll = (await bo.forum.ok('poll.create', signedPoll(server, bo.p, question, ['Yes', 'No'], closes))).poll;
      await card.waitFor();
      for (const [o, option] of [
        [bo, 0],
        [cy, 0],
        [di, 1],
      ])
        await o.forum.ok('poll.vote', signedVote(server, o.p, poll.id, option));
      await card.getByText('3 votes', { exact: false }).waitFor();
      await card.getByText('Results show when the poll closes.').waitFor();
      await card.getByRole('radio', { name: 'Yes' }).waitFor();
      assert.equal(await results.count(), 0);
      // The moderator's console lists it open, its results held back.
      await pollsSection.click();
      await staffCard.getByText(/^by @bo_close · closes .* · 3 votes$/).waitFor();
      await staffCard.getByText('Yes · No', { exact: true }).waitFor();
      assert.ok(Date.now() / 1000 < poll.closes_at, 'the poll closed before the pages had shown it open: the test could not tell');
    });

    await t.test('at its closing time the card says it closed and shows the results', async () => {
      await results.getByText('Yes: 2 (67%)').waitFor({ timeout: 30_000 });
      await results.getByText('No: 1 (33%)').waitFor();
      await card.getByText(/^by @bo_close · closed /).waitFor();
      assert.equal(await card.getByRole('radio').count(), 0);
      assert.equal(await card.getByText('Results show when the poll closes.').count(), 0);
      assert.equal(await emp.evaluate(() => window.__sameLoad), true, 'the page was reloaded');
      await shotBoth(emp, SHOTS, 'polls-09-closed-while-shown', noOverflow(emp));
    });

    await t.test('the moderator\'s list turns it to closed with its results, without a reload', async () => {
      await staffCard.getByText('Yes: 2 · No: 1', { exact: true }).waitFor({ timeout: 30_000 });
      await staffCard.getByText(/^by @bo_close · closed .* · 3 votes$/).waitFor();
      assert.equal(await mod.evaluate(() => window.__sameLoad), true, 'the console was reloaded');
      assert.deepEqual(mod.errors, []);
    });
  }, CLOSE_CONFIG));

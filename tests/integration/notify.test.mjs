// Notifications (replies, reactions, moderation; live and kept; unread and
// read) and appeals (one per action, signed by the pseudonym, decided by a
// moderator other than the one who acted, in the public log and the
// author's notifications), against the real server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Server, Pseudonym, b64u, utf8, signedPost, pseudonymOnForum, loginBytes, login } from './lib/harness.mjs';

const appealBytes = (issuer, actionId, text) => utf8(`hearth/appeal/v1\n${issuer}\n${actionId}\n${text}`);
const signedAppeal = (server, p, actionId, text) =>
  ({ pseudonym_pk: p.pkB64, action_id: actionId, text, sig: b64u(p.sign(appealBytes(server.issuer, actionId, text))) });

async function moderator(server, admin, username) {
  await admin.ok('staff.add', { username, role: 'moderator', password: `${username}-password-long` });
  const c = await server.connect('staff');
  await c.ok('login', { username, password: `${username}-password-long` });
  return c;
}

async function loginCode(server, p) {
  const f = await server.connect('forum');
  const { nonce } = await f.ok('challenge');
  const r = await f.call('login', { pseudonym_pk: p.pkB64, sig: b64u(p.sign(loginBytes(server.issuer, nonce))) });
  f.close();
  return r.ok ? 'ok' : r.error.code;
}

test('replies and reactions are told to the author, live and kept; unread and read', async () => {
  const server = await Server.start();
  try {
    const admin = await server.admin();
    const amy = await pseudonymOnForum(server, admin, 'n-amy', 'amy_n');
    const bob = await pseudonymOnForum(server, admin, 'n-bob', 'bob_n');
    // Not logged in: no notifications.
    const anon = await server.connect('forum');
    assert.equal(await anon.err('notifications'), 'unauthenticated');
    assert.equal(await anon.err('notifications.read'), 'unauthenticated');
    anon.close();

    const top = (await amy.forum.ok('post', signedPost(server, amy.p, 'general', 'lunch at noon?'))).post;
    // Her own reply and reaction tell her nothing.
    await amy.forum.ok('post', signedPost(server, amy.p, 'general', 'or one?', top.id));
    await amy.forum.ok('react', { post_id: top.id, reaction: 'heart', on: true });
    const reply = (await bob.forum.ok('post', signedPost(server, bob.p, 'general', 'noon works', top.id))).post;
    const live = await amy.forum.waitEvent((e) => e.event === 'notification');
    assert.equal(live.data.notice.kind, 'reply');
    assert.equal(live.data.notice.post_id, top.id);
    assert.equal(live.data.notice.reply_id, reply.id);
    assert.equal(live.data.notice.by, 'bob_n');
    assert.equal(live.data.unread, 1);
    assert.equal(live.data.notice.at % 60, 0, 'a coarse time, as posts have');

    // A reaction is told once, without naming who reacted, even if taken back and given again.
    await bob.forum.ok('react', { post_id: top.id, reaction: '+1', on: true });
    const r1 = await amy.forum.waitEvent((e) => e.event === 'notification');
    assert.equal(r1.data.notice.kind, 'reaction');
    assert.equal(r1.data.notice.reaction, '+1');
    assert.equal(r1.data.notice.by, undefined);
    assert.ok(!JSON.stringify(r1).includes('bob_n') && !JSON.stringify(r1).includes(bob.p.pkB64));
    await bob.forum.ok('react', { post_id: top.id, reaction: '+1', on: false });
    await bob.forum.ok('react', { post_id: top.id, reaction: '+1', on: true });

    // Kept for later: a new connection lists them, newest first.
    const again = await server.connect('forum');
    await login(again, server, amy.p);
    let list = await again.ok('notifications');
    assert.equal(list.unread, 2);
    assert.deepEqual(list.items.map((n) => n.kind), ['reaction', 'reply']);
    assert.equal(list.next, null);
    const page = await again.ok('notifications', { limit: 1 });
    assert.equal(page.items.length, 1);
    const rest = await again.ok('notifications', { before: page.next, limit: 1 });
    assert.equal(rest.items[0].kind, 'reply');
    assert.equal(await again.err('notifications', { before: 'N0000000000000002deadbeef' }), 'bad_request');
    assert.equal(await again.err('notifications', { limit: 0 }), 'bad_request');
    assert.equal(await again.err('notifications', { limit: 101 }), 'bad_request');
    // Another pseudonym's cursor is not this one's.
    const bobList = await bob.forum.ok('notifications', { limit: 1 });
    assert.equal(bobList.items.length, 0);
    assert.equal(await bob.forum.err('notifications', { before: page.next }), 'bad_request');

    // Mark read up to the older one; the other connection hears the new count.
    const read1 = await again.ok('notifications.read', { up_to: rest.items[0].id });
    assert.equal(read1.unread, 1);
    const heard = await amy.forum.waitEvent((e) => e.event === 'notifications_read');
    assert.equal(heard.data.unread, 1);
    list = await again.ok('notifications');
    assert.deepEqual(list.items.map((n) => n.read), [false, true]);
    assert.equal(await again.err('notifications.read', { up_to: '00000000000000ff' }), 'not_found');
    assert.equal(await again.err('notifications.read', { up_to: '' }), 'bad_request');
    assert.equal(await again.err('notifications.read', { up_to: 7 }), 'bad_request');
    assert.equal((await again.ok('notifications.read')).unread, 0);
    assert.equal((await again.ok('notifications')).unread, 0);
    again.close();
  } finally { await server.stop(); server.cleanup(); }
});

test('a hidden post: notice, appeal with every error, a different moderator overturns', async () => {
  const server = await Server.start();
  try {
    const admin = await server.admin();
    const mod2 = await moderator(server, admin, 'second_mod');
    const amy = await pseudonymOnForum(server, admin, 'a-amy', 'amy_a');
    const bob = await pseudonymOnForum(server, admin, 'a-bob', 'bob_a');
    const post = (await amy.forum.ok('post', signedPost(server, amy.p, 'general', 'a heated take'))).post;
    await admin.ok('hide', { post_id: post.id, reason: 'too heated' });
    const told = await amy.forum.waitEvent((e) => e.event === 'notification' && e.data.notice.kind === 'hide');
    const actionId = told.data.notice.action_id;
    assert.ok(actionId);
    assert.equal(told.data.notice.post_id, post.id);
    assert.equal(told.data.notice.reason, 'too heated');
    let list = await amy.forum.ok('notifications');
    assert.equal(list.items[0].appeal, null, 'not appealed yet');

    // The public log names the role, never the account.
    const log = await bob.forum.ok('modlog');
    assert.equal(log.entries[0].id, actionId);
    assert.ok(log.entries.every((e) => !('actor' in e)), 'no account in the public log');

    const text = 'It was a quote from the handbook,\nnot my opinion.';
    const good = signedAppeal(server, amy.p, actionId, text);
    // Shape.
    assert.equal(await bob.forum.err('appeal', { ...good, text: '' }), 'bad_request');
    assert.equal(await bob.forum.err('appeal', { ...good, text: 'x'.repeat(1001) }), 'too_large');
    assert.equal(await bob.forum.err('appeal', { ...good, pseudonym_pk: b64u(new Uint8Array(31)) }), 'bad_request');
    assert.equal(await bob.forum.err('appeal', { ...good, action_id: undefined }), 'bad_request');
    // A pseudonym the forum does not know.
    const stranger = new Pseudonym();
    assert.equal(await bob.forum.err('appeal', signedAppeal(server, stranger, actionId, text)), 'unauthenticated');
    // No such action; an entry that is not a hide or a ban.
    assert.equal(await bob.forum.err('appeal', signedAppeal(server, amy.p, '00000000000000ff', text)), 'not_found');
    // Not the author.
    assert.equal(await bob.forum.err('appeal', signedAppeal(server, bob.p, actionId, text)), 'forbidden');
    // A signature over other bytes (here: by someone else's key).
    assert.equal(await bob.forum.err('appeal', { ...good, sig: signedAppeal(server, bob.p, actionId, text).sig }), 'invalid_signature');
    assert.equal(await bob.forum.err('appeal', { ...good, text: text + '!' }), 'invalid_signature');

    // The author appeals (no login needed: any connection carries it).
    const anon = await server.connect('forum');
    const filed = await anon.ok('appeal', good);
    assert.equal(filed.appeal.state, 'open');
    assert.equal(filed.appeal.text, text);
    assert.equal(await anon.err('appeal', good), 'conflict', 'once per action');
    anon.close();
    list = await amy.forum.ok('notifications');
    assert.equal(list.items[0].appeal.state, 'open');

    // Staff queue, next to flags.
    const anonStaff = await server.connect('staff');
    assert.equal(await anonStaff.err('appeals'), 'unauthenticated');
    assert.equal(await anonStaff.err('appeal.decide', { action_id: actionId, outcome: 'uphold', reason: 'x' }), 'unauthenticated');
    anonStaff.close();
    const queue = await mod2.ok('appeals');
    assert.equal(queue.items.length, 1);
    assert.equal(queue.items[0].action_id, actionId);
    assert.equal(queue.items[0].post.body, 'a heated take');
    assert.equal(queue.items[0].acted_by_you, false);
    assert.equal(queue.items[0].entry.actor, undefined);
    assert.equal((await admin.ok('appeals')).items[0].acted_by_you, true);
    assert.equal(await mod2.err('appeals', { before: 'Anot-a-cursor' }), 'bad_request');

    // Decisions: shape, unknown, the moderator who acted.
    assert.equal(await mod2.err('appeal.decide', { action_id: actionId, outcome: 'maybe', reason: 'x' }), 'bad_request');
    assert.equal(await mod2.err('appeal.decide', { action_id: actionId, outcome: 'overturn' }), 'bad_request');
    assert.equal(await mod2.err('appeal.decide', { action_id: '00000000000000ff', outcome: 'uphold', reason: 'x' }), 'not_found');
    assert.equal(await admin.err('appeal.decide', { action_id: actionId, outcome: 'overturn', reason: 'mine' }), 'forbidden');

    await amy.forum.ok('subscribe', { channel: 'general' });
    const decided = await mod2.ok('appeal.decide', { action_id: actionId, outcome: 'overturn', reason: 'a quote is fine' });
    assert.equal(decided.appeal.state, 'overturned');
    assert.equal(decided.appeal.decided_by, 'second_mod');
    assert.equal(await mod2.err('appeal.decide', { action_id: actionId, outcome: 'uphold', reason: 'again' }), 'conflict');
    assert.equal((await mod2.ok('appeals')).items.length, 0, 'decided appeals leave the queue');

    // Overturned: the post is back, the log says so, the author is told.
    const back = await amy.forum.waitEvent((e) => e.event === 'post' && e.data.id === post.id);
    assert.equal(back.data.body, 'a heated take');
    assert.equal((await bob.forum.ok('thread', { post_id: post.id })).post.body, 'a heated take');
    const log2 = await bob.forum.ok('modlog');
    assert.equal(log2.entries[0].action, 'appeal.overturned');
    assert.equal(log2.entries[0].target, post.id);
    assert.equal(log2.entries[0].reason, 'a quote is fine');
    assert.equal(log2.entries[0].actor_role, 'moderator');
    assert.equal(log2.entries[0].post_state, 'visible', 'the outcome on a hide says how the post stands');
    assert.equal(log2.entries[0].excerpt, 'a heated take');
    assert.ok(!JSON.stringify(log2).includes('second_mod'));
    const outcome = await amy.forum.waitEvent((e) => e.event === 'notification' && e.data.notice.kind === 'appeal.overturned');
    assert.equal(outcome.data.notice.action_id, actionId);
    assert.equal(outcome.data.notice.reason, 'a quote is fine');
    list = await amy.forum.ok('notifications');
    assert.equal(list.items.find((n) => n.kind === 'hide').appeal.state, 'overturned');

    // An action no longer in effect, and an entry that is not a hide or a ban.
    await admin.ok('hide', { post_id: post.id, reason: 'again' });
    const second = await amy.forum.waitEvent((e) => e.event === 'notification' && e.data.notice.kind === 'hide');
    await admin.ok('restore', { post_id: post.id, reason: 'changed my mind' });
    const restored = await amy.forum.waitEvent((e) => e.event === 'notification' && e.data.notice.kind === 'restore');
    assert.equal(await bob.forum.err('appeal', signedAppeal(server, amy.p, second.data.notice.action_id, 'x')), 'conflict');
    assert.equal(await bob.forum.err('appeal', signedAppeal(server, amy.p, restored.data.notice.action_id, 'x')), 'bad_request');

    // The audit log names who decided.
    const audit = await admin.ok('audit');
    assert.ok(audit.entries.some((e) => e.action === 'appeal.overturn' && e.actor === 'second_mod'));
  } finally { await server.stop(); server.cleanup(); }
});

test('a ban: the banned pseudonym appeals without logging in; upheld, then overturned on a new ban', async () => {
  const server = await Server.start();
  try {
    const admin = await server.admin();
    const mod2 = await moderator(server, admin, 'mod_two');
    const amy = await pseudonymOnForum(server, admin, 'b-amy', 'amy_b');
    const look = await server.connect('forum');
    assert.deepEqual(await look.ok('ban_status', { pseudonym_pk: amy.p.pkB64 }), { banned: false });
    assert.equal(await look.err('ban_status', { pseudonym_pk: b64u(new Pseudonym().pk) }), 'not_found');
    assert.equal(await look.err('ban_status', { pseudonym_pk: 'AAAA' }), 'bad_request');

    await admin.ok('ban', { handle: 'amy_b', reason: 'spamming links' });
    assert.equal(await loginCode(server, amy.p), 'banned');
    const status = await look.ok('ban_status', { pseudonym_pk: amy.p.pkB64 });
    assert.equal(status.banned, true);
    assert.equal(status.reason, 'spamming links');
    assert.equal(status.appeal, null);
    const filed = await look.ok('appeal', signedAppeal(server, amy.p, status.action_id, 'They were links to the wiki.'));
    assert.equal(filed.appeal.action, 'ban');
    assert.equal(filed.appeal.target, 'amy_b');
    assert.equal((await look.ok('ban_status', { pseudonym_pk: amy.p.pkB64 })).appeal.state, 'open');

    assert.equal(await admin.err('appeal.decide', { action_id: status.action_id, outcome: 'uphold', reason: 'x' }), 'forbidden');
    const upheld = await mod2.ok('appeal.decide', { action_id: status.action_id, outcome: 'uphold', reason: 'the links were ads' });
    assert.equal(upheld.appeal.state, 'upheld');
    assert.equal(await loginCode(server, amy.p), 'banned', 'upheld: the ban stays');
    const st2 = await look.ok('ban_status', { pseudonym_pk: amy.p.pkB64 });
    assert.equal(st2.appeal.state, 'upheld');
    assert.equal(st2.appeal.decision, 'the links were ads');
    const upheldEntry = (await mod2.ok('modlog')).entries[0];
    assert.equal(upheldEntry.action, 'appeal.upheld');
    assert.equal(upheldEntry.target, 'amy_b');
    assert.equal(upheldEntry.post_state, undefined, 'a ban names a handle, no post');

    // Unban, ban again (a new action): that one may be appealed, and overturned.
    await admin.ok('unban', { handle: 'amy_b', reason: 'time served' });
    await admin.ok('ban', { handle: 'amy_b', reason: 'again' });
    const st3 = await look.ok('ban_status', { pseudonym_pk: amy.p.pkB64 });
    assert.notEqual(st3.action_id, status.action_id);
    assert.equal(await look.err('appeal', signedAppeal(server, amy.p, status.action_id, 'old one')), 'conflict');
    await look.ok('appeal', signedAppeal(server, amy.p, st3.action_id, 'please'));
    await mod2.ok('appeal.decide', { action_id: st3.action_id, outcome: 'overturn', reason: 'a mistake' });
    assert.deepEqual(await look.ok('ban_status', { pseudonym_pk: amy.p.pkB64 }), { banned: false });
    assert.equal(await loginCode(server, amy.p), 'ok', 'overturned: the ban is lifted');

    // Everything was kept for her meanwhile.
    const f = await server.connect('forum');
    await login(f, server, amy.p);
    const kinds = (await f.ok('notifications')).items.map((n) => n.kind);
    assert.deepEqual(kinds, ['appeal.overturned', 'ban', 'unban', 'appeal.upheld', 'ban']);
    const log = await f.ok('modlog');
    assert.equal(log.entries[0].action, 'appeal.overturned');
    assert.equal(log.entries[0].target, 'amy_b');
    f.close();
    look.close();
  } finally { await server.stop(); server.cleanup(); }
});

test('an appealed post its author deleted meanwhile: the outcome is logged, nothing is restored', async () => {
  const server = await Server.start();
  try {
    const admin = await server.admin();
    const mod2 = await moderator(server, admin, 'third_mod');
    const amy = await pseudonymOnForum(server, admin, 'd-amy', 'amy_d');
    const post = (await amy.forum.ok('post', signedPost(server, amy.p, 'general', 'second thoughts'))).post;
    await admin.ok('hide', { post_id: post.id, reason: 'rude' });
    const told = await amy.forum.waitEvent((e) => e.event === 'notification' && e.data.notice.kind === 'hide');
    await amy.forum.ok('appeal', signedAppeal(server, amy.p, told.data.notice.action_id, 'I meant it kindly'));
    await amy.forum.ok('delete', { post_id: post.id });
    const decided = await mod2.ok('appeal.decide', { action_id: told.data.notice.action_id, outcome: 'overturn', reason: 'fine' });
    assert.equal(decided.appeal.state, 'overturned');
    const entry = (await mod2.ok('modlog')).entries[0];
    assert.equal(entry.action, 'appeal.overturned');
    assert.equal(entry.post_state, 'deleted');
    assert.equal(entry.excerpt, null);
    const thread = await amy.forum.ok('thread', { post_id: post.id });
    assert.deepEqual(thread.post, { id: post.id, hidden: true }, 'a deleted post stays gone');
  } finally { await server.stop(); server.cleanup(); }
});

test('a stop between a decision and its outcome: the server finishes it when it starts, once', async () => {
  const server = await Server.start();
  try {
    const admin = await server.admin();
    await moderator(server, admin, 'late_mod');
    const amy = await pseudonymOnForum(server, admin, 'k-amy', 'amy_k');
    const hidden = [];
    for (const body of ['first take', 'second take']) {
      const post = (await amy.forum.ok('post', signedPost(server, amy.p, 'general', body))).post;
      await admin.ok('hide', { post_id: post.id, reason: 'too hot' });
      const told = await amy.forum.waitEvent((e) => e.event === 'notification' && e.data.notice.kind === 'hide' &&
        e.data.notice.post_id === post.id);
      await amy.forum.ok('appeal', signedAppeal(server, amy.p, told.data.notice.action_id, `about ${body}`));
      hidden.push({ post, actionId: told.data.notice.action_id });
    }
    assert.equal((await admin.ok('appeals')).items.length, 2);

    // kill -9, then the two decisions are kept with nothing after them, as a
    // stop right after each decision's write would leave them.
    await server.stop('SIGKILL');
    const decideOnly = process.env.HEARTH_APPEAL_DECIDE_ONLY;
    assert.ok(decideOnly, 'HEARTH_APPEAL_DECIDE_ONLY names the helper (set by CTest)');
    execFileSync(decideOnly, [server.data, hidden[0].actionId, 'overturn', 'late_mod', 'fair after all']);
    execFileSync(decideOnly, [server.data, hidden[1].actionId, 'uphold', 'late_mod', 'still too hot']);

    const check = async () => {
      const f = await server.connect('forum');
      await login(f, server, amy.p);
      assert.equal((await f.ok('thread', { post_id: hidden[0].post.id })).post.body, 'first take', 'overturned: restored');
      assert.deepEqual((await f.ok('thread', { post_id: hidden[1].post.id })).post, { id: hidden[1].post.id, hidden: true },
        'upheld: stays hidden');
      const entries = (await f.ok('modlog')).entries.filter((e) => e.action.startsWith('appeal.'));
      assert.deepEqual(entries.map((e) => [e.action, e.target, e.reason, e.actor_role]).sort(), [
        ['appeal.overturned', hidden[0].post.id, 'fair after all', 'moderator'],
        ['appeal.upheld', hidden[1].post.id, 'still too hot', 'moderator'],
      ].sort());
      const notices = (await f.ok('notifications')).items.filter((n) => n.kind.startsWith('appeal.'));
      assert.deepEqual(notices.map((n) => [n.kind, n.action_id, n.reason]).sort(), [
        ['appeal.overturned', hidden[0].actionId, 'fair after all'],
        ['appeal.upheld', hidden[1].actionId, 'still too hot'],
      ].sort());
      f.close();
      const staff = await server.admin();
      assert.equal((await staff.ok('appeals')).items.length, 0, 'decided appeals are out of the queue');
      const audit = (await staff.ok('audit')).entries.filter((e) => e.action.startsWith('appeal.'));
      assert.deepEqual(audit.map((e) => [e.action, e.actor, e.target]).sort(), [
        ['appeal.overturn', 'late_mod', hidden[0].actionId],
        ['appeal.uphold', 'late_mod', hidden[1].actionId],
      ].sort());
      staff.close();
    };
    await server.launch();
    assert.match(server.stderr + server.stdout, /the decision's outcome was applied now/);
    await check();
    // Finished once: a second start finds nothing left to do.
    await server.stop();
    await server.launch();
    assert.doesNotMatch(server.stderr + server.stdout, /the decision's outcome/);
    await check();
  } finally { await server.stop(); server.cleanup(); }
});

// The moderator and admin stories (PROTOCOL.md §7) against the real server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Server, Pseudonym, b64u, fetchKeys, verifyDirectory, obtainToken, enrolledEmployee, login, loginBytes, signedPost,
  pseudonymOnForum, sleep,
} from './lib/harness.mjs';

let server, admin;
before(async () => { server = await Server.start(); admin = await server.admin(); });
after(async () => { admin?.close(); await server?.stop(); server?.cleanup(); });

test('moderator story: flags → queue → hide → post_hidden → modlog; ban → closed → refused → unban', async () => {
  await admin.ok('staff.add', { username: 'mod1', role: 'moderator', password: 'moderator pw 1' });
  const mod = await server.connect('staff');
  assert.equal(await mod.err('flags'), 'unauthenticated');
  assert.deepEqual(await mod.ok('login', { username: 'mod1', password: 'moderator pw 1' }), { username: 'mod1', role: 'moderator' });

  const author = await pseudonymOnForum(server, admin, 'm-author', 'loud_author');
  const r1 = await pseudonymOnForum(server, admin, 'm-r1', 'reader_one');
  const r2 = await pseudonymOnForum(server, admin, 'm-r2', 'reader_two');
  const bad = (await author.forum.ok('post', signedPost(server, author.p, 'general', 'something nasty'))).post;
  const meh = (await author.forum.ok('post', signedPost(server, author.p, 'general', 'something meh'))).post;
  await r1.forum.ok('flag', { post_id: bad.id, reason: 'harassment' });
  await r2.forum.ok('flag', { post_id: bad.id, reason: 'harassment', note: 'not ok' });
  await r1.forum.ok('flag', { post_id: meh.id, reason: 'off_topic' });

  const q = await mod.ok('flags');
  assert.equal(q.items[0].post.id, bad.id, 'most flagged first');
  assert.equal(q.items[0].flags, 2);
  assert.deepEqual(q.items[0].reasons, { harassment: 2 });
  assert.deepEqual(q.items[0].notes, ['not ok'], 'notes without who wrote them');
  assert.deepEqual(q.items[1].notes, []);
  assert.equal(q.items[0].post.body, 'something nasty');
  assert.equal(q.items[1].post.id, meh.id);

  // A flagged reply is seen in its thread's context, hidden posts in full.
  const reply = (await r1.forum.ok('post', signedPost(server, r1.p, 'general', 'a reply in context', bad.id))).post;
  const ctx = await mod.ok('thread', { post_id: reply.id });
  assert.equal(ctx.post.id, bad.id);
  assert.deepEqual(ctx.replies.map((r) => r.id), [reply.id]);

  await r1.forum.ok('subscribe', { channel: 'general' });
  assert.deepEqual(await mod.ok('hide', { post_id: bad.id, reason: 'harassment' }), { post_id: bad.id });
  await r1.forum.waitEvent((e) => e.event === 'post_hidden' && e.data.post_id === bad.id);
  const feed = await r1.forum.ok('feed', { channel: 'general' });
  assert.ok(!feed.posts.some((p) => p.id === bad.id));
  assert.deepEqual((await r1.forum.ok('thread', { post_id: bad.id })).post, { id: bad.id, hidden: true });
  const staffView = await mod.ok('thread', { post_id: bad.id });
  assert.equal(staffView.post.body, 'something nasty');
  assert.equal(staffView.post.hidden, true);
  const q2 = await mod.ok('flags');
  assert.deepEqual(q2.items.map((i) => i.post.id), [meh.id], 'handled items leave the queue');
  await mod.ok('dismiss', { post_id: meh.id });
  assert.equal((await mod.ok('flags')).items.length, 0);

  let log = await r1.forum.ok('modlog');
  assert.equal(log.entries[0].action, 'hide');
  assert.equal(log.entries[0].target, bad.id);
  assert.equal(log.entries[0].reason, 'harassment');
  assert.equal(log.entries[0].actor_role, 'moderator');
  assert.ok(!JSON.stringify(log).includes('mod1'), 'the public log never names the moderator');

  await mod.ok('restore', { post_id: bad.id, reason: 'on appeal' });
  assert.ok((await r1.forum.ok('feed', { channel: 'general' })).posts.some((p) => p.id === bad.id));

  // Ban: live connection closed with 1008, login refused with `banned`, then unban.
  const closed = author.forum.closed;
  const ban = await mod.ok('ban', { handle: 'loud_author', reason: 'repeated harassment', until: 4102444800 });
  assert.equal(ban.handle, 'loud_author');
  const dir = await fetchKeys(server);
  assert.equal(ban.until, dir.keys.find((k) => k.state === 'active').accept_until, 'clamped to the certification');
  assert.equal((await closed).code, 1008);
  const f = await server.connect('forum');
  const { nonce } = await f.ok('challenge');
  const r = await f.call('login', { pseudonym_pk: author.p.pkB64, sig: b64u(author.p.sign(loginBytes(server.issuer, nonce))) });
  assert.equal(r.error.code, 'banned');
  await mod.ok('unban', { handle: 'loud_author', reason: 'served' });
  await login(f, server, author.p);
  log = await f.ok('modlog', { limit: 3 });
  assert.deepEqual(log.entries.map((e) => e.action), ['unban', 'ban', 'restore']);

  // Every admin op is refused to a moderator.
  for (const [op, fields] of [
    ['keys.rotate', {}], ['keys.revoke', { key_id: 'x', reason: 'r' }], ['roster.import', { employees: ['x'] }],
    ['roster.remove', { employee_id: 'x' }], ['staff.add', { username: 'x', role: 'admin', password: 'long password' }],
    ['staff.remove', { username: 'admin' }], ['channels.add', { name: 'x', description: '' }], ['audit', {}],
  ]) assert.equal(await mod.err(op, fields), 'forbidden', op);
  assert.equal(await mod.err('certify', {}), 'unknown_op');
  const iss = await server.connect('issuer');
  for (const op of ['login', 'flags', 'hide', 'ban', 'keys.rotate', 'audit', 'roster.import']) {
    if (op === 'login') continue;
    assert.equal(await iss.err(op, {}), 'unknown_op', op);
  }
  iss.close();

  // The audit log names who did what.
  const audit = await admin.ok('audit', { limit: 100 });
  const actions = audit.entries.map((e) => `${e.actor}:${e.action}`);
  for (const a of ['mod1:hide', 'mod1:restore', 'mod1:dismiss', 'mod1:ban', 'mod1:unban', 'admin:staff.add']) assert.ok(actions.includes(a), a);
  mod.close(); f.close(); r1.forum.close(); r2.forum.close();
});

test('admin story: rotate, retired key still certifies, revoke, renewal keeps handle and posts', async () => {
  const dir1 = await fetchKeys(server);
  assert.ok(await verifyDirectory(dir1));
  const key1 = dir1.keys.find((k) => k.state === 'active');

  // Two employees take tokens under key 1; one certifies now, one keeps its token.
  const early = await pseudonymOnForum(server, admin, 'a-early', 'early_bird');
  await early.forum.ok('post', signedPost(server, early.p, 'general', 'from epoch 1'));
  const late = await enrolledEmployee(server, admin, 'a-late');
  const lateP = new Pseudonym();
  const lateToken = await obtainToken(server, late, lateP, key1);

  const rotated = await admin.ok('keys.rotate', { issue_days: 1, accept_days: 2, reason: 'scheduled' });
  assert.ok(await verifyDirectory(rotated));
  assert.equal(rotated.seq, dir1.seq + 1);
  assert.deepEqual(rotated.keys.map((k) => k.state), ['retired', 'active']);
  const key2 = rotated.keys[1];
  assert.equal(key2.epoch, key1.epoch + 1);
  const { issued, ...served } = await fetchKeys(server);
  assert.deepEqual(served, rotated);  // the signed directory, plus the unsigned issued counts (PROTOCOL.md §4)
  assert.deepEqual(Object.keys(issued).sort(), rotated.keys.map((k) => k.key_id).sort());

  const t = await (await import('./lib/harness.mjs')).blindToken(key1, new Pseudonym());
  assert.equal(await late.err('issue', { key_id: key1.key_id, blinded_msg: b64u(t.blindedMsg) }), 'key_expired');
  const f = await server.connect('forum');
  await f.ok('certify', { ...lateToken, pseudonym_pk: lateP.pkB64, handle: 'late_owl' });

  // Revoke key 1: a key-1 token now gets key_expired; pseudonyms certified only by key 1 must renew.
  const late2 = await enrolledEmployee(server, admin, 'a-late2');
  const p3 = new Pseudonym();
  const revoked = await admin.ok('keys.revoke', { key_id: key1.key_id, reason: 'compromised' });
  assert.ok(await verifyDirectory(revoked));
  assert.equal(revoked.seq, rotated.seq + 1);
  assert.equal(revoked.keys[0].state, 'revoked');
  assert.equal(revoked.keys.filter((k) => k.state === 'active').length, 1);

  // Its live session can no longer act until it renews.
  assert.equal(await early.forum.err('post', signedPost(server, early.p, 'general', 'after revocation')), 'key_expired');

  // Renewal: the early pseudonym's certification lapsed with key 1's revocation.
  const g = await server.connect('forum');
  let { nonce } = await g.ok('challenge');
  assert.equal(await g.err('login', { pseudonym_pk: early.p.pkB64, sig: b64u(early.p.sign(loginBytes(server.issuer, nonce))) }), 'key_expired');
  const earlyIssuer = await server.connect('issuer');
  await earlyIssuer.ok('login', { employee_id: 'a-early', password: 'correct horse battery' });
  const renewal = await obtainToken(server, earlyIssuer, early.p, key2);
  const renewed = await g.ok('certify', { ...renewal, pseudonym_pk: early.p.pkB64, handle: 'ignored_on_renewal' });
  assert.equal(renewed.pseudonym.handle, 'early_bird');
  assert.equal(renewed.pseudonym.since_epoch, key1.epoch);
  assert.equal(renewed.pseudonym.valid_until, key2.accept_until);
  assert.equal(renewed.pseudonym.posts, 1);
  await login(g, server, early.p);

  // The modlog shows the key events with the admin's role.
  const log = await g.ok('modlog', { limit: 2 });
  assert.deepEqual(log.entries.map((e) => [e.action, e.actor_role]), [['keys.revoke', 'admin'], ['keys.rotate', 'admin']]);

  // Staff and channels.
  assert.equal(await admin.err('staff.remove', { username: 'admin' }), 'forbidden', 'the last admin stays');
  await admin.ok('channels.add', { name: 'random', description: 'anything goes' });
  assert.equal(await admin.err('channels.add', { name: 'random', description: '' }), 'conflict');
  assert.equal(await admin.err('keys.rotate', { bits: 1024 }), 'bad_request');
  assert.equal(await admin.err('keys.rotate', { issue_days: 2, accept_days: 1 }), 'bad_request');
  assert.equal(await admin.err('roster.import', { employees: ['dup', 'dup'] }), 'bad_request');
  assert.equal(await admin.err('roster.import', { employees: ['ok', 'bad\nid'] }), 'bad_request');
  assert.equal(await admin.err('keys.revoke', { key_id: 'nope', reason: 'x' }), 'key_unknown');
  f.close(); g.close(); earlyIssuer.close(); late.close(); late2.close(); early.forum.close(); void p3;
});

test('automatic rotation when the active key stops issuing', async () => {
  const s = await Server.start({ config: '[keys]\nissue_days = 0.00003\naccept_days = 1\nmin_window_days = 0\n' });  // ~2.6 s
  try {
    const first = await fetchKeys(s);
    let now = first;
    for (let i = 0; i < 40 && now.seq === first.seq; i++) { await sleep(250); now = await fetchKeys(s); }
    assert.ok(now.seq > first.seq, 'the directory rotated by itself');
    assert.ok(await verifyDirectory(now));
    assert.equal(now.keys.filter((k) => k.state === 'active').length, 1);
  } finally { await s.stop(); s.cleanup(); }
});

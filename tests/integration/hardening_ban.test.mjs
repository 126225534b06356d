// A ban closes the banned pseudonym's connections only once the ban is
// durable: a crash right after the close cannot bring the pseudonym back.
// And the banned person learns why: the reason and the end of the ban come
// with `banned` at login. Banning also takes the author's flagged posts out
// of the flag queue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server, b64u, loginBytes, signedPost, pseudonymOnForum } from './lib/harness.mjs';

async function loginAnswer(server, p) {
  const f = await server.connect('forum');
  const { nonce } = await f.ok('challenge');
  const r = await f.call('login', { pseudonym_pk: p.pkB64, sig: b64u(p.sign(loginBytes(server.issuer, nonce))) });
  f.close();
  return r;
}

test('the ban is durable before the banned connection is closed (kill -9 at the close)', async () => {
  // One WAL sync per second at most: a write just after a sync waits ~1 s for the next.
  const server = await Server.start({ config: '[server]\nwal_sync_interval_ms = 1000\n' });
  try {
    const admin = await server.admin();
    const victim = await pseudonymOnForum(server, admin, 'ban-victim', 'ban_victim');
    const other = await pseudonymOnForum(server, admin, 'ban-other', 'ban_other');
    await other.forum.ok('post', signedPost(server, other.p, 'general', 'a write that starts a sync interval'));
    const closed = victim.forum.closed;
    void admin.call('ban', { handle: 'ban_victim', reason: 'durability' });
    const { code } = await closed;
    assert.equal(code, 1008);
    await server.stop('SIGKILL');
    await server.launch();
    const r = await loginAnswer(server, victim.p);
    assert.equal(r.error?.code, 'banned', `after a crash at the close the ban holds: ${JSON.stringify(r)}`);
  } finally { await server.stop(); server.cleanup(); }
});

test('banned: the login error says until when and why; the author leaves the flag queue', async () => {
  const server = await Server.start();
  try {
    const admin = await server.admin();
    const author = await pseudonymOnForum(server, admin, 'flagged-author', 'flagged_author');
    const reader = await pseudonymOnForum(server, admin, 'flag-reader', 'flag_reader');
    const bystander = await pseudonymOnForum(server, admin, 'bystander', 'bystander');
    const p1 = (await author.forum.ok('post', signedPost(server, author.p, 'general', 'spam one'))).post;
    const p2 = (await author.forum.ok('post', signedPost(server, author.p, 'general', 'spam two'))).post;
    const other = (await bystander.forum.ok('post', signedPost(server, bystander.p, 'general', 'meh'))).post;
    const reply = (await author.forum.ok('post', signedPost(server, author.p, 'general', 'spam reply', other.id))).post;
    for (const id of [p1.id, p2.id, reply.id, other.id]) await reader.forum.ok('flag', { post_id: id, reason: 'spam' });
    assert.equal((await admin.ok('flags')).items.length, 4);

    const ban = await admin.ok('ban', { handle: 'flagged_author', reason: 'advertising a casino' });
    const queue = await admin.ok('flags');
    assert.deepEqual(queue.items.map((i) => i.post.id), [other.id], 'the banned author\'s flags left the queue');
    // Their posts stay visible (a ban is not a hide).
    assert.equal((await reader.forum.ok('thread', { post_id: p1.id })).post.body, 'spam one');

    const r = await loginAnswer(server, author.p);
    assert.equal(r.error.code, 'banned');
    const until = new Date(ban.until * 1000).toISOString().replace('.000Z', 'Z');
    assert.ok(r.error.message.includes(until), `the message names the end: ${r.error.message}`);
    assert.ok(r.error.message.includes('advertising a casino'), `the message names the reason: ${r.error.message}`);

    // A ban with an explicit end names its own reason.
    await admin.ok('unban', { handle: 'flagged_author', reason: 'second chance' });
    const again = await pseudonymOnForum(server, admin, 'flagged-author-2', 'flagged_again');
    await admin.ok('ban', { handle: 'flagged_again', reason: 'still at it', until: ban.until - 3600 });
    const r2 = await loginAnswer(server, again.p);
    assert.ok(r2.error.message.includes('still at it'));
    for (const c of [admin, author.forum, reader.forum, bystander.forum, again.forum]) c.close();
  } finally { await server.stop(); server.cleanup(); }
});

// The whole employee story against the real server: roster import → enroll →
// login → quota → blind → issue → (new connection) certify → challenge/login →
// post → feed paging → thread → react → flag → live subscription → anonymity.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Server, Pseudonym, b64u, unb64u, fetchKeys, verifyDirectory, blindToken, finalizeToken, login, signedPost,
  postBytes, pseudonymOnForum,
} from './lib/harness.mjs';
import { ed25519 } from '@noble/curves/ed25519.js';

let server, admin;
before(async () => { server = await Server.start(); admin = await server.admin(); });
after(async () => { admin?.close(); await server?.stop(); server?.cleanup(); });

test('an employee gets a pseudonym without the server learning which', async () => {
  const dir = await fetchKeys(server);
  assert.equal(dir.issuer, 'hearth-test');
  assert.ok(await verifyDirectory(dir), 'directory signature and key ids verify');
  const active = dir.keys.filter((k) => k.state === 'active');
  assert.equal(active.length, 1);
  assert.equal(active[0].bits, 2048);

  const { codes } = await admin.ok('roster.import', { employees: ['alice@example.com', 'bob@example.com'] });
  assert.match(codes['alice@example.com'], /^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/);

  const issuer = await server.connect('issuer');
  assert.equal(await issuer.err('quota'), 'unauthenticated');
  assert.deepEqual(await issuer.ok('enroll', { employee_id: 'alice@example.com', code: codes['alice@example.com'],
    password: 'alice password 1' }), { employee_id: 'alice@example.com' });
  issuer.close();

  const issuer2 = await server.connect('issuer');
  assert.equal(await issuer2.err('login', { employee_id: 'alice@example.com', password: 'wrong password!' }), 'unauthenticated');
  await issuer2.ok('login', { employee_id: 'alice@example.com', password: 'alice password 1' });
  const q = await issuer2.ok('quota');
  assert.deepEqual(q, { key_id: active[0].key_id, epoch: active[0].epoch, allowed: 1, used: 0 });

  const p = new Pseudonym();
  const t = await blindToken(active[0], p);
  const { blind_sig } = await issuer2.ok('issue', { key_id: active[0].key_id, blinded_msg: b64u(t.blindedMsg) });
  // A retry of the same blinded message returns the same signature and uses nothing.
  const again = await issuer2.ok('issue', { key_id: active[0].key_id, blinded_msg: b64u(t.blindedMsg) });
  assert.equal(again.blind_sig, blind_sig);
  assert.equal((await issuer2.ok('quota')).used, 1);
  const token = await finalizeToken(t, blind_sig);
  issuer2.close();

  const forum = await server.connect('forum');
  assert.equal(await forum.err('channels'), 'unauthenticated');
  const { pseudonym } = await forum.ok('certify', { ...token, pseudonym_pk: p.pkB64, handle: 'Quiet_Fox' });
  assert.equal(pseudonym.handle, 'Quiet_Fox');
  assert.equal(pseudonym.pk, p.pkB64);
  assert.equal(pseudonym.since_epoch, active[0].epoch);
  assert.equal(pseudonym.valid_until, active[0].accept_until);
  assert.equal(pseudonym.posts, 0);

  const logged = await login(forum, server, p);
  assert.equal(logged.pseudonym.handle, 'Quiet_Fox');
  const { channels } = await forum.ok('channels');
  assert.ok(channels.some((c) => c.name === 'general'));

  // Post, and check that any reader can verify authorship end to end.
  const { post } = await forum.ok('post', signedPost(server, p, 'general', 'Hello, colleagues\nsecond line'));
  assert.equal(post.channel, 'general');
  assert.equal(post.parent, null);
  assert.deepEqual(post.author, { handle: 'Quiet_Fox', pk: p.pkB64 });
  assert.equal(post.created_at % 60, 0, 'post time is coarsened to 60 s');
  assert.ok(Math.abs(post.created_at - Date.now() / 1000) < 120);
  assert.deepEqual(post.reactions, { '+1': 0, heart: 0, laugh: 0, sad: 0 });
  assert.equal(post.replies, 0);
  assert.ok(ed25519.verify(unb64u(post.sig), postBytes(server.issuer, post.channel, post.parent, post.nonce, post.body),
    unb64u(post.author.pk)));

  // A retried post (same nonce) returns the stored one; a changed body with it is a conflict.
  const retry = signedPost(server, p, 'general', 'Hello again', null);
  const first = await forum.ok('post', retry);
  assert.deepEqual(await forum.ok('post', retry), first);
  assert.equal(await forum.err('post', signedPost(server, p, 'general', 'Other body', null, retry.nonce)), 'conflict');

  // A second pseudonym subscribes and sees new posts live.
  const bob = await pseudonymOnForum(server, admin, 'bob-2', 'bob_b');
  await bob.forum.ok('subscribe', { channel: 'general' });
  const live = await forum.ok('post', signedPost(server, p, 'general', 'Live one'));
  const ev = await bob.forum.waitEvent((e) => e.event === 'post' && e.data.id === live.post.id);
  assert.equal(ev.data.body, 'Live one');

  // Replies, thread order, reply counts.
  const r1 = await bob.forum.ok('post', signedPost(server, bob.p, 'general', 'first reply', post.id));
  const r2 = await forum.ok('post', signedPost(server, p, 'general', 'second reply', post.id));
  const th = await forum.ok('thread', { post_id: post.id });
  assert.equal(th.post.id, post.id);
  assert.equal(th.post.replies, 2);
  assert.deepEqual(th.replies.map((r) => r.id), [r1.post.id, r2.post.id]);
  assert.equal(await forum.err('thread', { post_id: r1.post.id }), 'bad_request');
  assert.equal(await forum.err('post', signedPost(server, p, 'general', 'reply to reply', r1.post.id)), 'bad_request');

  // Reactions: one of each per pseudonym.
  let re = await bob.forum.ok('react', { post_id: post.id, reaction: '+1', on: true });
  re = await bob.forum.ok('react', { post_id: post.id, reaction: '+1', on: true });
  assert.equal(re.reactions['+1'], 1);
  re = await forum.ok('react', { post_id: post.id, reaction: '+1', on: true });
  assert.equal(re.reactions['+1'], 2);
  re = await forum.ok('react', { post_id: post.id, reaction: '+1', on: false });
  assert.equal(re.reactions['+1'], 1);

  // Flag (a repeat is a no-op success).
  assert.deepEqual(await bob.forum.ok('flag', { post_id: live.post.id, reason: 'spam', note: 'looks automated' }), { post_id: live.post.id });
  assert.deepEqual(await bob.forum.ok('flag', { post_id: live.post.id, reason: 'spam' }), { post_id: live.post.id });

  // Profile.
  const prof = await bob.forum.ok('profile', { handle: 'quiet_fox' });
  assert.equal(prof.handle, 'Quiet_Fox');
  assert.equal(prof.posts, 4);

  // Anonymity: two tokens issued, two pseudonyms certified under the active key.
  const an = await forum.ok('anonymity');
  assert.deepEqual(an, {
    key_id: active[0].key_id, epoch: active[0].epoch, issued: 2, certified: 2, min_crowd: 5,
    keys: [{ key_id: active[0].key_id, epoch: active[0].epoch, state: 'active', issued: 2, certified: 2 }],
  });

  // Delete: the author takes a post back; it leaves feeds, subscribers hear of it.
  assert.equal(await bob.forum.err('delete', { post_id: live.post.id }), 'forbidden');
  await forum.ok('delete', { post_id: live.post.id });
  await bob.forum.waitEvent((e) => e.event === 'post_hidden' && e.data.post_id === live.post.id);
  const feed = await forum.ok('feed', { channel: 'general' });
  assert.ok(!feed.posts.some((x) => x.id === live.post.id));
  bob.forum.close();
  forum.close();
});

test('feed pages newest first with cursors', async () => {
  const me = await pseudonymOnForum(server, admin, 'pager', 'pager_1');
  await admin.ok('channels.add', { name: 'paging', description: 'for the paging test' });
  const ids = [];
  for (let i = 0; i < 7; i++) ids.push((await me.forum.ok('post', signedPost(server, me.p, 'paging', `post ${i}`))).post.id);
  const seen = [];
  let before;
  for (;;) {
    const page = await me.forum.ok('feed', { channel: 'paging', limit: 3, ...(before ? { before } : {}) });
    assert.ok(page.posts.length <= 3);
    seen.push(...page.posts.map((p) => p.id));
    if (!page.next) break;
    before = page.next;
  }
  assert.deepEqual(seen, [...ids].reverse());
  assert.equal(await me.forum.err('feed', { channel: 'paging', limit: 0 }), 'bad_request');
  assert.equal(await me.forum.err('feed', { channel: 'paging', limit: 101 }), 'bad_request');
  assert.equal(await me.forum.err('feed', { channel: 'paging', before: 'not-a-cursor' }), 'bad_request');
  assert.equal(await me.forum.err('feed', { channel: 'nope' }), 'not_found');
  const def = await me.forum.ok('feed', { channel: 'paging' });
  assert.equal(def.posts.length, 7);
  assert.equal(def.next, null);
  me.forum.close();
});

test('acknowledged posts survive kill -9', async () => {
  const me = await pseudonymOnForum(server, admin, 'crash', 'crash_1');
  await admin.ok('channels.add', { name: 'durable', description: '' });
  const sent = [];
  await Promise.all(Array.from({ length: 40 }, async (_, i) => {
    const r = await me.forum.ok('post', signedPost(server, me.p, 'durable', `durable ${i}`));
    sent.push(r.post.id);
  }));
  await server.stop('SIGKILL');
  await server.launch();
  admin = await server.admin();
  const again = await server.connect('forum');
  await login(again, server, me.p);
  const feed = await again.ok('feed', { channel: 'durable', limit: 100 });
  assert.deepEqual(new Set(feed.posts.map((p) => p.id)), new Set(sent));
  again.close();
});

// search and export against the real server (docs/protocol.md, "Search and
// export"): every word must match, newest first, paged, only visible posts
// (a hidden or deleted post leaves at once), every error; the export of a
// pseudonym's own posts with their signatures, paged, and `hearth
// verify-export` accepting it and refusing a tampered copy; the moderators'
// search, hidden posts included. The query never reaches the server's log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, HEARTH_BIN, pseudonymOnForum, signedPost, b64u } from './lib/harness.mjs';

let server, admin, alice, bob;
const posts = {};
before(async () => {
  server = await Server.start({ config: '[rate]\npost = { per_second = 0 }\nops = { per_second = 0 }\n' });
  admin = await server.admin();
  await admin.ok('channels.add', { name: 'random', description: 'anything' });
  alice = await pseudonymOnForum(server, admin, 's-alice', 'search_alice');
  bob = await pseudonymOnForum(server, admin, 's-bob', 'search_bob');
  const post = async (who, key, channel, body, parent = null) => {
    posts[key] = (await who.forum.ok('post', signedPost(server, who.p, channel, body, parent))).post;
  };
  await post(alice, 'a1', 'general', 'The zanzibar coffee machine is broken again');
  await post(bob, 'b1', 'general', 'Zanzibar coffee is fine on floor 3', posts.a1.id);
  await post(alice, 'a2', 'random', 'who fixes the ZANZIBAR coffee machine?');
  await post(bob, 'b2', 'general', 'lunch plans for zanzibar week');
  await post(alice, 'a3', 'general', 'a post about nothing else');
});
after(async () => {
  admin?.close(); alice?.forum.close(); bob?.forum.close();
  await server?.stop(); server?.cleanup();
});

const ids = (r) => r.posts.map((p) => p.id);

test('search: every word, newest first, replies and channels, paged', async () => {
  const f = bob.forum;
  assert.deepEqual(ids(await f.ok('search', { query: 'zanzibar coffee' })), [posts.a2.id, posts.b1.id, posts.a1.id]);
  assert.deepEqual(ids(await f.ok('search', { query: 'ZANZIBAR   machine!' })), [posts.a2.id, posts.a1.id]);
  assert.deepEqual(ids(await f.ok('search', { query: 'zanzibar', channel: 'random' })), [posts.a2.id]);
  assert.deepEqual(ids(await f.ok('search', { query: 'no-such-words-anywhere' })), []);
  const full = await f.ok('search', { query: 'zanzibar coffee' });
  assert.equal(full.next, null);
  assert.equal(full.posts[0].body, posts.a2.body, 'whole post objects');
  assert.equal(full.posts[0].sig, posts.a2.sig);

  const p1 = await f.ok('search', { query: 'zanzibar', limit: 2 });
  assert.deepEqual(ids(p1), [posts.b2.id, posts.a2.id]);
  assert.equal(typeof p1.next, 'string');
  const p2 = await f.ok('search', { query: 'zanzibar', limit: 2, before: p1.next });
  assert.deepEqual(ids(p2), [posts.b1.id, posts.a1.id]);
  assert.equal(p2.next, null);
});

test('search: every error', async () => {
  const fresh = await server.connect('forum');
  assert.equal(await fresh.err('search', { query: 'zanzibar' }), 'unauthenticated');
  assert.equal(await fresh.err('export', {}), 'unauthenticated');
  fresh.close();
  const f = alice.forum;
  for (const fields of [{}, { query: 5 }, { query: '' }, { query: ' ?! ' }, { query: 'a b c d e f g h i' },
    { query: 'x'.repeat(201) }, { query: 'zanzibar', limit: 0 }, { query: 'zanzibar', limit: 51 },
    { query: 'zanzibar', channel: 'Not A Channel' }, { query: 'zanzibar', before: 'bogus' },
    { query: 'zanzibar', before: 's0000000000000001deadbeef' }]) {
    assert.equal(await f.err('search', fields), 'bad_request', JSON.stringify(fields));
  }
  const p1 = await f.ok('search', { query: 'zanzibar', limit: 1 });
  assert.equal(await f.err('search', { query: 'coffee', limit: 1, before: p1.next }), 'bad_request',
    'a cursor is good for its own query only');
  assert.equal(await f.err('search', { query: 'zanzibar', channel: 'random', before: p1.next }), 'bad_request');
  assert.equal(await f.err('search', { query: 'zanzibar', channel: 'nope' }), 'not_found');
});

test('search: a hidden post leaves the results at once, a restored one comes back, a deleted one is gone', async () => {
  const f = bob.forum;
  await admin.ok('hide', { post_id: posts.a2.id, reason: 'off topic' });
  assert.deepEqual(ids(await f.ok('search', { query: 'zanzibar coffee' })), [posts.b1.id, posts.a1.id]);
  await admin.ok('restore', { post_id: posts.a2.id, reason: 'fine after all' });
  assert.deepEqual(ids(await f.ok('search', { query: 'zanzibar coffee' })), [posts.a2.id, posts.b1.id, posts.a1.id]);
  const gone = (await f.ok('post', signedPost(server, bob.p, 'general', 'quixotic zanzibar thought'))).post;
  assert.deepEqual(ids(await f.ok('search', { query: 'quixotic' })), [gone.id]);
  await f.ok('delete', { post_id: gone.id });
  assert.deepEqual(ids(await f.ok('search', { query: 'quixotic' })), []);
  assert.doesNotMatch(server.stderr, /zanzibar|quixotic/i, 'no query in the log');
});

test('staff search: moderators find hidden posts too, marked, never deleted ones; every error', async () => {
  const anon = await server.connect('staff');
  assert.equal(await anon.err('search', { query: 'zanzibar' }), 'unauthenticated');
  anon.close();
  // A pseudonym of its own: the export tests below read alice's and bob's posts.
  const carol = await pseudonymOnForum(server, admin, 's-carol', 'search_carol');
  const hidden = (await carol.forum.ok('post', signedPost(server, carol.p, 'random', 'zanzibar pamphlet with a phone number'))).post;
  const deleted = (await carol.forum.ok('post', signedPost(server, carol.p, 'random', 'zanzibar pamphlet taken back'))).post;
  await admin.ok('hide', { post_id: hidden.id, reason: 'doxxing' });
  await carol.forum.ok('delete', { post_id: deleted.id });
  carol.forum.close();
  assert.deepEqual(ids(await bob.forum.ok('search', { query: 'zanzibar pamphlet' })), [], 'pseudonyms see neither');

  const found = await admin.ok('search', { query: 'zanzibar pamphlet' });
  assert.deepEqual(ids(found), [hidden.id], 'the hidden post, not the deleted one');
  assert.equal(found.posts[0].hidden, true);
  assert.equal(found.posts[0].body, hidden.body, 'in full, for moderators');
  assert.deepEqual(ids(await admin.ok('search', { query: 'zanzibar', channel: 'random' })), [hidden.id, posts.a2.id]);
  const page1 = await admin.ok('search', { query: 'zanzibar', limit: 2 });
  assert.equal(page1.posts.length, 2);
  const page2 = await admin.ok('search', { query: 'zanzibar', limit: 2, before: page1.next });
  assert.ok(!ids(page2).some((id) => ids(page1).includes(id)), 'pages do not overlap');
  const visible = (await admin.ok('search', { query: 'coffee machine' })).posts;
  assert.deepEqual(ids({ posts: visible }), [posts.a2.id, posts.a1.id]);
  assert.equal('hidden' in visible[0], false, 'a visible post is not marked');

  assert.equal(await admin.err('search', {}), 'bad_request');
  assert.equal(await admin.err('search', { query: '!!!' }), 'bad_request');
  assert.equal(await admin.err('search', { query: 'a b c d e f g h i' }), 'bad_request');
  assert.equal(await admin.err('search', { query: 'zanzibar', channel: 'nowhere' }), 'not_found');
  assert.equal(await admin.err('search', { query: 'zanzibar', channel: 'Bad Name' }), 'bad_request');
  assert.equal(await admin.err('search', { query: 'zanzibar', limit: 51 }), 'bad_request');
  assert.equal(await admin.err('search', { query: 'zanzibar', before: 'bogus' }), 'bad_request');
  assert.doesNotMatch(server.stderr, /pamphlet/i, 'no query in the log');
  const audit = await admin.ok('audit', { limit: 20 });
  assert.ok(!JSON.stringify(audit).includes('pamphlet'), 'a search is not audited');
});

async function exportAll(forum, limit) {
  const pages = [];
  let after;
  do {
    const pg = await forum.ok('export', after ? { after, limit } : { limit });
    pages.push(pg);
    after = pg.next;
  } while (after);
  const first = pages[0];
  return {
    format: 'hearth-export/1',
    issuer: first.issuer,
    pseudonym: first.pseudonym,
    certifications: first.certifications,
    directory: first.directory,
    posts: pages.flatMap((p) => p.posts),
  };
}

test('export: everything the pseudonym posted, with signatures, oldest first, paged; hidden marked, deleted left out', async () => {
  const mine = (await alice.forum.ok('post', signedPost(server, alice.p, 'general', 'to be hidden'))).post;
  await admin.ok('hide', { post_id: mine.id, reason: 'test' });
  const del = (await alice.forum.ok('post', signedPost(server, alice.p, 'general', 'to be deleted'))).post;
  await alice.forum.ok('delete', { post_id: del.id });

  const file = await exportAll(alice.forum, 2);
  assert.equal(file.pseudonym.handle, 'search_alice');
  assert.equal(file.pseudonym.pk, alice.p.pkB64);
  assert.deepEqual(file.posts.map((p) => p.id), [posts.a1.id, posts.a2.id, posts.a3.id, mine.id]);
  assert.equal(file.posts[3].hidden, true);
  assert.equal(file.posts[3].body, 'to be hidden', 'the author gets its hidden post in full');
  assert.equal(file.posts[0].sig, posts.a1.sig);
  assert.equal(file.certifications.length, 1);
  assert.equal(file.certifications[0].key_id, alice.token.key_id);
  assert.equal(file.directory.master_key.length > 0, true);
  assert.equal(file.issuer, file.directory.issuer);

  const theirs = await exportAll(bob.forum, 20);
  assert.ok(theirs.posts.every((p) => p.author.pk === bob.p.pkB64));
  const one = await alice.forum.ok('export', { limit: 1 });
  assert.equal(await bob.forum.err('export', { after: one.next }), 'bad_request', "another pseudonym's cursor");
  for (const fields of [{ limit: 0 }, { limit: 21 }, { after: 'bogus' }, { after: 7 }]) {
    assert.equal(await alice.forum.err('export', fields), 'bad_request', JSON.stringify(fields));
  }
});

test('hearth verify-export: accepts an export, refuses any tampering', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-export-'));
  try {
    const file = await exportAll(alice.forum, 20);
    const write = (name, obj) => { const p = join(dir, name); writeFileSync(p, typeof obj === 'string' ? obj : JSON.stringify(obj)); return p; };
    const verify = (...args) => spawnSync(HEARTH_BIN, ['verify-export', ...args], { encoding: 'utf8' });

    const good = verify(write('good.json', file));
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stdout, /search_alice/);
    assert.match(good.stdout, /posts: 4 \(1 hidden/);
    assert.match(good.stdout, /every signature verifies/);
    const pinned = verify(write('good2.json', file), '--master-key', file.directory.master_key);
    assert.equal(pinned.status, 0, pinned.stderr);

    const tampered = structuredClone(file);
    tampered.posts[1].body += ' (edited)';
    const bad = verify(write('body.json', tampered));
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, new RegExp(`post ${file.posts[1].id}: the signature does not verify`));

    const foreign = structuredClone(file);
    foreign.posts[0].author.pk = bob.p.pkB64;
    assert.equal(verify(write('foreign.json', foreign)).status, 1);

    const dirBad = structuredClone(file);
    dirBad.directory.seq += 1;
    assert.match(verify(write('dir.json', dirBad)).stderr, /directory does not verify/);

    const certBad = structuredClone(file);
    certBad.certifications[0].key_id = b64u(new Uint8Array(32));
    assert.equal(verify(write('cert.json', certBad)).status, 1);

    const otherMaster = verify(write('good3.json', file), '--master-key', b64u(new Uint8Array(32).fill(7)));
    assert.equal(otherMaster.status, 1);

    assert.equal(verify(write('junk.json', 'not json')).status, 1);
    assert.equal(verify(join(dir, 'missing.json')).status, 1);
    assert.equal(verify('--help').status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

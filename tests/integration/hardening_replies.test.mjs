// Replies are bounded like pushes: `thread` is paged (docs/protocol.md), a
// connection that stops reading stops being served new ops, and the ops in
// flight per connection are capped, so one pseudonym cannot run the server
// out of memory with large threads and a socket that never reads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, signedPost, pseudonymOnForum, sleep } from './lib/harness.mjs';
import { rssMiB, eventually, sanitized } from './lib/attack.mjs';

const REPLIES = 300;
const BIG = '\u{1F525}'.repeat(9990);  // with its number, at most 10,000 code points: ~40 KB of UTF-8

let server, admin, author, top;
before(async () => {
  server = await Server.start({
    config: '[rate]\npost = { per_second = 0 }\nops = { per_second = 0 }\n',
  });
  admin = await server.admin();
  author = await pseudonymOnForum(server, admin, 'r-author', 'reply_author');
  top = (await author.forum.ok('post', signedPost(server, author.p, 'general', 'a thread with many replies'))).post;
  for (let i = 0; i < REPLIES; i += 30) {
    await Promise.all(Array.from({ length: Math.min(30, REPLIES - i) }, (_, j) =>
      author.forum.ok('post', signedPost(server, author.p, 'general', `${i + j} ${BIG}`, top.id))));
  }
});
after(async () => { admin?.close(); author?.forum.close(); await server?.stop(); server?.cleanup(); });

test('thread is paged: first page by default, a cursor to walk the rest, oldest first', async () => {
  const f = author.forum;
  const first = await f.ok('thread', { post_id: top.id });
  assert.equal(first.post.id, top.id);
  assert.ok(first.replies.length >= 1 && first.replies.length <= 50, `first page: ${first.replies.length} replies`);
  assert.equal(typeof first.next, 'string', 'more replies: a cursor');
  assert.equal(first.post.replies, REPLIES);

  const seen = [...first.replies];
  let next = first.next;
  let pages = 1;
  while (next !== null) {
    const pg = await f.ok('thread', { post_id: top.id, after: next, limit: 100 });
    assert.ok(pg.replies.length >= 1 && pg.replies.length <= 100);
    assert.equal(pg.post.id, top.id);
    seen.push(...pg.replies);
    next = pg.next;
    assert.ok(++pages < 400, 'the walk ends');
  }
  assert.equal(seen.length, REPLIES, 'every reply once');
  assert.deepEqual(seen.map((r) => Number(r.body.split(' ')[0])), Array.from({ length: REPLIES }, (_, i) => i),
    'oldest first, no gaps, no repeats');

  const small = await f.ok('thread', { post_id: top.id, limit: 3 });
  assert.deepEqual(small.replies.map((r) => r.id), seen.slice(0, 3).map((r) => r.id));
  const rest = await f.ok('thread', { post_id: top.id, after: small.next, limit: 2 });
  assert.deepEqual(rest.replies.map((r) => r.id), seen.slice(3, 5).map((r) => r.id));

  for (const limit of [0, 101, -1, 1.5, '10']) {
    assert.equal(await f.err('thread', { post_id: top.id, limit }), 'bad_request', `limit ${JSON.stringify(limit)}`);
  }
  for (const cursor of ['bogus', '', 'r0000000000000001', small.next + 'x', 12]) {
    assert.equal(await f.err('thread', { post_id: top.id, after: cursor }), 'bad_request', `after ${JSON.stringify(cursor)}`);
  }
  // A thread with no replies: no cursor.
  const lone = (await f.ok('post', signedPost(server, author.p, 'general', 'nobody answers'))).post;
  assert.deepEqual((await f.ok('thread', { post_id: lone.id })).next, null);

  // Moderators page the same way.
  await admin.ok('staff.add', { username: 'pager', role: 'moderator', password: 'moderator password' });
  const mod = await server.connect('staff');
  await mod.ok('login', { username: 'pager', password: 'moderator password' });
  const staffPage = await mod.ok('thread', { post_id: top.id, limit: 4 });
  assert.deepEqual(staffPage.replies.map((r) => r.id), seen.slice(0, 4).map((r) => r.id));
  const staffNext = await mod.ok('thread', { post_id: top.id, after: staffPage.next, limit: 4 });
  assert.deepEqual(staffNext.replies.map((r) => r.id), seen.slice(4, 8).map((r) => r.id));
  mod.close();
});

test('a socket that never reads cannot make the server buffer thread pages without bound', async () => {
  const pid = server.proc.pid;
  await sleep(500);
  const baseline = rssMiB(pid);

  // A second login of the same pseudonym that sends 40 requests for the
  // largest pages and never reads an answer.
  const stalled = await server.connect('forum');
  const { login } = await import('./lib/harness.mjs');
  await login(stalled, server, author.p);
  stalled.ws._socket.pause();
  const pending = [];
  for (let i = 0; i < 40; i++) pending.push(stalled.call('thread', { post_id: top.id, limit: 100 }));

  let peak = baseline;
  for (let i = 0; i < 40; i++) {
    await sleep(100);
    peak = Math.max(peak, rssMiB(pid));
  }
  console.log(`server RSS: ${baseline.toFixed(0)} MiB before, ${peak.toFixed(0)} MiB at most while stalled`);
  // (Under AddressSanitizer freed memory stays in quarantine: no bound to check.)
  const measured = !sanitized(pid);
  if (measured) assert.ok(peak - baseline < 100, `RSS grew by ${(peak - baseline).toFixed(0)} MiB for one stalled socket`);

  // Other connections are served meanwhile.
  assert.equal((await author.forum.ok('thread', { post_id: top.id, limit: 1 })).replies.length, 1);

  // Once it reads again every request is answered.
  stalled.ws._socket.resume();
  const answers = await Promise.all(pending);
  assert.ok(answers.every((a) => a.ok && a.result.replies.length >= 1));
  stalled.close();
  await stalled.closed;
  if (!measured) return;
  const settled = await eventually(() => rssMiB(pid) - baseline < 40, 20000, 500);
  console.log(`server RSS after the socket closed: ${rssMiB(pid).toFixed(0)} MiB`);
  assert.ok(settled, `RSS stayed ${(rssMiB(pid) - baseline).toFixed(0)} MiB above its baseline`);
});

test('a feed page of large posts stops at about a megabyte, and the cursor walks the rest', async () => {
  const f = author.forum;
  await admin.ok('channels.add', { name: 'large', description: 'large posts' });
  const BIG_POSTS = 60;
  for (let i = 0; i < BIG_POSTS; i += 20) {
    await Promise.all(Array.from({ length: 20 }, (_, j) =>
      f.ok('post', signedPost(server, author.p, 'large', `${i + j} ${BIG}`))));
  }
  const first = await f.ok('feed', { channel: 'large', limit: 100 });
  const pageBytes = first.posts.reduce((n, p) => n + Buffer.byteLength(p.body), 0);
  assert.ok(first.posts.length < BIG_POSTS, `one page held all ${first.posts.length} posts (${pageBytes} bytes)`);
  // The budget (1 MiB) is checked after each chunk of 16 posts read.
  assert.ok(pageBytes < 2 * (1 << 20), `a page of ${pageBytes} bytes`);
  assert.equal(typeof first.next, 'string');
  const seen = [...first.posts];
  for (let next = first.next, pages = 1; next !== null; pages++) {
    const pg = await f.ok('feed', { channel: 'large', before: next, limit: 100 });
    seen.push(...pg.posts);
    next = pg.next;
    assert.ok(pages < 100, 'the walk ends');
  }
  assert.deepEqual(seen.map((p) => Number(p.body.split(' ')[0])).sort((a, b) => a - b),
    Array.from({ length: BIG_POSTS }, (_, i) => i), 'every post once');
  const times = seen.map((p) => p.created_at);
  assert.deepEqual([...times].sort().reverse(), times, 'newest first');
});

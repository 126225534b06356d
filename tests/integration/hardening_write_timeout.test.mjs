// A peer that stops reading is cut once one write has made no progress for
// limits.write_timeout: it does not keep its queued replies and its
// connection slot for ever (docs/configuration.md). A peer that reads slowly
// but steadily is not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, signedPost, pseudonymOnForum, login, sleep } from './lib/harness.mjs';
import { eventually } from './lib/attack.mjs';

const WRITE_TIMEOUT = 2;  // seconds
const REPLIES = 120;
const BIG = '\u{1F525}'.repeat(9990);  // ~40 KB of UTF-8 per reply

let server, admin, author, top;
before(async () => {
  server = await Server.start({
    config: `[rate]\npost = { per_second = 0 }\nops = { per_second = 0 }\n[limits]\nwrite_timeout = ${WRITE_TIMEOUT}\n`,
  });
  admin = await server.admin();
  author = await pseudonymOnForum(server, admin, 'w-author', 'write_author');
  top = (await author.forum.ok('post', signedPost(server, author.p, 'general', 'a thread with many replies'))).post;
  for (let i = 0; i < REPLIES; i += 30) {
    await Promise.all(Array.from({ length: 30 }, (_, j) =>
      author.forum.ok('post', signedPost(server, author.p, 'general', `${i + j} ${BIG}`, top.id))));
  }
});
after(async () => { admin?.close(); author?.forum.close(); await server?.stop(); server?.cleanup(); });

async function forumConnections() {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^hearth_connections\{endpoint="forum"\} (\S+)$/m.exec(text)[1]);
}

test('a socket that never reads is cut after write_timeout', async () => {
  const before = await forumConnections();
  const stalled = await server.connect('forum');
  await login(stalled, server, author.p);
  assert.equal(await forumConnections(), before + 1);
  stalled.ws._socket.pause();
  const sent = 8;
  let answered = 0;
  // Over a megabyte per answer: far more than the socket buffers take.
  for (let i = 0; i < sent; i++) {
    stalled.call('thread', { post_id: top.id, limit: 100 }).then((a) => { if (a.ok) answered++; }, () => {});
  }

  const cut = await eventually(async () => (await forumConnections()) === before, (WRITE_TIMEOUT + 8) * 1000, 200);
  assert.ok(cut, 'the server still holds the connection of a peer that reads nothing');

  // Others are served as before.
  assert.equal((await author.forum.ok('thread', { post_id: top.id, limit: 1 })).replies.length, 1);
  stalled.ws._socket.resume();
  await stalled.closed;
  assert.ok(answered < sent, `all ${sent} answers arrived over a cut connection`);
});

test('a peer that reads slowly but steadily is not cut', async () => {
  const slow = await server.connect('forum');
  await login(slow, server, author.p);
  const sock = slow.ws._socket;
  // Reads in short bursts with pauses shorter than write_timeout.
  let reading = true;
  const pacer = (async () => {
    while (reading) {
      sock.pause();
      await sleep(WRITE_TIMEOUT * 1000 * 0.4);
      sock.resume();
      await sleep(50);
    }
  })();
  const answers = await Promise.all(Array.from({ length: 6 }, () => slow.ok('thread', { post_id: top.id, limit: 100 })));
  reading = false;
  await pacer;
  sock.resume();
  // (A page holds fewer than `limit` replies when they are this large.)
  assert.ok(answers.every((a) => a.replies.length >= 1 && a.replies.length === answers[0].replies.length));
  assert.equal((await slow.ok('thread', { post_id: top.id, limit: 1 })).replies.length, 1, 'still connected');
  slow.close();
});

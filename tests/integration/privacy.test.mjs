// After the employee story, neither the server's log output nor the forum
// store holds the employee id or the client's address, and the issuer store
// holds no handle or pseudonym key.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, signedPost, pseudonymOnForum, unb64u } from './lib/harness.mjs';

let server;
after(async () => { await server?.stop(); server?.cleanup(); });

test('no employee id or address in the forum store or the logs', async () => {
  server = await Server.start();
  const admin = await server.admin();
  const employee = 'carol.unique-employee-7731@corp.example';
  const handle = 'Distinct_Handle_42';
  const me = await pseudonymOnForum(server, admin, employee, handle);
  await me.forum.ok('post', signedPost(server, me.p, 'general', 'a thought I would not say under my name'));
  await me.forum.ok('flag', { post_id: (await me.forum.ok('feed', { channel: 'general' })).posts[0].id, reason: 'other' });
  me.forum.close();
  admin.close();
  await server.stop();   // flush memtables into files on a clean shutdown

  const forumBytes = server.filesBytes('forum');
  assert.equal(forumBytes.indexOf(Buffer.from(employee)), -1, 'forum store must not contain the employee id');
  assert.equal(forumBytes.indexOf(Buffer.from('127.0.0.1')), -1, 'forum store must not contain the client address');
  const issuerBytes = server.filesBytes('issuer');
  assert.notEqual(issuerBytes.indexOf(Buffer.from(employee)), -1, 'sanity: the issuer store does hold the roster');
  assert.equal(issuerBytes.indexOf(Buffer.from(handle)), -1, 'issuer store must not contain the handle');
  assert.equal(issuerBytes.indexOf(Buffer.from(handle.toLowerCase())), -1);
  assert.equal(issuerBytes.indexOf(Buffer.from(unb64u(me.p.pkB64))), -1, 'issuer store must not contain the pseudonym key');
  assert.equal(issuerBytes.indexOf(Buffer.from('127.0.0.1')), -1);
  assert.ok(forumBytes.indexOf(Buffer.from(handle)) !== -1, 'sanity: the forum store holds the handle');

  const logs = server.stdout + server.stderr;
  assert.ok(!logs.includes(employee), 'logs must not contain the employee id');
  assert.ok(!logs.includes(handle), 'logs must not contain the handle');
  assert.ok(!logs.includes('127.0.0.1:') || logs.split('\n').every((l) => !l.includes('127.0.0.1:') || l.includes('listening') || l.includes('serving on')),
    'the only address in the logs is the server\'s own listening address');
});

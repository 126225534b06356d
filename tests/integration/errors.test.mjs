// Every error code the issuer and forum endpoints can return, provoked and
// asserted; and a failed op changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Server, Pseudonym, b64u, unb64u, fetchKeys, blindToken, finalizeToken, obtainToken, enrolledEmployee, login,
  loginBytes, signedPost, pseudonymOnForum, newNonce,
} from './lib/harness.mjs';

let server, admin;
before(async () => {
  // Tight per-connection limits so rate limiting can be shown quickly.
  server = await Server.start({ config: 'login_failures = 3\n[rate]\npost = { per_second = 0.5, burst = 8 }\nauth = { per_second = 1, burst = 100 }\n' });
  admin = await server.admin();
});
after(async () => { admin?.close(); await server?.stop(); server?.cleanup(); });

test('issuer endpoint errors', async () => {
  const { codes } = await admin.ok('roster.import', { employees: ['e1', 'e2'] });
  const c = await server.connect('issuer');
  assert.equal(await c.err('no.such.op'), 'unknown_op');
  assert.equal(await c.err('quota'), 'unauthenticated');
  assert.equal(await c.err('issue', { key_id: 'x', blinded_msg: 'AA' }), 'unauthenticated');
  assert.equal(await c.err('enroll', { employee_id: 'e1', code: codes.e1, password: 'short' }), 'bad_request');
  assert.equal(await c.err('enroll', { employee_id: 'e1', code: 'WRONG-CODE', password: 'long enough pw' }), 'unauthenticated');
  assert.equal(await c.err('enroll', { employee_id: 'e1', code: codes.e1 }), 'bad_request');
  assert.equal(await c.err('enroll', { employee_id: 42, code: codes.e1, password: 'long enough pw' }), 'bad_request');
  await c.ok('enroll', { employee_id: 'e1', code: codes.e1, password: 'long enough pw' });
  const c2 = await server.connect('issuer');
  assert.equal(await c2.err('enroll', { employee_id: 'e1', code: codes.e1, password: 'another long pw' }), 'unauthenticated',
    'a code works once');
  // Unknown id and wrong password answer alike; repeated failures are rate limited.
  assert.equal(await c2.err('login', { employee_id: 'nobody', password: 'whatever12' }), 'unauthenticated');
  for (let i = 0; i < 3; i++) assert.equal(await c2.err('login', { employee_id: 'e2', password: 'wrong password' }), 'unauthenticated');
  assert.equal(await c2.err('login', { employee_id: 'e2', password: 'wrong password' }), 'rate_limited');

  const dir = await fetchKeys(server);
  const key = dir.keys.find((k) => k.state === 'active');
  assert.equal(await c.err('issue', { key_id: 'AAAA', blinded_msg: 'AAAA' }), 'key_unknown');
  assert.equal(await c.err('issue', { key_id: key.key_id, blinded_msg: b64u(new Uint8Array(10)) }), 'bad_request');
  assert.equal(await c.err('issue', { key_id: key.key_id, blinded_msg: b64u(new Uint8Array(256).fill(0xff)) }), 'bad_request',
    'a blinded message not below the modulus');
  assert.equal(await c.err('issue', { key_id: key.key_id, blinded_msg: 'not base64url!' }), 'bad_request');
  assert.equal((await c.ok('quota')).used, 0, 'failed issues used nothing');
  const p = new Pseudonym();
  await obtainToken(server, c, p, key);
  const t2 = await blindToken(key, new Pseudonym());
  assert.equal(await c.err('issue', { key_id: key.key_id, blinded_msg: b64u(t2.blindedMsg) }), 'quota_exhausted');
  assert.equal((await c.ok('quota')).used, 1);

  // After a rotation the old key no longer issues.
  await admin.ok('keys.rotate', { reason: 'test' });
  assert.equal(await c.err('issue', { key_id: key.key_id, blinded_msg: b64u(t2.blindedMsg) }), 'key_expired');
  // An employee removed from the roster while signed in gets no more tokens:
  // its issuer connection is closed.
  await admin.ok('roster.remove', { employee_id: 'e1' });
  assert.equal((await c.closed).code, 1008);
  assert.equal(await admin.err('roster.remove', { employee_id: 'e1' }), 'not_found');
  c.close(); c2.close();
});

test('forum endpoint errors', async () => {
  const issuer = await enrolledEmployee(server, admin, 'f1');
  const p = new Pseudonym();
  const token = await obtainToken(server, issuer, p);
  const f = await server.connect('forum');
  const certify = (over = {}) => f.call('certify', { ...token, pseudonym_pk: p.pkB64, handle: 'first_one', ...over });
  const code = async (pr) => { const r = await pr; assert.equal(r.ok, false, JSON.stringify(r)); return r.error.code; };

  assert.equal(await code(certify({ handle: 'no' })), 'bad_request');
  assert.equal(await code(certify({ handle: 'has space' })), 'bad_request');
  assert.equal(await code(certify({ pseudonym_pk: b64u(new Uint8Array(32)) })), 'bad_request', 'small-order point');
  assert.equal(await code(certify({ pseudonym_pk: b64u(new Uint8Array([1, ...new Uint8Array(31)])) })), 'bad_request', 'identity');
  assert.equal(await code(certify({ prefix: b64u(new Uint8Array(31)) })), 'bad_request');
  assert.equal(await code(certify({ key_id: 'AAAA' })), 'key_unknown');
  const flipped = unb64u(token.sig); flipped[7] ^= 1;
  assert.equal(await code(certify({ sig: b64u(flipped) })), 'invalid_token');
  assert.equal(await code(certify({ pseudonym_pk: new Pseudonym().pkB64 })), 'invalid_token', 'token bound to its pk');
  // Failed certifies did not spend the token.
  const ok = await certify();
  assert.equal(ok.ok, true);
  assert.equal(await code(certify()), 'token_spent');

  // A second pseudonym cannot take the handle (case-insensitively).
  const issuer2 = await enrolledEmployee(server, admin, 'f2');
  const p2 = new Pseudonym();
  const token2 = await obtainToken(server, issuer2, p2);
  assert.equal(await f.err('certify', { ...token2, pseudonym_pk: p2.pkB64, handle: 'FIRST_ONE' }), 'conflict');
  await f.ok('certify', { ...token2, pseudonym_pk: p2.pkB64, handle: 'second_one' });

  // Login errors.
  assert.equal(await f.err('post', signedPost(server, p, 'general', 'x')), 'unauthenticated');
  assert.equal(await f.err('login', { pseudonym_pk: p.pkB64, sig: b64u(new Uint8Array(64)) }), 'unauthenticated', 'no challenge');
  let { nonce } = await f.ok('challenge');
  assert.equal(await f.err('login', { pseudonym_pk: p.pkB64, sig: b64u(p.sign(loginBytes('other-issuer', nonce))) }), 'unauthenticated');
  assert.equal(await f.err('login', { pseudonym_pk: p.pkB64, sig: b64u(p.sign(loginBytes(server.issuer, nonce))) }), 'unauthenticated',
    'the nonce was consumed by the failed attempt');
  const stranger = new Pseudonym();
  ({ nonce } = await f.ok('challenge'));
  assert.equal(await f.err('login', { pseudonym_pk: stranger.pkB64, sig: b64u(stranger.sign(loginBytes(server.issuer, nonce))) }), 'unauthenticated');
  await login(f, server, p);
  ({ nonce } = await f.ok('challenge'));
  assert.equal(await f.err('login', { pseudonym_pk: p.pkB64, sig: b64u(p.sign(loginBytes(server.issuer, nonce))) }), 'conflict');

  // Post errors.
  assert.equal(await f.err('post', { ...signedPost(server, p, 'general', 'x'), sig: b64u(new Uint8Array(64)) }), 'invalid_signature');
  assert.equal(await f.err('post', signedPost(server, p2, 'general', 'signed by another')), 'invalid_signature');
  assert.equal(await f.err('post', signedPost(server, p, 'general', 'x'.repeat(10001))), 'too_large');
  assert.equal(await f.err('post', signedPost(server, p, 'general', '')), 'bad_request');
  assert.equal(await f.err('post', signedPost(server, p, 'general', 'short nonce', null, 'abc')), 'bad_request');
  assert.equal(await f.err('post', signedPost(server, p, 'Bad_Channel', 'x')), 'bad_request');
  assert.equal(await f.err('post', signedPost(server, p, 'nowhere', 'x')), 'not_found');
  assert.equal(await f.err('post', signedPost(server, p, 'general', 'x', 'p-does-not-exist')), 'not_found');
  const { body: _b, ...noBody } = signedPost(server, p, 'general', 'x');
  assert.equal(await f.err('post', noBody), 'bad_request');
  // 10000 code points of a 4-byte character are fine (lengths count code points).
  await f.ok('post', signedPost(server, p, 'general', '😀'.repeat(10000)));
  // Rate limit: burst 8 at 0.5/s (failed attempts count too).
  let limited = false;
  for (let i = 0; i < 20 && !limited; i++) {
    const r = await f.call('post', signedPost(server, p, 'general', `burst ${i}`));
    if (!r.ok) { assert.equal(r.error.code, 'rate_limited'); limited = true; }
  }
  assert.ok(limited, 'posting faster than the configured rate is limited');

  assert.equal(await f.err('thread', { post_id: 'nope' }), 'not_found');
  assert.equal(await f.err('react', { post_id: 'nope', reaction: '+1', on: true }), 'not_found');
  const feed = await f.ok('feed', { channel: 'general' });
  const mine = feed.posts[0].id;
  assert.equal(await f.err('react', { post_id: mine, reaction: 'angry', on: true }), 'bad_request');
  assert.equal(await f.err('flag', { post_id: mine, reason: 'boring' }), 'bad_request');
  assert.equal(await f.err('flag', { post_id: mine, reason: 'other', note: 'n'.repeat(1001) }), 'too_large');
  assert.equal(await f.err('profile', { handle: 'nobody_here' }), 'not_found');
  assert.equal(await f.err('subscribe', { channel: 'nowhere' }), 'not_found');
  assert.equal(await f.err('modlog', { before: '???' }), 'bad_request');
  assert.equal(await f.err('roster.import', { employees: [] }), 'unknown_op', 'staff ops do not exist on the forum');
  assert.equal(await f.err('issue', {}), 'unknown_op');

  // Delete by someone else: forbidden.
  const f2 = await server.connect('forum');
  await login(f2, server, p2);
  assert.equal(await f2.err('delete', { post_id: mine }), 'forbidden');

  // Banned: cannot log in; its connections are closed with 1008.
  const closed = f2.closed;
  await admin.ok('ban', { handle: 'second_one', reason: 'test' });
  assert.equal((await closed).code, 1008);
  const f3 = await server.connect('forum');
  ({ nonce } = await f3.ok('challenge'));
  const r = await f3.call('login', { pseudonym_pk: p2.pkB64, sig: b64u(p2.sign(loginBytes(server.issuer, nonce))) });
  assert.equal(r.error.code, 'banned');
  assert.match(r.error.message, /until \d{4}-\d\d-\d\dT/);

  // Revoking the key: its tokens and pseudonyms certified only by it expire.
  const issuer3 = await enrolledEmployee(server, admin, 'f3');
  const p3 = new Pseudonym();
  const key = (await fetchKeys(server)).keys.find((k) => k.state === 'active');
  const token3 = await obtainToken(server, issuer3, p3, key);
  await admin.ok('keys.revoke', { key_id: key.key_id, reason: 'test' });
  assert.equal(await f3.err('certify', { ...token3, pseudonym_pk: p3.pkB64, handle: 'third_one' }), 'key_expired');
  f.close(); f3.close(); issuer.close(); issuer2.close(); issuer3.close();
});

test('token spends survive a restart', async () => {
  const issuer = await enrolledEmployee(server, admin, 'restart-1');
  const p = new Pseudonym();
  const token = await obtainToken(server, issuer, p);
  issuer.close();
  const f = await server.connect('forum');
  await f.ok('certify', { ...token, pseudonym_pk: p.pkB64, handle: 'restart_one' });
  await server.stop('SIGKILL');
  await server.launch();
  admin = await server.admin();
  const g = await server.connect('forum');
  assert.equal(await g.err('certify', { ...token, pseudonym_pk: p.pkB64, handle: 'restart_one' }), 'token_spent');
  g.close();
});

// Random frames against every endpoint (signed in where that reaches deeper
// code): every frame gets exactly one well-formed reply with a protocol error
// code, and the server keeps serving. Deterministic for a given seed
// (HEARTH_FUZZ_SEED; `random` for a fresh one), printed so a failure can be replayed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server, pseudonymOnForum, enrolledEmployee, b64u } from './lib/harness.mjs';

const CODES = new Set(['bad_request', 'unknown_op', 'unauthenticated', 'forbidden', 'not_found', 'conflict',
  'rate_limited', 'too_large', 'quota_exhausted', 'key_unknown', 'key_expired', 'invalid_token', 'token_spent',
  'invalid_signature', 'banned', 'internal']);
const OPS = ['keys', 'enroll', 'login', 'quota', 'issue', 'certify', 'challenge', 'channels', 'post', 'feed', 'thread',
  'delete', 'react', 'flag', 'subscribe', 'unsubscribe', 'profile', 'anonymity', 'modlog', 'flags', 'hide', 'restore',
  'dismiss', 'ban', 'unban', 'roster.import', 'roster.remove', 'staff.add', 'staff.list', 'channels.add', 'audit',
  '', 'x'.repeat(300), '__proto__', 'constructor'];
const FIELDS = ['key_id', 'blinded_msg', 'employee_id', 'code', 'password', 'prefix', 'sig', 'pseudonym_pk', 'handle',
  'channel', 'parent', 'body', 'nonce', 'post_id', 'reaction', 'on', 'reason', 'note', 'before', 'limit', 'username',
  'role', 'employees', 'name', 'description', 'until', 'id', 'op'];

function rng(seed) {
  let s = seed >>> 0;
  return () => { s = (s + 0x6D2B79F5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

function generator(rand) {
  const pick = (a) => a[Math.floor(rand() * a.length)];
  const int = (n) => Math.floor(rand() * n);
  const str = () => {
    const kinds = [
      () => '', () => 'general', () => 'a'.repeat(int(40)), () => b64u(new Uint8Array(int(300)).map(() => int(256))),
      () => '\n\r\t\u0000', () => '😀'.repeat(int(20)), () => '\uD800', () => '../../etc/passwd', () => 'p' + int(99),
      () => String.fromCharCode(...Array.from({ length: int(30) }, () => int(0x3000))), () => 'x'.repeat(int(12000)),
      () => '+1', () => 'spam', () => 'admin', () => '0000000000000001',
    ];
    return pick(kinds)();
  };
  const value = (depth = 0) => {
    const kinds = [
      () => str(), () => int(1000) - 500, () => 2 ** 53 + int(10), () => -(2 ** 63), () => 1e308, () => rand(),
      () => rand() < 0.5, () => null, () => [], () => ({}),
      () => (depth < 3 ? Array.from({ length: int(5) }, () => value(depth + 1)) : 0),
      () => (depth < 3 ? Object.fromEntries(Array.from({ length: int(4) }, () => [pick(FIELDS), value(depth + 1)])) : 0),
    ];
    return pick(kinds)();
  };
  return () => {
    const frame = { id: 0, op: rand() < 0.95 ? pick(OPS) : value() };
    for (let i = int(6); i > 0; i--) { const f = pick(FIELDS); if (f !== 'id') frame[f] = value(); }
    // Stay under the 64 KiB frame limit (oversized frames are tested elsewhere: they close the connection).
    for (const f of Object.keys(frame)) if (Buffer.byteLength(JSON.stringify(frame)) > 60000 && f !== 'id' && f !== 'op') delete frame[f];
    return frame;
  };
}

async function fuzz(conn, next, count) {
  for (let done = 0; done < count; done += 25) {
    const batch = Array.from({ length: 25 }, () => next());
    const replies = await Promise.all(batch.map(async (frame) => {
      const { id: _i, op, ...fields } = frame;
      const r = await Promise.race([conn.call(op, fields), conn.closed.then((c) => { throw new Error(`connection closed ${c.code} ${c.reason} after ${JSON.stringify(frame).slice(0, 200)}`); })]);
      return { frame, r };
    }));
    for (const { frame, r } of replies) {
      assert.equal(typeof r.ok, 'boolean', JSON.stringify(frame).slice(0, 300));
      if (!r.ok) {
        assert.ok(CODES.has(r.error.code), `unknown code ${r.error.code}`);
        assert.notEqual(r.error.code, 'internal', `internal error for ${JSON.stringify(frame).slice(0, 300)}`);
        assert.equal(typeof r.error.message, 'string');
      }
    }
  }
}

test('random frames never crash the server or get a malformed answer', async () => {
  // A fixed seed by default so CI is repeatable; HEARTH_FUZZ_SEED=random explores.
  const env = process.env.HEARTH_FUZZ_SEED;
  const seed = env === 'random' ? Date.now() % 1e9 : Number(env ?? 20261125);
  console.log(`fuzz seed ${seed} (replay with HEARTH_FUZZ_SEED=${seed})`);
  const next = generator(rng(seed));
  const server = await Server.start({ config: '[rate]\nops = { per_second = 100000, burst = 100000 }\nauth = { per_second = 100000, burst = 100000 }\npost = { per_second = 100000, burst = 100000 }\n' });
  try {
    const admin = await server.admin();
    const issuer = await enrolledEmployee(server, admin, 'fuzz-employee');
    const me = await pseudonymOnForum(server, admin, 'fuzz-p', 'fuzz_p');
    const anonForum = await server.connect('forum');
    const anonStaff = await server.connect('staff');
    await fuzz(issuer, next, 600);
    await fuzz(me.forum, next, 800);
    await fuzz(anonForum, next, 300);
    await fuzz(anonStaff, next, 300);
    await fuzz(admin, next, 600);
    const res = await fetch(`${server.url}/healthz`);
    assert.equal(res.status, 200);
    const fresh = await server.connect('forum');
    await fresh.ok('challenge');
    fresh.close();
    for (const c of [admin, issuer, me.forum, anonForum, anonStaff]) c.close();
  } finally {
    await server.stop();
    server.cleanup();
  }
});

// Password hashing cannot starve blind signing: Argon2id runs under its own
// bounded concurrency with a queue limit, and a flood of logins beyond that
// queue is answered rate_limited (DESIGN.md: slow or hostile clients are bounded).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server, Pseudonym, b64u, blindToken, fetchKeys, enrolledEmployee } from './lib/harness.mjs';
import { median, relaunchWith } from './lib/attack.mjs';

async function issueMs(issuer, key) {
  const t = await blindToken(key, new Pseudonym());
  const start = performance.now();
  await issuer.ok('issue', { key_id: key.key_id, blinded_msg: b64u(t.blindedMsg) });
  return performance.now() - start;
}

test('300 logins for unknown ids from 30 connections do not hold up issue', async () => {
  // Real Argon2id cost (libsodium INTERACTIVE: 64 MiB, 2 passes), a quota
  // and an issue rate large enough for every issue below, the default
  // limits otherwise.
  const server = await Server.start();
  try {
    await relaunchWith(server, '[issuer]\nargon2_opslimit = 2\nargon2_memlimit = 67108864\nquota = 1000\n' +
      '[rate]\nissue = { per_second = 0 }\n');
    const admin = await server.admin();
    const issuer = await enrolledEmployee(server, admin, 'signer');
    const key = (await fetchKeys(server)).keys.find((k) => k.state === 'active');
    for (let i = 0; i < 3; i++) await issueMs(issuer, key);  // warm up
    const normal = [];
    for (let i = 0; i < 9; i++) normal.push(await issueMs(issuer, key));
    const normalMs = median(normal);

    const conns = await Promise.all(Array.from({ length: 30 }, () => server.connect('issuer')));
    const flood = [];
    for (let i = 0; i < 300; i++) {
      flood.push(conns[i % 30].call('login', { employee_id: `unknown-${i}`, password: 'a password guess' }));
    }
    // Real issues while the flood is queued and hashing.
    const during = [];
    for (let i = 0; i < 9; i++) during.push(await issueMs(issuer, key));
    const answers = await Promise.all(flood);
    const limited = answers.filter((a) => a.error?.code === 'rate_limited').length;
    const failed = answers.filter((a) => a.error?.code === 'unauthenticated').length;
    const duringMs = median(during);
    console.log(`issue: ${normalMs.toFixed(1)} ms alone, ${duringMs.toFixed(1)} ms (max ${Math.max(...during).toFixed(1)}) ` +
      `during the flood; flood: ${failed} unauthenticated, ${limited} rate_limited`);
    assert.equal(failed + limited, 300, 'every flood login failed');
    assert.ok(limited > 0, 'logins beyond the hashing queue are answered rate_limited');
    // "a few times its normal latency" (with a floor for a shared 2-core machine).
    const bound = Math.max(5 * normalMs, 50);
    assert.ok(duringMs <= bound, `median issue during the flood ${duringMs.toFixed(1)} ms > ${bound.toFixed(1)} ms`);
    assert.ok(Math.max(...during) <= 4 * bound, `slowest issue during the flood ${Math.max(...during).toFixed(1)} ms`);
    for (const c of [admin, issuer, ...conns]) c.close();
  } finally { await server.stop(); server.cleanup(); }
});

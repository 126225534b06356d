// Unit tests of the linkage test's parts that need no server: the matching,
// the chance bound, the delay models, the comb fit, the evidence read from
// a store dump.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from './lib/rng.mjs';
import { bestAssignment } from './lib/matching.mjs';
import { binomialQuantile, chanceBound, familyQuantile, poissonTail } from './lib/stats.mjs';
import { DelayModel } from './lib/density.mjs';
import { schedules, client } from './lib/schedules.mjs';
import { readFileSync } from 'node:fs';
import { fitComb, rankModel, firstPhase, renewalPhase, counterEvents, storeEvidence, proxyOperator, PairModel, gateOf } from './lib/adversaries.mjs';
import { epoch } from './lib/simulate.mjs';

function permutations(n) {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) => [...Array(n).keys()].map((i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

test('the assignment maximises the total score (against brute force)', () => {
  const rng = new Rng(7);
  const perms = permutations(6);
  for (let trial = 0; trial < 40; trial++) {
    const score = [...Array(6)].map(() => [...Array(6)].map(() => Math.log(rng.uniform() + 1e-9)));
    const best = Math.max(...perms.map((p) => p.reduce((a, c, r) => a + score[r][c], 0)));
    const a = bestAssignment(score, rng);
    assert.deepEqual([...a].sort(), [0, 1, 2, 3, 4, 5]);
    assert.ok(Math.abs(a.reduce((s, c, r) => s + score[r][c], 0) - best) < 1e-9);
  }
});

test('without information the matching is at chance, not at the listing order', () => {
  const rng = new Rng(11);
  const n = 20;
  const zero = [...Array(n)].map(() => new Array(n).fill(0));
  let fixed = 0;
  const runs = 500;
  for (let r = 0; r < runs; r++) fixed += bestAssignment(zero, rng).filter((p, e) => p === e).length;
  // One fixed point per random matching on average.
  assert.ok(Math.abs(fixed / runs - 1) < 0.2, `mean fixed points ${fixed / runs}`);
});

// P(X = i) for X ~ Binomial(n, p), from its definition.
function binomialPmf(n, p, i) {
  let c = 1;
  for (let j = 0; j < i; j++) c *= (n - j) / (j + 1);
  return c * p ** i * (1 - p) ** (n - i);
}

test('binomial quantiles', () => {
  assert.equal(binomialQuantile(10, 0.5, 0.5), 5);
  assert.equal(binomialQuantile(10, 0.5, 0.999), 9);   // P(X <= 9) = 1 - 1/1024
  assert.equal(binomialQuantile(10, 0.5, 0.9995), 10);
  assert.equal(binomialQuantile(100, 0, 0.999), 0);
  // P(X <= k) for Binomial(150, 1/50), summed directly.
  const n = 150, p = 1 / 50;
  const k = chanceBound(n, 50);
  let cdf = 0, below = 0;
  for (let i = 0; i <= k; i++) {
    cdf += binomialPmf(n, p, i);
    if (i < k) below += binomialPmf(n, p, i);
  }
  assert.ok(cdf >= 0.999 && below < 0.999);
  assert.equal(k, 9);
});

// P(X > k) for X ~ Binomial(n, p), summed directly.
function binomialAbove(n, p, k) {
  let tail = 0;
  for (let i = k + 1; i <= n; i++) tail += binomialPmf(n, p, i);
  return tail;
}

test('the margins of one invocation share one false alarm in a thousand', () => {
  assert.equal(familyQuantile(1), 0.999);
  // --ci: N 50 with 3, 2 and 2 runs, (1) and (2) each: six checks.
  const q = familyQuantile(6);
  const trials = [150, 150, 100, 100, 100, 100];
  const alarms = trials.reduce((a, t) => a + binomialAbove(t, 1 / 50, chanceBound(t, 50, q)), 0);
  assert.ok(alarms <= 0.001, `false alarms ${alarms}`);
  // Each check alone at 0.999 would add up to more than that.
  const alone = trials.reduce((a, t) => a + binomialAbove(t, 1 / 50, chanceBound(t, 50)), 0);
  assert.ok(alone > 0.001, `alone ${alone}`);
  // The margin stays close to chance: 9 of 100 where chance is 2.
  assert.equal(chanceBound(100, 50, q), 9);
});

test('the delay model is the schedule\'s distribution', () => {
  const rng = new Rng(3);
  const m = new DelayModel((r) => r.uniform() * 1000, rng, 100000);
  assert.ok(Math.abs(m.cdf(250) - 0.25) < 0.01);
  assert.ok(Math.abs(m.density(500, 50) - 1 / 1000) < 1e-4);
  assert.ok(m.density(5000, 50) < 1e-6 && m.density(5000, 50) > 0);
  assert.ok(Math.abs(m.windowDensity(1500, 1000) - 0.5 / 1000) < 5e-5);
});

test('schedules: the old one is whole seconds 5..60, the default one is continuous and hours long', () => {
  const rng = new Rng(5);
  const bins = new Array(10).fill(0);
  for (let i = 0; i < 20000; i++) {
    const old = schedules.old.delay(rng);
    assert.ok(Number.isInteger(old / 1000) && old >= 5000 && old <= 60000);
    const d = schedules.default.delay(rng);
    assert.ok(d >= 3600e3);
    bins[Math.floor(((d / 1000) % 1) * 10)]++;
    assert.equal(schedules.zero.delay(rng), 0);
  }
  // Fractional seconds of the default delay: uniform (chi-square, 9 degrees
  // of freedom, 99.9 % quantile 27.9).
  const chi2 = bins.reduce((a, b) => a + (b - 2000) ** 2 / 2000, 0);
  assert.ok(chi2 < 27.9, `chi-square ${chi2}`);
});

test('the comb fit finds a whole-second offset and nothing in continuous delays', () => {
  const rng = new Rng(9);
  const diffs = [];
  for (let i = 0; i < 50; i++) diffs.push((5 + rng.int(0, 55)) * 1000 + 37 + rng.normal() * 3);
  for (let i = 0; i < 300; i++) diffs.push(5000 + rng.uniform() * 56000);
  const fit = fitComb(diffs);
  assert.ok(fit, 'found');
  assert.ok(Math.abs(fit.offsetMs - 37) < 3, `offset ${fit.offsetMs}`);
  assert.ok(fit.spreadMs < 10, `spread ${fit.spreadMs}`);
  assert.equal(fitComb(diffs.slice(50)), null);
  // Few candidates (a small crowd, hours apart) must not make a comb out of
  // chance: 80 continuous differences, many seeds.
  for (let seed = 0; seed < 200; seed++) {
    const r = new Rng(1000 + seed);
    assert.equal(fitComb([...Array(80)].map(() => 3600e3 + r.uniform() * 4 * 3600e3)), null, `seed ${seed}`);
  }
  assert.ok(Math.abs(poissonTail(3, 2) - (1 - Math.exp(-2) * (1 + 2 + 2))) < 1e-12);
  assert.equal(poissonTail(0, 5), 1);
});

test('the proxy links whole-second delays with the comb, and less without it', () => {
  const rng = new Rng(13);
  const sessions = new Map(), certifies = new Map();
  let t = 0;
  for (let i = 0; i < 60; i++) {
    t += rng.exponential(10000);
    sessions.set(`e${i}`, t);
    certifies.set(`p${i}`, t + (5 + rng.int(0, 55)) * 1000 + 20 + rng.uniform() * 4);
  }
  const knowledge = { schedule: schedules.old, gapMs: 10000, minCrowd: 5, epoch };
  const right = (r) => [...r.guess].filter(([e, p]) => p === `p${e.slice(1)}`).length;
  const phases = [{ sessions, certifies }, { sessions: new Map(), certifies: new Map() }];
  const comb = proxyOperator({ phases, knowledge, rng: rng.fork(), comb: true });
  const window = proxyOperator({ phases, knowledge, rng: rng.fork(), comb: false });
  assert.ok(comb.fit && Math.abs(comb.fit.offsetMs - 22) < 3);
  assert.ok(right(comb) >= 45, `comb ${right(comb)}`);
  assert.ok(right(window) < right(comb) - 10, `window ${right(window)}`);
});

test('rank model: with no delay the certify order is the issue order', () => {
  const m = rankModel({ n: 8, process: firstPhase({ gapMs: 1000, schedule: schedules.zero, minCrowd: 5 }), rng: new Rng(1), runs: 500 });
  for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) if (i !== j) assert.ok(m.at(i, i) > m.at(i, j) + 5);
  const wide = rankModel({ n: 8, process: firstPhase({ gapMs: 1000, schedule: { delay: (r) => r.uniform() * 1e9 }, minCrowd: 5 }), rng: new Rng(1), runs: 4000 });
  assert.ok(Math.abs(wide.at(0, 0) - wide.at(0, 7)) < 0.3, 'a delay far longer than the arrivals mixes the order');
});

test('the crowd rule: no certify before the gate, and a waiting client certifies soon after it', () => {
  const HOUR = 3600e3, MINUTE = 60e3;
  const pair = new PairModel(schedules.default, new Rng(2));
  const seen = (m, d) => m.density(d, 1000);
  assert.equal(gateOf([5, 1, 4, 2, 3, 9], 5), 5);
  assert.equal(gateOf([1, 2], 5), null);
  // Token at 0, gate at 30 h: the client's moment (1..24 h) came before the
  // gate, so its certify falls within half an hour after the gate.
  const gate = 30 * HOUR;
  assert.ok(pair.density(0, gate + 15 * MINUTE, gate, seen) > 1 / (40 * MINUTE));
  assert.ok(pair.density(0, gate + 2 * HOUR, gate, seen) < 1e-8);
  assert.ok(pair.density(0, 3 * HOUR, gate, seen) < 1e-8, 'before the gate');
  // Without a gate the schedule's density: uniform over 23 hours.
  const coarse = (m, d) => m.density(d, 60e3);
  assert.ok(Math.abs(pair.density(0, 3 * HOUR, null, coarse) - 1 / (23 * HOUR)) < 0.1 / (23 * HOUR));
  // The rank model keeps the first ones together: with the gate at the
  // fifth arrival, the first four certify at about the same time.
  const m = rankModel({ n: 6, process: firstPhase({ gapMs: 2 * HOUR, schedule: schedules.default, minCrowd: 5 }), rng: new Rng(4), runs: 3000 });
  assert.ok(m.at(0, 0) > Math.log(0.05) && m.at(0, 5) < m.at(0, 0));
});

test('a 1 Hz scraper dates counter growth to the second before it saw it', () => {
  const line = (v) => `# HELP x\nhearth_ops_total{endpoint="issuer",op="issue",code="ok"} ${v}\n`;
  const scrapes = [{ t: 3, text: 'hearth_up 1\n' }, { t: 5, text: line(1) }, { t: 9, text: line(3) }];
  assert.deepEqual(counterEvents(scrapes, /^hearth_ops_total\{endpoint="issuer",op="issue",code="ok"\} (\d+)$/m),
    [4500, 8500, 8500]);
});

test('store evidence: orders by sequence numbers, and by first post when they are gone', () => {
  const v = (cf, key, value, seq) => ({ cf, key: Buffer.from(key), value: Buffer.from(value), seq, type: 1 });
  const pk = (c) => Buffer.alloc(32, c);
  const be = (x) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(x); return b; };
  const feedKey = (seq) => Buffer.concat([Buffer.from([7]), Buffer.from('general'), be(~seq & ((1n << 64n) - 1n))]);
  const store = (versions) => ({ versions, files: [], members: [], listing: [], infoLogs: [] });
  const issuer = store([
    v('employees', 'alice', '', 5), v('employees', 'bob', '', 3), v('employees', 'carol', '', 0),
    v('quota', Buffer.concat([Buffer.from([5]), Buffer.from('alice'), Buffer.from('k')]), '', 9),
  ]);
  const forum = store([
    v('pseudonyms', pk(1), '', 0), v('pseudonyms', pk(2), '', 0), v('pseudonyms', pk(3), '', 0),
    v('feed', feedKey(2n), Buffer.concat([Buffer.from('x'), pk(1)]), 0),
    v('feed', feedKey(1n), Buffer.concat([Buffer.from('x'), pk(3)]), 0),
  ]);
  const ev = storeEvidence({ issuer, forum });
  assert.deepEqual(ev.employees.sort(), ['alice', 'bob', 'carol']);
  const [first, renewal] = ev.phases;
  assert.equal(first.issuerOrder.count, 2);
  assert.equal(first.issuerOrder.rank.get('bob'), 0);
  assert.equal(first.issuerOrder.rank.get('alice'), 1);
  assert.equal(first.issuerOrder.rank.get('carol'), undefined);
  assert.equal(first.forumOrder.count, 2);
  assert.equal(first.forumOrder.rank.get(pk(3).toString('base64url')), 0);
  assert.equal(first.forumOrder.rank.get(pk(1).toString('base64url')), 1);
  assert.equal(renewal.issuerOrder.count, 0);
  assert.equal(renewal.forumOrder.count, 0);
  assert.ok(ev.findings.some((f) => f.startsWith('issuer: key versions with a sequence number > 0: employees 2/3, quota 1/1')));
});

test('store evidence: a renewal is ordered by the ledger under the next key and the rewritten pseudonym record', () => {
  const v = (cf, key, value, seq) => ({ cf, key: Buffer.from(key), value: Buffer.from(value), seq, type: 1 });
  const be = (x) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(x); return b; };
  const pk = (c) => Buffer.alloc(32, c);
  const quota = (id, kid) => Buffer.concat([Buffer.from([id.length]), Buffer.from(id), Buffer.from(kid)]);
  const store = (versions) => ({ versions, files: [], members: [], listing: [], infoLogs: [] });
  const issuer = store([
    v('keys', Buffer.concat([be(1n), Buffer.from('KEY-ONE')]), '', 0),
    v('keys', Buffer.concat([be(2n), Buffer.from('KEY-TWO')]), '', 0),
    v('employees', 'ann', '', 0), v('employees', 'ben', '', 0),
    v('quota', quota('ann', 'KEY-ONE'), '', 0), v('quota', quota('ben', 'KEY-ONE'), '', 0),
    v('quota', quota('ann', 'KEY-TWO'), '', 40), v('quota', quota('ben', 'KEY-TWO'), '', 30),
  ]);
  const forum = store([
    v('handles', 'h1', pk(1), 0), v('handles', 'h2', pk(2), 0),
    v('pseudonyms', pk(1), '', 90), v('pseudonyms', pk(2), '', 80),
  ]);
  const ev = storeEvidence({ issuer, forum });
  const [first, renewal] = ev.phases;
  assert.equal(first.issuerOrder.count, 0, 'the first key\'s ledger is scrubbed');
  assert.equal(renewal.issuerOrder.rank.get('ben'), 0);
  assert.equal(renewal.issuerOrder.rank.get('ann'), 1);
  // Both pseudonym records were written once (seq 80, 90): the first write
  // naming them is also their last, so it is their creation, not a renewal.
  assert.equal(renewal.forumOrder.count, 0);
  assert.equal(first.forumOrder.rank.get(pk(2).toString('base64url')), 0);
});

test('renewal model: tokens over a day, spent days later, the orders nearly unrelated', () => {
  const proc = renewalPhase({ schedule: schedules.default, epoch });
  const { token, certify } = proc(new Rng(8), 50);
  for (let i = 1; i < 50; i++) assert.ok(token[i] >= token[i - 1]);
  for (let i = 0; i < 50; i++) {
    assert.ok(token[i] >= epoch.rotateAt && token[i] < epoch.rotateAt + 24 * 3600e3);
    assert.ok(certify[i] - token[i] >= 2 * 24 * 3600e3 && certify[i] < epoch.coverEnd - 3 * 24 * 3600e3);
  }
  const m = rankModel({ n: 10, process: proc, rng: new Rng(9), runs: 4000 });
  assert.ok(Math.abs(m.at(0, 0) - m.at(0, 9)) < 0.5);
});

test('the default schedule has the web client\'s parameters (web/src/lib/schedule.ts)', () => {
  const text = readFileSync(new URL('../../web/src/lib/schedule.ts', import.meta.url), 'utf8');
  // `export const NAME = <arithmetic of numbers and earlier names>;`
  const consts = {};
  for (const [, name, expr] of text.matchAll(/^export const ([A-Z_]+) = ([0-9_.*+\- A-Z]+);$/gm)) {
    consts[name] = Function(...Object.keys(consts), `return (${expr});`)(...Object.values(consts));
  }
  for (const [name, value] of Object.entries(client)) assert.equal(consts[name], value, name);
});

// The three adversaries. Each builds a score matrix, score[e][p] = the
// log-likelihood that employee e holds pseudonym p given what it observed
// (summed over the first pseudonym and, when simulated, the renewal), and
// answers with the maximum-likelihood matching (lib/matching.mjs). Each is
// assumed to know the client's schedule, the arrival process (mean gap
// between employees' arrivals) and the key epoch: the client is public
// code, arrivals are easy to estimate, the key directory is public.
import { DelayModel } from './density.mjs';
import { bestAssignment } from './matching.mjs';
import { poissonTail } from './stats.mjs';

const SECOND = 1000;

// ------------------------------------------------------------ store reading

function readSeq(buf, at) { return buf.readBigUInt64BE(at); }
const MASK64 = (1n << 64n) - 1n;

// Where a post's id (its per-store sequence) sits in the key of each family
// holding post records (docs/storage.md, "Column families and keys").
const postSeqOf = {
  feed: (k) => (~readSeq(k, k.length - 8)) & MASK64,
  offfeed: (k) => readSeq(k, 0),
  replies: (k) => readSeq(k, k.length - 8),
};

function distinctKeys(versions, cf, filter = () => true) {
  const seen = new Map();
  for (const v of versions) if (v.cf === cf && v.type !== 0 && filter(v.key)) seen.set(v.key.toString('hex'), v.key);
  return [...seen.values()];
}

// Ranks (0-based) of the entities that have an order key, by that key;
// entities without one get no rank.
function ranks(entities, orderKey, compare) {
  const withKey = entities.map((x) => ({ x, k: orderKey(x) })).filter((r) => r.k !== null);
  withKey.sort((a, b) => compare(a.k, b.k));
  return { rank: new Map(withKey.map((r, i) => [r.x, i])), count: withKey.length };
}

const cmpBig = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const cmpTuple = (a, b) => cmpBig(a[0], b[0]) || cmpBig(a[1], b[1]);
const INF = 1n << 70n;

// What the copied stores say about each employee and each pseudonym, per
// phase (first pseudonym, renewal under the next key): the order of the
// writes that name them (RocksDB sequence numbers; for a first pseudonym
// also the id of its first post, which every reader of the forum sees),
// and a list of findings: whatever else dates or orders them.
export function storeEvidence(stores) {
  const iss = stores.issuer, frm = stores.forum;
  const employees = distinctKeys(iss.versions, 'employees').map((k) => k.toString('utf8'));
  const pks = distinctKeys(frm.versions, 'pseudonyms', (k) => k.length === 32);
  const pseudonyms = pks.map((pk) => pk.toString('base64url'));

  // Signing keys in epoch order (keys family: BE8(epoch) + key id); the
  // quota ledger's keys end with the key id.
  const keyIds = distinctKeys(iss.versions, 'keys', (k) => k.length > 8)
    .sort((a, b) => cmpBig(readSeq(a, 0), readSeq(b, 0))).map((k) => k.subarray(8));
  const keyIndexOf = (v) => (v.cf === 'quota' ? keyIds.findIndex((kid) => v.key.subarray(v.key.length - kid.length).equals(kid)) : -1);

  // Issuer: per employee, the latest write naming it under each key (for
  // the first key also the roster record, written at enrollment).
  const issuerSeq = [new Map(), new Map()];
  const idBytes = employees.map((id) => [id, Buffer.from(id)]);
  for (const v of iss.versions) {
    if (v.seq === 0) continue;
    const phase = keyIndexOf(v) >= 1 ? 1 : 0;
    for (const [id, b] of idBytes) {
      if (!(v.key.includes(b) || v.value.includes(b))) continue;
      const cur = issuerSeq[phase].get(id);
      if (cur === undefined || BigInt(v.seq) > cur) issuerSeq[phase].set(id, BigInt(v.seq));
    }
  }

  // Forum: per pseudonym, its first post and the first write naming it
  // (creation), and the last write of its record if later (a renewal).
  const firstSeq = new Map(), lastRecord = new Map(), firstPost = new Map();
  const lower = (m, k, x) => { if (!m.has(k) || x < m.get(k)) m.set(k, x); };
  for (const v of frm.versions) {
    const post = postSeqOf[v.cf] && v.key.length >= 8 ? postSeqOf[v.cf](v.key) : null;
    if (v.seq === 0 && post === null) continue;
    for (let i = 0; i < pks.length; i++) {
      if (!(v.key.includes(pks[i]) || v.value.includes(pks[i]))) continue;
      const p = pseudonyms[i];
      if (v.seq > 0) {
        lower(firstSeq, p, BigInt(v.seq));
        if (v.cf === 'pseudonyms' && (!lastRecord.has(p) || BigInt(v.seq) > lastRecord.get(p))) lastRecord.set(p, BigInt(v.seq));
      }
      if (post !== null) lower(firstPost, p, post);
    }
  }

  const phases = [
    {
      issuerOrder: ranks(employees, (id) => issuerSeq[0].get(id) ?? null, cmpBig),
      forumOrder: ranks(pseudonyms, (p) => (firstPost.has(p) || firstSeq.has(p)
        ? [firstPost.get(p) ?? INF, firstSeq.get(p) ?? INF] : null), cmpTuple),
    },
    {
      issuerOrder: ranks(employees, (id) => issuerSeq[1].get(id) ?? null, cmpBig),
      forumOrder: ranks(pseudonyms, (p) => (lastRecord.has(p) && lastRecord.get(p) > firstSeq.get(p) ? lastRecord.get(p) : null), cmpBig),
    },
  ];
  return { employees, pseudonyms, phases, findings: findings(stores) };
}

// Everything in the files that carries time or order, counted.
export function findings(stores) {
  const out = [];
  for (const [name, s] of Object.entries(stores)) {
    const byCf = new Map();
    for (const v of s.versions) {
      const c = byCf.get(v.cf) ?? { total: 0, ordered: 0 };
      c.total++;
      if (v.seq > 0) c.ordered++;
      byCf.set(v.cf, c);
    }
    const ordered = [...byCf].filter(([, c]) => c.ordered > 0).map(([cf, c]) => `${cf} ${c.ordered}/${c.total}`);
    if (ordered.length) out.push(`${name}: key versions with a sequence number > 0: ${ordered.join(', ')}`);
    const timed = s.files.filter((f) => f.creation_time || f.file_creation_time || f.oldest_key_time || f.oldest_ancester_time);
    if (timed.length) out.push(`${name}: ${timed.length} of ${s.files.length} SST files carry wall-clock times in their properties`);
    // File age: a family whose SST files were written at different times
    // (mtimes, whole seconds of the run's real, compressed clock) splits its
    // records into older and newer ones.
    const mtimeOf = new Map(s.listing.map((f) => [f.name, Math.floor(f.mtimeMs / 1000)]));
    const ages = new Map();
    for (const f of s.files) {
      const set = ages.get(f.cf) ?? new Set();
      if (mtimeOf.has(f.name)) set.add(mtimeOf.get(f.name));
      ages.set(f.cf, set);
    }
    const aged = [...ages].filter(([, set]) => set.size > 1).map(([cf, set]) => `${cf} ${set.size}`);
    if (aged.length) out.push(`${name}: families whose SST files have different mtimes (distinct seconds): ${aged.join(', ')}`);
    const seqFiles = s.files.filter((f) => f.largest_seq > 0);
    if (seqFiles.length) out.push(`${name}: ${seqFiles.length} of ${s.files.length} SST files have sequence numbers > 0`);
    for (const log of s.infoLogs) {
      const cumulative = (log.text.match(/Cumulative writes/g) ?? []).length;
      const flushes = (log.text.match(/"time_micros"/g) ?? []).length;
      out.push(`${name}: info log ${log.name.replace(/\d{10,}/, '<time>')} (${flushes} events with time_micros, ${cumulative} write-count dumps)`);
    }
    const stamped = s.listing.filter((f) => /\.\d{10,}$/.test(f.name) || /^archive\//.test(f.name));
    if (stamped.length) out.push(`${name}: timestamped or archived files: ${stamped.map((f) => f.name.replace(/\d{10,}/, '<time>')).join(', ')}`);
  }
  return out;
}

// -------------------------------------------------------------- the models

// The whole process of one phase, as the adversary simulates it: token
// times in order, and each token's certify time.
export function firstPhase({ gapMs, schedule, minCrowd }) {
  return (rng, n) => {
    const token = new Float64Array(n), certify = new Float64Array(n);
    let t = 0;
    for (let i = 0; i < n; i++) { t += rng.exponential(gapMs); token[i] = t; certify[i] = t + schedule.delay(rng); }
    if (schedule.waitsForCrowd && n >= minCrowd) {
      const gate = token[minCrowd - 1];
      for (let i = 0; i < n; i++) while (certify[i] < gate) certify[i] += schedule.recheck(rng);
    }
    return { token, certify };
  };
}

export function renewalPhase({ schedule, epoch }) {
  return (rng, n) => {
    const token = new Float64Array(n).map(() => epoch.rotateAt + schedule.renew.fetch(rng)).sort();
    const certify = token.map((t) => t + schedule.renew.delay(rng, t, epoch.coverEnd));
    return { token, certify };
  };
}

// P(certify rank j | token rank i) for a phase of n tokens: estimated by
// simulating the whole phase many times. This is the likelihood an
// adversary who knows only the two orders uses.
export function rankModel({ n, process, rng, runs = Math.max(2000, Math.ceil(400000 / n)) }) {
  const counts = new Float64Array(n * n);
  const order = [...Array(n).keys()];
  for (let r = 0; r < runs; r++) {
    const { certify } = process(rng, n);
    order.sort((a, b) => certify[a] - certify[b]);
    for (let j = 0; j < n; j++) counts[order[j] * n + j]++;
  }
  const alpha = 0.1;
  const logp = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) logp[i] = Math.log((counts[i] + alpha) / (runs + alpha * n));
  return { n, at: (i, j) => logp[i * n + j] };
}

// The likelihood of a pair seen as (token at s, certify at c), under the
// schedule and its crowd rule: a client whose moment comes before the gate
// (when the min_crowd-th token was issued) looks again every recheck
// interval and certifies at its first look after the gate.
export class PairModel {
  constructor(schedule, rng) {
    this.delay = new DelayModel(schedule.delay, rng);
    if (schedule.waitsForCrowd) {
      // How long after the gate a waiting client certifies.
      const span = this.delay.quantile(0.999);
      this.residual = new DelayModel((r) => {
        let t = -r.uniform() * span;
        while (t < 0) t += schedule.recheck(r);
        return t;
      }, rng);
    }
  }

  // `gate`: when the min_crowd-th token was issued (null: no crowd rule or
  // fewer tokens); `seen(model, d)`: how this observer sees a delay d.
  density(s, c, gate, seen) {
    const direct = seen(this.delay, c - s);
    if (!this.residual || gate === null) return direct;
    if (c < gate) return seen(this.delay, -Infinity);
    return direct + this.delay.cdf(gate - s) * seen(this.residual, c - gate);
  }
}

// When the min_crowd-th of these token times was (null if there are fewer).
export function gateOf(times, minCrowd) {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted.length >= minCrowd ? sorted[minCrowd - 1] : null;
}

// A rank among `count` ordered entities, placed on the scale of n (when only
// some entities are ordered, e.g. the most recent ones).
function onScale(rank, count, n) {
  return count <= 1 ? 0 : Math.round((rank * (n - 1)) / (count - 1));
}

function guessFrom(rows, cols, score, rng) {
  const a = bestAssignment(score, rng);
  return new Map(rows.map((r, i) => [r, a[i] >= 0 ? cols[a[i]] : null]));
}

// Scores of one phase from its two orders alone (null when either side has
// none).
function orderScores({ employees, pseudonyms }, { issuerOrder, forumOrder }, process, rng) {
  if (issuerOrder.count === 0 || forumOrder.count === 0) return null;
  const n = Math.max(employees.length, pseudonyms.length);
  const model = rankModel({ n, process, rng });
  return (e, p) => {
    const i = issuerOrder.rank.get(e), j = forumOrder.rank.get(p);
    if (i === undefined || j === undefined) return 0;
    return model.at(onScale(i, issuerOrder.count, n), onScale(j, forumOrder.count, n));
  };
}

const processes = (knowledge) => [firstPhase(knowledge), renewalPhase(knowledge)];

// ------------------------------------------------------ adversary 1: files

export function databaseReader({ evidence, knowledge, rng }) {
  const { employees, pseudonyms } = evidence;
  const procs = processes(knowledge);
  const parts = evidence.phases.map((ph, k) => orderScores(evidence, ph, procs[k], rng.fork())).filter(Boolean);
  const score = employees.map((e) => pseudonyms.map((p) => parts.reduce((a, f) => a + f(e, p), 0)));
  const used = parts.length ? 'order of issue vs order of certify' : 'nothing that orders both sides';
  return { guess: guessFrom(employees, pseudonyms, score, rng), used };
}

// -------------------------------------- adversary 2: files, logs, /metrics

// Times at which a counter of /metrics grew, from a 1 Hz scraper's
// readings: a growth first seen at second T happened during [T-1, T).
export function counterEvents(scrapes, pattern) {
  const times = [];
  let last = 0;
  for (const s of scrapes) {
    const m = pattern.exec(s.text);
    const v = m ? Number(m[1]) : 0;
    for (let k = last; k < v; k++) times.push(s.t * SECOND - SECOND / 2);
    last = Math.max(last, v);
  }
  return times;
}

const ISSUE_OK = /^hearth_ops_total\{endpoint="issuer",op="issue",code="ok"\} (\d+)$/m;
const CERTIFY_OK = /^hearth_ops_total\{endpoint="forum",op="certify",code="ok"\} (\d+)$/m;

// Log lines that name an employee or a pseudonym (id, key or handle).
function logMentions(logs, names) {
  const seen = new Map();
  for (const chunk of logs) {
    for (const [entity, words] of names) {
      if (seen.has(entity)) continue;
      if (words.some((w) => chunk.text.includes(w))) seen.set(entity, chunk.t);
    }
  }
  return seen;
}

export function logReader({ evidence, scrapes, logs, handles, knowledge, rng }) {
  const { employees, pseudonyms } = evidence;
  const n = Math.max(employees.length, pseudonyms.length);
  const issues = counterEvents(scrapes, ISSUE_OK);
  const certifies = counterEvents(scrapes, CERTIFY_OK);
  const named = logMentions(logs, [
    ...employees.map((e) => [e, [e]]),
    ...pseudonyms.map((p) => [p, [p, Buffer.from(p, 'base64url').toString('hex'), handles.get(p) ?? p]]),
  ]);
  const procs = processes(knowledge);
  const pair = new PairModel(knowledge.schedule, rng.fork());
  const seen = (m, d) => m.density(d, SECOND);   // the scraper's resolution

  let timed = false, ordered = false;
  const parts = evidence.phases.map((ph, k) => {
    // The phases follow one another (the rotation is public), so the first
    // n issues and certifies the scraper saw are the first phase's. Within
    // a phase, the k-th token in store order was the k-th issue seen (the
    // ordered ones are the latest when only some are ordered).
    const phaseIssues = k === 0 ? issues.slice(0, n) : issues.slice(n);
    const phaseCertifies = k === 0 ? certifies.slice(0, n) : certifies.slice(n);
    const tokenAt = new Map(), certifyAt = new Map();
    for (const [e, i] of ph.issuerOrder.rank) {
      const j = phaseIssues.length - ph.issuerOrder.count + i;
      if (j >= 0 && j < phaseIssues.length) tokenAt.set(e, phaseIssues[j]);
    }
    for (const [p, i] of ph.forumOrder.rank) {
      const j = phaseCertifies.length - ph.forumOrder.count + i;
      if (j >= 0 && j < phaseCertifies.length) certifyAt.set(p, phaseCertifies[j]);
    }
    if (k === 0) {
      for (const e of employees) if (named.has(e)) tokenAt.set(e, named.get(e));
      for (const p of pseudonyms) if (named.has(p)) certifyAt.set(p, named.get(p));
    }
    const byOrder = orderScores(evidence, ph, procs[k], rng.fork());
    if (byOrder) ordered = true;
    const gate = gateOf(phaseIssues, knowledge.minCrowd);
    return (e, p) => {
      if (tokenAt.has(e) && certifyAt.has(p)) {
        timed = true;
        const s = tokenAt.get(e), c = certifyAt.get(p);
        return Math.log(k === 0 ? pair.density(s, c, gate, seen)
          : seen(knowledge.schedule.renew.model(s, knowledge.epoch.coverEnd), c - s));
      }
      return byOrder ? byOrder(e, p) : 0;
    };
  });
  const score = employees.map((e) => pseudonyms.map((p) => parts.reduce((a, f) => a + f(e, p), 0)));
  const used = timed ? 'issue and certify times (store order matched to /metrics, or logs)'
    : ordered ? 'order of issue vs order of certify' : 'nothing that orders both sides';
  return { guess: guessFrom(employees, pseudonyms, score, rng), used, logMentions: named.size };
}

// ------------------------------------------------- adversary 3: the proxy

// The offset of a comb: if true delays are whole seconds plus a nearly
// constant overhead, the fractional parts of the true pairs' differences
// pile up at that overhead, while wrong pairs fall anywhere. Looks at every
// candidate pair, knowing none. Returns null when there is no significant
// pile-up: the fullest pair of adjacent bins must be one that uniform
// fractions would fill so high less than once in 10,000 tries, counting
// every place the peak could have been.
export function fitComb(diffs) {
  const bins = 100;
  const hist = new Array(bins).fill(0);
  const fracs = diffs.map((d) => ((d / SECOND) % 1 + 1) % 1);
  for (const f of fracs) hist[Math.min(bins - 1, Math.floor(f * bins))]++;
  const mean = fracs.length / bins;
  let peak = 0;
  for (let b = 1; b < bins; b++) if (hist[b] + hist[(b + 1) % bins] > hist[peak] + hist[(peak + 1) % bins]) peak = b;
  const height = hist[peak] + hist[(peak + 1) % bins];
  const z = (height - 2 * mean) / Math.sqrt(Math.max(2 * mean, 1));
  if (fracs.length < 4 || bins * poissonTail(height, 2 * mean) > 1e-4) return null;
  // Circular mean and spread of the fractions near the peak.
  const centre = (peak + 1) / bins;
  const near = fracs.filter((f) => Math.abs(((f - centre + 1.5) % 1) - 0.5) < 0.03);
  let sx = 0, sy = 0;
  for (const f of near) { sx += Math.cos(2 * Math.PI * f); sy += Math.sin(2 * Math.PI * f); }
  const offset = ((Math.atan2(sy, sx) / (2 * Math.PI)) + 1) % 1;
  const r = Math.hypot(sx, sy) / near.length;
  const spread = Math.sqrt(Math.max(0, -2 * Math.log(r))) / (2 * Math.PI);
  return { offsetMs: offset * SECOND, spreadMs: spread * SECOND, z };
}

// Fits the comb on every candidate pair of one phase (null if none).
function combOf(sessions, certifies, lo, hi) {
  const diffs = [];
  for (const s of sessions.values()) for (const c of certifies.values()) {
    const d = c - s;
    if (d >= lo && d <= hi) diffs.push(d);
  }
  return fitComb(diffs);
}

// `phases[k].sessions`: employee id -> when its issuer session ended (the
// proxy sees the whole session: sign-in, issue, close; the client's delay
// starts at the close). `phases[k].certifies`: pseudonym -> when its
// certify arrived. Phase 0 is the first pseudonym, phase 1 the renewal.
export function proxyOperator({ phases, knowledge, rng, comb }) {
  const employees = [...phases[0].sessions.keys()].sort();
  const pseudonyms = [...phases[0].certifies.keys()].sort();
  const pair = new PairModel(knowledge.schedule, rng.fork());
  const fits = [];
  const parts = phases.map(({ sessions, certifies }, k) => {
    if (!sessions.size) return null;
    // How this phase's delay is distributed for a session ending at s.
    const model = (s) => (k === 0 ? pair.delay : knowledge.schedule.renew.model(s, knowledge.epoch.coverEnd));
    let fit = null;
    if (comb) {
      const any = model(Math.min(...sessions.values()));
      fit = combOf(sessions, certifies, any.quantile(0) - SECOND, any.quantile(1) + 2 * SECOND);
    }
    fits.push(fit);
    // Window: the delay plus an unknown overhead of up to two seconds
    // (opening the forum connection). Comb: the delay shifted by the fitted
    // overhead, seen at the comb's own width.
    const h = fit ? Math.min(50, Math.max(2, 3 * fit.spreadMs)) : 0;
    const seen = fit ? (m, d) => m.density(d - fit.offsetMs, h) : (m, d) => m.windowDensity(d, 2 * SECOND);
    const gate = k === 0 ? gateOf([...sessions.values()], knowledge.minCrowd) : null;
    return (e, p) => {
      const s = sessions.get(e), c = certifies.get(p);
      if (s === undefined || c === undefined) return 0;
      return Math.log(k === 0 ? pair.density(s, c, gate, seen) : seen(model(s), c - s));
    };
  }).filter(Boolean);
  const score = employees.map((e) => pseudonyms.map((p) => parts.reduce((a, f) => a + f(e, p), 0)));
  return { guess: guessFrom(employees, pseudonyms, score, rng), fit: fits[0] ?? null };
}

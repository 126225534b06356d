// Drives the real server with simulated employees behaving like the web
// client, in simulated time.
//
// First pseudonyms: each employee arrives at a random moment (a Poisson
// process: exponential gaps of the given mean), fetches the key directory
// without credentials, enrolls and signs in on /v1/issuer, blinds a fresh
// pseudonym key, takes its token with `issue` and closes that connection.
// After the client's delay it opens a fresh /v1/forum connection, spends
// the token with `certify`, logs in and writes a first post.
//
// Renewals (optional): the key rotates at the end of its issuing window;
// each employee signs in again at the client's fetch moment, takes a token
// for the same pseudonym under the new key, and renews with `certify` at
// the client's renewal moment, days later.
//
// Time is compressed: the operations are executed against the server one
// after another in simulated-time order, as fast as the server answers.
// Within one operation chain, simulated time advances by the real time it
// took, so the small, nearly constant overheads a proxy would see (blinding,
// round trips) are real measurements.
import { performance } from 'node:perf_hooks';
import {
  Pseudonym, blindToken, finalizeToken, fetchKeys, login, signedPost, b64u,
} from '../../integration/lib/harness.mjs';

const PASSWORD = 'correct horse battery';
const DAY = 24 * 3600 * 1000;

// The key epoch in simulated time (the server's defaults: a key issues for
// 30 days and is accepted for 60). The first key became active a day before
// the first arrival, so it is old enough for the client to certify under.
export const epoch = {
  keyActiveAt: -DAY,
  rotateAt: -DAY + 30 * DAY,
  coverEnd: -DAY + 60 * DAY,
};

// Everything the run did, in simulated milliseconds since its start, and
// what each observer recorded.
export class Observations {
  constructor() {
    // {id, handle, pk, arrival, signIn, issued, sessionEnd, certify, posted,
    //  renewSessionEnd, renewCertify}
    this.employees = [];
    this.scrapes = [];     // {t: simulated second, text}: /metrics as a 1 Hz scraper sees it
    this.logs = [];        // {t, stream, text}: server output and when it was written
  }
}

export async function simulate({ server, n, gapMs, schedule, rng, ids = 'arrival', minCrowd = 5, renewals = false }) {
  const obs = new Observations();
  const plan = rng.fork();
  const behaviour = rng.fork();

  // Arrivals; employee ids either sort in arrival order (as sequential staff
  // numbers would) or are random.
  let t = 0;
  for (let i = 0; i < n; i++) {
    t += plan.exponential(gapMs);
    const id = ids === 'random' ? `emp-${plan.hex(6)}@corp.example` : `emp-${String(i).padStart(4, '0')}@corp.example`;
    obs.employees.push({ id, handle: `h_${plan.hex(6)}`, arrival: t });
  }

  const clock = { now: 0 };
  const onOutput = (stream) => (d) => obs.logs.push({ t: clock.now, stream, text: d.toString() });
  const watch = () => {
    server.proc.stdout.on('data', onOutput('stdout'));
    server.proc.stderr.on('data', onOutput('stderr'));
  };
  watch();

  // The roster is imported by an admin before anyone arrives (one batch).
  const admin = await server.admin();
  const { codes } = await admin.ok('roster.import', { employees: obs.employees.map((e) => e.id) });

  // A 1 Hz scraper: the scrape at second T shows every event before T.
  // Scrapes between two events would all read the same, so only the first
  // second after each event is taken.
  let pendingScrape = null;
  const scrapeUpTo = async (now) => {
    if (pendingScrape === null || Math.floor(now / 1000) < pendingScrape) return;
    const text = await (await fetch(`${server.url}/metrics`)).text();
    obs.scrapes.push({ t: pendingScrape, text });
    pendingScrape = null;
  };

  // Takes a token for e's pseudonym on its own issuer connection.
  const takeToken = async (e, at, signIn) => {
    const dir = await fetchKeys(server);
    const key = dir.keys.find((x) => x.state === 'active');
    const issuer = await server.connect('issuer');
    const started = at();
    await signIn(issuer);
    const blinded = await blindToken(key, e.pseudonym);
    const { blind_sig } = await issuer.ok('issue', { key_id: key.key_id, blinded_msg: b64u(blinded.blindedMsg) });
    const token = await finalizeToken(blinded, blind_sig);
    const issued = at();
    issuer.close();
    await issuer.closed;
    return { token, started, issued, ended: at() };
  };

  const queue = obs.employees.map((e) => ({ t: e.arrival, kind: 'signin', e }));
  if (renewals) queue.push({ t: epoch.rotateAt, kind: 'rotate' });
  const issuedUnder = [0, 0];   // tokens issued under the first and the second key
  while (queue.length) {
    let k = 0;
    for (let i = 1; i < queue.length; i++) if (queue[i].t < queue[k].t) k = i;
    const ev = queue.splice(k, 1)[0];
    await scrapeUpTo(ev.t);
    clock.now = ev.t;
    const start = performance.now();
    const at = () => ev.t + (performance.now() - start);
    const e = ev.e;

    if (ev.kind === 'signin') {
      if (renewals && ev.t > epoch.rotateAt) throw new Error('the first pseudonyms take longer than a key epoch: lower N or the gap');
      e.pseudonym = new Pseudonym();
      e.pk = e.pseudonym.pkB64;
      const r = await takeToken(e, at, async (issuer) => {
        await issuer.ok('enroll', { employee_id: e.id, code: codes[e.id], password: PASSWORD });
        await issuer.ok('login', { employee_id: e.id, password: PASSWORD });
      });
      Object.assign(e, { token: r.token, signIn: r.started, issued: r.issued, sessionEnd: r.ended });
      issuedUnder[0]++;
      queue.push({ t: e.sessionEnd + schedule.delay(behaviour), kind: 'certify', e });
    } else if (ev.kind === 'certify' || ev.kind === 'renew') {
      const renewing = ev.kind === 'renew';
      // The client certifies only once the key's crowd is large enough.
      if (schedule.waitsForCrowd && issuedUnder[renewing ? 1 : 0] < minCrowd) {
        queue.push({ t: ev.t + schedule.recheck(behaviour), kind: ev.kind, e });
        continue;
      }
      const forum = await server.connect('forum');
      const token = renewing ? e.renewToken : e.token;
      const sent = at();
      await forum.ok('certify', { ...token, pseudonym_pk: e.pk, handle: e.handle });
      if (renewing) {
        e.renewCertify = sent;
      } else {
        e.certify = sent;
        await login(forum, server, e.pseudonym);
        e.posted = at();
        await forum.ok('post', signedPost(server, e.pseudonym, 'general', `hello from ${e.handle}`));
      }
      forum.close();
      await forum.closed;
    } else if (ev.kind === 'rotate') {
      await admin.ok('keys.rotate', { reason: 'end of the issuing window' });
      for (const x of obs.employees) queue.push({ t: ev.t + schedule.renew.fetch(behaviour), kind: 'fetch', e: x });
    } else if (ev.kind === 'fetch') {
      const r = await takeToken(e, at, (issuer) => issuer.ok('login', { employee_id: e.id, password: PASSWORD }));
      Object.assign(e, { renewToken: r.token, renewSessionEnd: r.ended });
      issuedUnder[1]++;
      queue.push({ t: r.ended + schedule.renew.delay(behaviour, r.ended, epoch.coverEnd), kind: 'renew', e });
    }
    pendingScrape = Math.floor(at() / 1000) + 1;
  }
  await scrapeUpTo(Infinity);
  admin.close();
  clock.now = Math.max(...obs.employees.map((e) => Math.max(e.posted, e.renewCertify ?? 0)));
  obs.rewatch = watch;
  return obs;
}

// The true matching: employee id -> pseudonym key.
export function truth(obs) {
  return new Map(obs.employees.map((e) => [e.id, e.pk]));
}

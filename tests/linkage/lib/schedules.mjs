// When the client takes tokens on /v1/issuer and spends them with `certify`
// on /v1/forum.
//
// First pseudonym: `delay(rng)` is the time in milliseconds from the token
// to the certify. Renewal under the next key: `renew.fetch(rng)` is when,
// after the key became active, the client takes its next token, and
// `renew.delay(rng, fetchedAt, coverEnd)` how long after that it spends it
// (coverEnd: when the pseudonym's current certification ends);
// `renew.model(fetchedAt, coverEnd)` is that delay's distribution as an
// adversary computes it. The adversaries are assumed to know the schedule
// exactly (the client's source is public).
//
// `default` mirrors web/src/lib/schedule.ts, the web client's schedule.
// `old` is the client before it: 5 s plus a uniform whole number of seconds
// 0..55 (the delay the comb adversary exploits). `zero` spends the token at
// once: the control run, where a link must be found.

import { DelayModel, Uniform } from './density.mjs';
import { Rng } from './rng.mjs';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// The web client's parameters (web/src/lib/schedule.ts, same names; a unit
// test reads that file and checks them).
export const client = {
  FIRST_DELAY_MIN_MS: HOUR,
  FIRST_DELAY_MAX_MS: 24 * HOUR,
  FETCH_SPREAD_MAX_MS: DAY,
  FETCH_SPREAD_FRACTION: 0.25,
  RENEW_MIN_GAP_MS: 2 * DAY,
  RENEW_COVER_MARGIN_MS: 3 * DAY,
  RECHECK_MIN_MS: 10 * MINUTE,
  RECHECK_MAX_MS: 30 * MINUTE,
  DEFAULT_MIN_CROWD: 5,
};
const ISSUE_WINDOW = 30 * DAY;   // the server's default keys.issue_days

// schedule.ts fetchMoment: U[0, min(1 day, a quarter of the issuing
// window)) after the key became active; with the default 30-day window, a
// day. (The page is taken to be open then: the adversary-friendly case.)
const fetchAfterRotation = (rng) =>
  rng.uniform() * Math.min(client.FETCH_SPREAD_MAX_MS, client.FETCH_SPREAD_FRACTION * ISSUE_WINDOW);

// schedule.ts renewalMoment: U[fetched + 2 days, coverEnd - 3 days), or the
// later half of what is left when the cover is too short for that.
function renewalRange(fetchedAt, coverEnd) {
  const lo = client.RENEW_MIN_GAP_MS, hi = coverEnd - client.RENEW_COVER_MARGIN_MS - fetchedAt;
  if (hi > lo) return [lo, hi];
  const left = coverEnd - fetchedAt;
  return [0.5 * left, 0.9 * left];
}

// A delay drawn the same way whatever the moment (the old client and the
// control): its model is drawn once.
function fixedRenewal(delay) {
  let model = null;
  return {
    fetch: fetchAfterRotation,
    delay: (rng) => delay(rng),
    model: () => (model ??= new DelayModel(delay, new Rng(0x5eed))),
  };
}

export const schedules = {
  default: {
    name: 'default',
    describe: 'first pseudonym U[1 h, 24 h) after the token (continuous); while fewer than min_crowd tokens exist, look again after U[10, 30) min',
    // schedule.ts firstDelayMs: uniform over [FIRST_DELAY_MIN_MS, FIRST_DELAY_MAX_MS).
    delay: (rng) => client.FIRST_DELAY_MIN_MS + rng.uniform() * (client.FIRST_DELAY_MAX_MS - client.FIRST_DELAY_MIN_MS),
    // schedule.ts certifyVerdict/recheckMoment: not while fewer than
    // min_crowd tokens were issued under the key; look again after
    // U[RECHECK_MIN_MS, RECHECK_MAX_MS).
    waitsForCrowd: true,
    recheck: (rng) => client.RECHECK_MIN_MS + rng.uniform() * (client.RECHECK_MAX_MS - client.RECHECK_MIN_MS),
    renew: {
      fetch: fetchAfterRotation,
      delay: (rng, fetchedAt, coverEnd) => {
        const [lo, hi] = renewalRange(fetchedAt, coverEnd);
        return lo + rng.uniform() * (hi - lo);
      },
      model: (fetchedAt, coverEnd) => new Uniform(...renewalRange(fetchedAt, coverEnd)),
    },
  },
  old: {
    name: 'old',
    describe: 'the old client: 5 s + a uniform whole number of seconds 0..55',
    delay: (rng) => (5 + rng.int(0, 55)) * SECOND,
    waitsForCrowd: false,
    // The old client renewed when the employee asked, with the same delay;
    // the asking is put at the new client's fetch moments, to compare.
    renew: fixedRenewal((rng) => (5 + rng.int(0, 55)) * SECOND),
  },
  zero: {
    name: 'zero',
    describe: 'no delay (control: the token is spent at once)',
    delay: () => 0,
    waitsForCrowd: false,
    renew: fixedRenewal(() => 0),
  },
};

export function scheduleByName(name) {
  const s = schedules[name];
  if (!s) throw new Error(`unknown schedule '${name}' (known: ${Object.keys(schedules).join(', ')})`);
  return s;
}

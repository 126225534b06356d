// The client's delay between obtaining a token on /v1/issuer and spending
// it with `certify` on /v1/forum, for an employee's first pseudonym.
//
// Each schedule draws one delay in milliseconds (`delay(rng)`). The
// adversaries are assumed to know the schedule exactly (the client's source
// is public); they learn it by drawing from it (lib/density.mjs).
//
// `default` mirrors web/src/lib/schedule.ts, the web client's schedule.
// `old` is the client before it: 5 s plus a uniform whole number of seconds
// 0..55 (the delay the comb adversary exploits). `zero` spends the token at
// once: the control run, where a link must be found.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export const schedules = {
  default: {
    name: 'default',
    describe: 'first pseudonym U[1 h, 5 h) after the token (continuous); while fewer than min_crowd tokens exist, look again after U[10, 30) min',
    // schedule.ts firstDelayMs: uniform over [FIRST_DELAY_MIN_MS, FIRST_DELAY_MAX_MS).
    delay: (rng) => HOUR + rng.uniform() * 4 * HOUR,
    // schedule.ts certifyVerdict/recheckMoment: not while fewer than
    // min_crowd tokens were issued under the key; look again after
    // U[RECHECK_MIN_MS, RECHECK_MAX_MS).
    waitsForCrowd: true,
    recheck: (rng) => 10 * MINUTE + rng.uniform() * 20 * MINUTE,
  },
  old: {
    name: 'old',
    describe: 'the old client: 5 s + a uniform whole number of seconds 0..55',
    delay: (rng) => (5 + rng.int(0, 55)) * SECOND,
    waitsForCrowd: false,
  },
  zero: {
    name: 'zero',
    describe: 'no delay (control: the token is spent at once)',
    delay: () => 0,
    waitsForCrowd: false,
  },
};

export function scheduleByName(name) {
  const s = schedules[name];
  if (!s) throw new Error(`unknown schedule '${name}' (known: ${Object.keys(schedules).join(', ')})`);
  return s;
}

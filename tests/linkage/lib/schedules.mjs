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
const HOUR = 3600 * SECOND;

export const schedules = {
  default: {
    name: 'default',
    describe: 'first pseudonym after a uniform random time of 1 to 6 hours (continuous, ms resolution)',
    delay: (rng) => HOUR + rng.uniform() * 5 * HOUR,
    // While fewer than min_crowd tokens were issued under the key, the client
    // does not certify: it waits another random delay and looks again.
    waitsForCrowd: true,
    recheck: (rng) => HOUR + rng.uniform() * 5 * HOUR,
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

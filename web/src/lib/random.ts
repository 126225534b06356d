// Random moments for the client's schedule, drawn from crypto.getRandomValues
// as continuous values. A delay in whole seconds is a comb: whoever holds
// sub-second timestamps of both ends (a proxy, a packet capture) keeps only
// the pairs that fall on it. So every delay here is a real number of
// milliseconds with 53 random bits, far finer than any timer.

const TWO_POW_53 = 2 ** 53;

/** Uniform on [0, 1) with 53 random bits (the full precision of a double). */
export function randomUnit(): number {
  const w = new Uint32Array(2);
  crypto.getRandomValues(w);
  // 32 high bits and 21 more: an integer below 2^53, then scaled.
  return (w[0] * 2 ** 21 + (w[1] >>> 11)) / TWO_POW_53;
}

/** Uniform on [lo, hi) (continuous). */
export function uniform(lo: number, hi: number): number {
  if (!(hi >= lo)) throw new RangeError(`uniform: empty range [${lo}, ${hi})`);
  return lo + (hi - lo) * randomUnit();
}

/**
 * A delay the employee typed, in milliseconds, with random sub-second jitter
 * added: a typed "30" becomes anything in [30 s, 31 s), so a typed delay is
 * no comb either.
 */
export function withJitterMs(typedSeconds: number): number {
  return typedSeconds * 1000 + uniform(0, 1000);
}

import { describe, expect, it } from 'vitest';
import { randomUnit, uniform, withJitterMs } from '../src/lib/random';
import { drawnDelay, resolveDelayMs } from '../src/employee/text';
import { fetchMoment, firstDelayMs, lateFetchMoment, recheckMoment, renewalMoment } from '../src/lib/schedule';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const KEY = { issue_from: T0 / 1000, issue_until: T0 / 1000 + 30 * 86400, accept_until: T0 / 1000 + 60 * 86400 };

const DRAWS = 20000;
const BINS = 10;
// Chi-square with 9 degrees of freedom: P(X > 40) ≈ 7.6e-6, so a uniform
// source fails one of these checks about once in 100,000 runs.
const CHI2_LIMIT = 40;

/** Pearson's chi-square of the values' fractional parts against 10 equal bins. */
function chi2OfFractions(values: number[]): number {
  const counts = new Array<number>(BINS).fill(0);
  for (const v of values) counts[Math.min(BINS - 1, Math.floor((v - Math.floor(v)) * BINS))]++;
  const expected = values.length / BINS;
  return counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
}

function draws(f: () => number, n = DRAWS): number[] {
  return Array.from({ length: n }, f);
}

/** Every delay the client draws, in milliseconds. */
const DELAY_SAMPLERS: Record<string, () => number> = {
  'typed delay of 0 s with jitter': () => withJitterMs(0),
  'typed delay of 30 s with jitter': () => withJitterMs(30),
  'first pseudonym delay': firstDelayMs,
  'next-token fetch moment': () => fetchMoment(KEY) - T0,
  'late next-token fetch': () => lateFetchMoment(T0) - T0,
  'renewal moment': () => renewalMoment(T0, T0 + 30 * 86400_000)! - T0,
  'renewal moment under a short cover': () => renewalMoment(T0, T0 + 2 * 86400_000)! - T0,
  'recheck while waiting for a crowd': () => recheckMoment(T0) - T0,
};

describe('random delays are continuous', () => {
  it('the chi-square check catches whole-second delays (the comb)', () => {
    const combed = draws(() => 1000 * Math.floor(uniform(5, 61)));
    expect(chi2OfFractions(combed.map((ms) => ms / 1000))).toBeGreaterThan(1000);
    // ...and whole milliseconds at the finer scale.
    expect(chi2OfFractions(draws(() => Math.floor(uniform(0, 60000))))).toBeGreaterThan(1000);
  });

  it('randomUnit is uniform on [0, 1) with more than millisecond resolution', () => {
    const u = draws(randomUnit);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(chi2OfFractions(u)).toBeLessThan(CHI2_LIMIT);
    expect(chi2OfFractions(u.map((x) => x * 1e6))).toBeLessThan(CHI2_LIMIT);
  });

  for (const [name, sample] of Object.entries(DELAY_SAMPLERS)) {
    it(`${name}: fractional seconds and fractional milliseconds are uniform`, () => {
      const ms = draws(sample);
      expect(chi2OfFractions(ms.map((x) => x / 1000))).toBeLessThan(CHI2_LIMIT);
      expect(chi2OfFractions(ms)).toBeLessThan(CHI2_LIMIT);
      // Distinct draws. Moments are absolute times minus T0, and a double
      // near T0 (~1.8e12 ms) is a multiple of 2^-12 ms, so two of 20,000
      // draws over minutes share a value a few times in a hundred runs; a
      // delay rounded to whole milliseconds would repeat over a hundred times.
      expect(ms.length - new Set(ms).size).toBeLessThanOrEqual(2);
    });
  }

  it('a typed delay keeps its whole seconds and gains less than one second of jitter', () => {
    for (let i = 0; i < 1000; i++) {
      const ms = withJitterMs(7);
      expect(ms).toBeGreaterThanOrEqual(7000);
      expect(ms).toBeLessThan(8000);
    }
  });

  it('the delay field uses the exact draw while it shows it, and jitters what is typed', () => {
    const d = drawnDelay(23417.25);
    expect(d.text).toBe('23');
    expect(resolveDelayMs('23', d)).toEqual({ ms: 23417.25, typed: false });
    const typed = resolveDelayMs('0', d)!;
    expect(typed.typed).toBe(true);
    expect(typed.ms).toBeGreaterThanOrEqual(0);
    expect(typed.ms).toBeLessThan(1000);
    expect(resolveDelayMs('1.5', d)).toBeNull();
  });
});

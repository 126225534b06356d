import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  FIRST_DELAY_MAX_MS,
  FIRST_DELAY_MIN_MS,
  HOUR_MS,
  LATE_FETCH_MAX_MS,
  LATE_FETCH_MIN_MS,
  RENEW_COVER_MARGIN_MS,
  RENEW_MIN_GAP_MS,
  certifyVerdict,
  fetchMoment,
  fetchSpreadMs,
  firstDelayMs,
  keyMatureAt,
  lateFetchMoment,
  recheckMoment,
  renewalMoment,
  scheduledMinimumMs,
} from '../src/lib/schedule';
import { spendCheck, crowdFacts } from '../src/lib/renewal';
import type { PendingToken } from '../src/lib/keystore';
import type { VerifiedDirectory } from '../src/lib/directory';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
/** A key as the server makes it by default: issued 30 days, accepted 60. */
const defaultKey = { issue_from: T0 / 1000, issue_until: T0 / 1000 + 30 * 86400, accept_until: T0 / 1000 + 60 * 86400 };
/** The shortest issuing window the server allows (1 day). */
const shortKey = { issue_from: T0 / 1000, issue_until: T0 / 1000 + 86400, accept_until: T0 / 1000 + 2 * 86400 };

function many<T>(f: () => T, n = 5000): T[] {
  return Array.from({ length: n }, f);
}

describe('the schedule (lib/schedule.ts)', () => {
  it('a first pseudonym waits a random time within a day: 1 to 24 hours', () => {
    const d = many(firstDelayMs);
    expect(Math.min(...d)).toBeGreaterThanOrEqual(FIRST_DELAY_MIN_MS);
    expect(Math.max(...d)).toBeLessThan(FIRST_DELAY_MAX_MS);
    // Spread over the whole range, not bunched: every hour gets its share.
    const hours = (FIRST_DELAY_MAX_MS - FIRST_DELAY_MIN_MS) / HOUR_MS;
    expect(hours).toBe(23);
    const perHour = new Array<number>(hours).fill(0);
    for (const x of d) perHour[Math.floor((x - FIRST_DELAY_MIN_MS) / HOUR_MS)]++;
    for (const c of perHour) expect(c).toBeGreaterThan(d.length / hours - 80);
  });

  it('the next token is fetched within a day of the key becoming active (a quarter of a short window)', () => {
    expect(fetchSpreadMs(defaultKey)).toBe(DAY_MS);
    expect(fetchSpreadMs(shortKey)).toBe(DAY_MS / 4);
    for (const t of many(() => fetchMoment(defaultKey), 2000)) {
      expect(t).toBeGreaterThanOrEqual(T0);
      expect(t).toBeLessThan(T0 + DAY_MS);
    }
    for (const t of many(() => fetchMoment(shortKey), 2000)) expect(t).toBeLessThan(T0 + DAY_MS / 4);
    for (const t of many(() => lateFetchMoment(T0), 2000)) {
      expect(t - T0).toBeGreaterThanOrEqual(LATE_FETCH_MIN_MS);
      expect(t - T0).toBeLessThan(LATE_FETCH_MAX_MS);
    }
  });

  it('a renewal is spent days after its token arrived, and before the cover is near its end', () => {
    const fetched = T0 + 5 * HOUR_MS;
    const coverEnd = T0 + 30 * DAY_MS; // the previous key's accept_until
    const r = many(() => renewalMoment(fetched, coverEnd)!);
    expect(Math.min(...r)).toBeGreaterThanOrEqual(fetched + RENEW_MIN_GAP_MS);
    expect(Math.max(...r)).toBeLessThan(coverEnd - RENEW_COVER_MARGIN_MS);
    // Uniform over the window: the mean is near its middle.
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    const mid = (fetched + RENEW_MIN_GAP_MS + coverEnd - RENEW_COVER_MARGIN_MS) / 2;
    expect(Math.abs(mean - mid)).toBeLessThan(DAY_MS / 2);
  });

  it('with a short cover, the renewal falls in the later half of what is left; none once it has ended', () => {
    const fetched = T0;
    const coverEnd = T0 + 2 * DAY_MS;
    for (const t of many(() => renewalMoment(fetched, coverEnd)!, 2000)) {
      expect(t).toBeGreaterThanOrEqual(fetched + DAY_MS);
      expect(t).toBeLessThan(fetched + 0.9 * 2 * DAY_MS);
    }
    expect(renewalMoment(T0, T0 - 1)).toBeNull();
  });

  it('going faster means below the schedule’s own minimum', () => {
    expect(scheduledMinimumMs('first', T0, 0)).toBe(FIRST_DELAY_MIN_MS);
    expect(scheduledMinimumMs('renewal', T0, T0 + 30 * DAY_MS)).toBe(RENEW_MIN_GAP_MS);
    expect(scheduledMinimumMs('renewal', T0, T0 + 2 * DAY_MS)).toBe(DAY_MS);
  });

  it('refuses to certify under a key too young, or with fewer tokens than min_crowd', () => {
    expect(keyMatureAt(defaultKey)).toBe(T0 + DAY_MS);
    expect(keyMatureAt(shortKey)).toBe(T0 + DAY_MS / 4);
    expect(certifyVerdict(T0 + HOUR_MS, defaultKey, 50, 5)).toEqual({ ok: false, reason: 'young', until: T0 + DAY_MS });
    expect(certifyVerdict(T0 + 2 * DAY_MS, defaultKey, 3, 5)).toEqual({ ok: false, reason: 'crowd', issued: 3, minCrowd: 5 });
    expect(certifyVerdict(T0 + 2 * DAY_MS, defaultKey, 5, 5)).toEqual({ ok: true });
    // A server that does not publish the count: only the age is checked.
    expect(certifyVerdict(T0 + 2 * DAY_MS, defaultKey, null, 5)).toEqual({ ok: true });
    for (const t of many(() => recheckMoment(T0), 500)) {
      expect(t - T0).toBeGreaterThanOrEqual(10 * 60_000);
      expect(t - T0).toBeLessThan(30 * 60_000);
    }
  });
});

describe('spending a held token', () => {
  const key = { key_id: 'K2', spki: '', bits: 2048, epoch: 2, ...defaultKey, state: 'active' as const };
  const dir = { issuer: 'hearth-local', master_key: '', seq: 3, sig: '', fingerprint: '', keys: [key], active: key, issued: { K2: 2 } } as VerifiedDirectory;
  const token: PendingToken = {
    sk: new Uint8Array(32),
    pk: 'pk',
    key_id: 'K2',
    prefix: '',
    sig: '',
    renewal: true,
    handle: 'ann_w',
    certify_after: T0,
    fetched_at: T0,
    hurry: false,
  };

  it('takes the crowd from the directory answer, else from anonymity for the active key', () => {
    expect(crowdFacts('K2', dir, null)).toEqual({ issued: 2, minCrowd: 5 });
    const anon = { key_id: 'K2', epoch: 2, issued: 9, certified: 4, min_crowd: 3 };
    expect(crowdFacts('K2', { ...dir, issued: {} }, anon)).toEqual({ issued: 9, minCrowd: 3 });
    expect(crowdFacts('K1', { ...dir, issued: {} }, anon)).toEqual({ issued: null, minCrowd: 3 });
  });

  it('waits for the crowd on schedule, but not when the employee chose to go faster', () => {
    expect(spendCheck(token, T0 + 2 * DAY_MS, dir, null)).toEqual({ ok: false, reason: 'crowd', issued: 2, minCrowd: 5 });
    expect(spendCheck({ ...token, hurry: true }, T0 + HOUR_MS, dir, null)).toEqual({ ok: true });
  });

  it('a token whose key was revoked or is past accept_until is gone', () => {
    expect(spendCheck(token, T0, { ...dir, keys: [{ ...key, state: 'revoked' }] }, null)).toEqual({ ok: false, reason: 'gone' });
    expect(spendCheck({ ...token, hurry: true }, defaultKey.accept_until * 1000, dir, null)).toEqual({ ok: false, reason: 'gone' });
    expect(spendCheck(token, T0, { ...dir, keys: [] }, null)).toEqual({ ok: false, reason: 'gone' });
  });
});

describe('what the employee is told about the crowd', () => {
  it('the composer warning scales with the crowd, and at one says plainly that you are named', async () => {
    const { crowdWarning } = await import('../src/employee/text');
    expect(crowdWarning(1, 5)).toMatch(/No other pseudonym shares your key.*effectively posting under your own name/);
    expect(crowdWarning(0, 5)).toMatch(/effectively posting under your own name/);
    expect(crowdWarning(2, 5)).toMatch(/Only one other pseudonym shares your key with you/);
    expect(crowdWarning(4, 5)).toMatch(/Only 4 pseudonyms .*at least 5/);
    expect(crowdWarning(5, 5)).toBeNull();
    expect(crowdWarning(50, 5)).toBeNull();
  });

  it('the covering key is the non-revoked one whose accept_until is the pseudonym’s valid_until', async () => {
    const { coveringKey } = await import('../src/lib/renewal');
    const k = (id: string, accept: number, state: 'active' | 'retired' | 'revoked') =>
      ({ key_id: id, spki: '', bits: 2048, epoch: 1, issue_from: 0, issue_until: 1, accept_until: accept, state });
    const d = { keys: [k('K1', 100, 'retired'), k('K2', 200, 'active')] } as unknown as VerifiedDirectory;
    expect(coveringKey({ valid_until: 100 }, d)?.key_id).toBe('K1');
    expect(coveringKey({ valid_until: 200 }, d)?.key_id).toBe('K2');
    expect(coveringKey({ valid_until: 0 }, d)).toBeNull();
    expect(coveringKey({ valid_until: 100 }, { keys: [k('K1', 100, 'revoked')] } as unknown as VerifiedDirectory)).toBeNull();
  });
});

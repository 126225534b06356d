// When the client fetches tokens and when it spends them: every parameter of
// the schedule, and the reasoning behind each number, in one place
// (docs/protocol.md, "The client's schedule", says the same in prose).
//
// What is being defended: the issuer sees *when* an employee is given a
// token; the forum sees *when* a pseudonym is certified. Whoever sees both
// clocks (an operator at a proxy in front of both, or the two operators
// together) pairs them by time unless the two moments are far apart and
// unrelated. So:
//   - a token is fetched soon after its key becomes active, at a random
//     moment, long before it is spent;
//   - it is spent (certify) at an independent random moment, days later;
//   - the first pseudonym of a new employee, which cannot wait days, waits
//     a random time within a day;
//   - nothing is spent under a key too young to have a crowd, or while
//     fewer than `min_crowd` tokens exist under it, unless the employee
//     explicitly chooses to go faster and is told how small the crowd is.
// Every draw is continuous (lib/random.ts): a whole-second delay is a comb
// that sub-second timestamps see through.
//
// All times here are milliseconds since the epoch (Date.now() scale); a key's
// window comes from the directory in seconds.
import { uniform } from './random';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/**
 * First pseudonym, or a certification that has already lapsed (no voice
 * until it is done): certify U[1 h, 24 h) after the token arrives. The
 * window must hold many colleagues' sign-ins: where new employees arrive an
 * hour apart, a window of 1 to 5 hours held about four, and an operator who
 * sees both clocks linked 32-40 % of them (tests/linkage); within a day it
 * holds about twenty-three, and the same operator is near chance. Waiting
 * longer (days, as a renewal does) would hide better still, but a new
 * employee without a voice for days is lost; one who wants to speak sooner
 * may choose a shorter delay and is told how small the crowd is. The page
 * may close meanwhile: the next load after the moment finishes it.
 */
export const FIRST_DELAY_MIN_MS = 1 * HOUR_MS;
export const FIRST_DELAY_MAX_MS = 24 * HOUR_MS;

/**
 * The next token is fetched at issue_from + U[0, spread), spread =
 * min(1 day, a quarter of the key's issuing window): soon after rotation, so
 * it is held long before use, but spread out so the issuer does not see
 * every browser at the rotation second. The default window is 30 days; the
 * server's minimum is 1 day (then the spread is 6 h).
 */
export const FETCH_SPREAD_MAX_MS = 1 * DAY_MS;
export const FETCH_SPREAD_FRACTION = 0.25;

/**
 * A page opened after its fetch moment fetches at load + U[1 min, 15 min):
 * while the page is open, not at the instant it is opened.
 */
export const LATE_FETCH_MIN_MS = 1 * MINUTE_MS;
export const LATE_FETCH_MAX_MS = 15 * MINUTE_MS;

/**
 * A renewal is spent at fetched + gap, uniform over
 * [fetched + 2 days, cover_end − 3 days): days after the issue, and before
 * the pseudonym's current certification (cover_end = its valid_until) is
 * near its end. With the default keys (issued 30 days, accepted 60) that is
 * about 2 to 27 days after the token arrived. When the cover is too short
 * for that, the gap is uniform over the later half of what is left,
 * [fetched + L/2, fetched + 0.9 L), L = cover_end − fetched: as far from the
 * issue as the cover allows.
 */
export const RENEW_MIN_GAP_MS = 2 * DAY_MS;
export const RENEW_COVER_MARGIN_MS = 3 * DAY_MS;

/**
 * A key is old enough to certify under (on schedule) once it has been active
 * for min(1 day, a quarter of its issuing window): by then the browsers that
 * were open have fetched their tokens under it (the fetch spread above), so
 * a certify is one of many rather than one of the first few.
 */
export const MIN_KEY_AGE_MAX_MS = 1 * DAY_MS;
export const MIN_KEY_AGE_FRACTION = 0.25;

/** While waiting for a key to age or a crowd to grow, look again after U[10 min, 30 min). */
export const RECHECK_MIN_MS = 10 * MINUTE_MS;
export const RECHECK_MAX_MS = 30 * MINUTE_MS;

/** The server's default `min_crowd` (PROTOCOL.md §6), used until `anonymity` says otherwise. */
export const DEFAULT_MIN_CROWD = 5;

/** A key's window as the directory gives it (Unix seconds). */
export interface KeyWindow {
  issue_from: number;
  issue_until: number;
  accept_until: number;
}

function issueWindowMs(k: KeyWindow): number {
  return Math.max(0, (k.issue_until - k.issue_from) * 1000);
}

/** The delay from token to certify of a first pseudonym (or a lapsed one). */
export function firstDelayMs(): number {
  return uniform(FIRST_DELAY_MIN_MS, FIRST_DELAY_MAX_MS);
}

export function fetchSpreadMs(k: KeyWindow): number {
  return Math.min(FETCH_SPREAD_MAX_MS, FETCH_SPREAD_FRACTION * issueWindowMs(k));
}

/** The moment to fetch the next token under a newly active key (drawn once per key and kept). */
export function fetchMoment(k: KeyWindow): number {
  return k.issue_from * 1000 + uniform(0, fetchSpreadMs(k));
}

/** When a page opened at `openedAt`, after the fetch moment, fetches instead. */
export function lateFetchMoment(openedAt: number): number {
  return openedAt + uniform(LATE_FETCH_MIN_MS, LATE_FETCH_MAX_MS);
}

/**
 * The moment to spend a renewal token that arrived at `fetchedAt`, for a
 * pseudonym covered until `coverEnd`. Null when the cover has already ended
 * (then it is a lapsed pseudonym: firstDelayMs applies).
 */
export function renewalMoment(fetchedAt: number, coverEnd: number): number | null {
  const lo = fetchedAt + RENEW_MIN_GAP_MS;
  const hi = coverEnd - RENEW_COVER_MARGIN_MS;
  if (hi > lo) return uniform(lo, hi);
  const left = coverEnd - fetchedAt;
  if (left <= 0) return null;
  return fetchedAt + uniform(0.5 * left, 0.9 * left);
}

/** The smallest delay, from now, that the schedule itself would choose; below it the employee is hurrying. */
export function scheduledMinimumMs(kind: 'first' | 'renewal', now: number, coverEnd: number): number {
  if (kind === 'first') return FIRST_DELAY_MIN_MS;
  const lo = RENEW_MIN_GAP_MS;
  if (coverEnd - RENEW_COVER_MARGIN_MS > now + lo) return lo;
  const left = coverEnd - now;
  return left > 0 ? 0.5 * left : FIRST_DELAY_MIN_MS;
}

export function minKeyAgeMs(k: KeyWindow): number {
  return Math.min(MIN_KEY_AGE_MAX_MS, MIN_KEY_AGE_FRACTION * issueWindowMs(k));
}

/** When the key is old enough to certify under on schedule. */
export function keyMatureAt(k: KeyWindow): number {
  return k.issue_from * 1000 + minKeyAgeMs(k);
}

export function recheckMoment(now: number): number {
  return now + uniform(RECHECK_MIN_MS, RECHECK_MAX_MS);
}

export type CertifyVerdict =
  | { ok: true }
  | { ok: false; reason: 'young'; until: number }
  | { ok: false; reason: 'crowd'; issued: number; minCrowd: number };

/**
 * May a token under `key` be spent now, on schedule? Not while the key is
 * younger than minKeyAgeMs, nor while fewer than `minCrowd` tokens were
 * issued under it (`issued` null: the server does not say, and only the age
 * is checked). An employee who chose to go faster skips this, after being
 * told the crowd size.
 */
export function certifyVerdict(now: number, key: KeyWindow, issued: number | null, minCrowd: number): CertifyVerdict {
  const mature = keyMatureAt(key);
  if (now < mature) return { ok: false, reason: 'young', until: mature };
  if (issued !== null && issued < minCrowd) return { ok: false, reason: 'crowd', issued, minCrowd };
  return { ok: true };
}

// Small pure helpers for what the employee pages show and accept.
import { fmtDate } from '../ui/common';
import { withJitterMs } from '../lib/random';

/** The longest delay the field takes: 90 days (longer than any key is accepted by default). */
export const MAX_DELAY_SECONDS = 90 * 86400;

/** The unlinking delay field: whole seconds, 0..MAX_DELAY_SECONDS; anything else is refused. */
export function parseDelay(text: string): number | null {
  if (!/^\d{1,8}$/.test(text.trim())) return null;
  const n = Number(text.trim());
  return n <= MAX_DELAY_SECONDS ? n : null;
}

/** A random delay as the delay field shows it (whole seconds), and the exact value behind it. */
export interface DrawnDelay {
  ms: number;
  text: string;
}

export function drawnDelay(ms: number): DrawnDelay {
  return { ms, text: String(Math.round(ms / 1000)) };
}

/**
 * What the delay field means, in milliseconds: the exact random draw while the
 * field still shows it, otherwise the typed whole seconds plus random
 * sub-second jitter (so a typed delay is no whole number of seconds either).
 * Null when the text is not a delay.
 */
export function resolveDelayMs(text: string, drawn: DrawnDelay): { ms: number; typed: boolean } | null {
  if (text.trim() === drawn.text) return { ms: drawn.ms, typed: false };
  const s = parseDelay(text);
  return s === null ? null : { ms: withJitterMs(s), typed: true };
}

/** "banned until <ISO time>" from the server, in local words. */
export function bannedText(serverMessage: string): string {
  const iso = serverMessage.match(/\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?Z/);
  const unix = serverMessage.match(/\buntil (\d{9,})\b/);
  const at = iso ? Date.parse(iso[0]) / 1000 : unix ? Number(unix[1]) : NaN;
  if (Number.isFinite(at)) {
    return `This pseudonym is banned until ${fmtDate(at)}. It is recorded, with its reason, in the public moderation log. A ban never outlasts the pseudonym's current certification.`;
  }
  return `This pseudonym is banned (${serverMessage}).`;
}

/**
 * The warning inside the composer when the crowd under the pseudonym's key
 * is below the minimum, worded by how small it is. Null when there is none
 * to give (a crowd large enough, or not known).
 */
export function crowdWarning(certified: number, minCrowd: number): string | null {
  if (certified >= minCrowd) return null;
  if (certified <= 1) {
    return 'No other pseudonym shares your key: whatever you post can be tied to whoever took a token under it, so you are effectively posting under your own name.';
  }
  if (certified === 2) {
    return `Only one other pseudonym shares your key with you (at least ${minCrowd} are wanted). Anyone who knows who took the two tokens can tell you apart with a coin toss.`;
  }
  return `Only ${certified} pseudonyms are certified under your key (at least ${minCrowd} are wanted). In a crowd this small, what you write is easier to tie to you.`;
}

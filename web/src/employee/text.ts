// Small pure helpers for what the employee pages show and accept.
import { fmtDate } from '../ui/common';

/** The unlinking delay field: whole seconds, 0..86400; anything else is refused. */
export function parseDelay(text: string): number | null {
  if (!/^\d{1,5}$/.test(text.trim())) return null;
  const n = Number(text.trim());
  return n <= 86400 ? n : null;
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

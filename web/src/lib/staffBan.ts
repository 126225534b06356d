// How long a ban may last (PROTOCOL.md §7): at most until the pseudonym's
// certification ends. The console knows that end only as a bound, the latest
// `accept_until` of a key that is not revoked; the server clamps `until` to
// the pseudonym's own `valid_until` and answers the real end.
import type { DirectoryKey } from './directory';

export interface BanChoice {
  id: string;
  /** Length in days; null: until the certification ends. */
  days: number | null;
}

const PRESET_DAYS = [1, 7, 30, 90];
const DAY = 86400;

/** The latest moment any pseudonym can still be certified, or null without a usable key. */
export function banLimit(keys: readonly DirectoryKey[]): number | null {
  const ends = keys.filter((k) => k.state !== 'revoked').map((k) => k.accept_until);
  return ends.length ? Math.max(...ends) : null;
}

/** The presets shorter than the limit, then "until the certification ends". */
export function banChoices(limit: number | null, now: number): BanChoice[] {
  const presets = PRESET_DAYS.filter((d) => limit === null || now + d * DAY < limit).map((d) => ({ id: `${d}d`, days: d }));
  return [...presets, { id: 'end', days: null }];
}

/** The `until` to send: absent for "until the certification ends". */
export function banUntil(c: BanChoice, now: number): number | undefined {
  return c.days === null ? undefined : Math.floor(now + c.days * DAY);
}

/** A week when that is possible, else the longest choice there is. */
export function defaultBanChoice(choices: readonly BanChoice[]): BanChoice {
  return choices.find((c) => c.days === 7) ?? choices[choices.length - 1];
}

// Which reactions this pseudonym has set, remembered in this browser so the
// buttons show as pressed (the server reports counts, not who reacted).
// Kept in localStorage under a key per pseudonym; `forgetAllReacted` is part
// of forgetting a pseudonym, so nothing of it stays on the device.

const PREFIX = 'hearth.reacted.';
/** Only the most recent entries are kept. */
const MAX_ENTRIES = 2000;

export function reactedKey(postId: string, reaction: string): string {
  return `${postId}|${reaction}`;
}

export function loadReacted(pk: string): Set<string> {
  try {
    const raw = JSON.parse(localStorage.getItem(PREFIX + pk) ?? '[]');
    return new Set(Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : []);
  } catch {
    return new Set();
  }
}

export function saveReacted(pk: string, set: Set<string>) {
  localStorage.setItem(PREFIX + pk, JSON.stringify([...set].slice(-MAX_ENTRIES)));
}

/** Removes the reaction memory of every pseudonym this browser held. */
export function forgetAllReacted() {
  const doomed: string[] = [];
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (k?.startsWith(PREFIX)) doomed.push(k);
  }
  for (const k of doomed) localStorage.removeItem(k);
}

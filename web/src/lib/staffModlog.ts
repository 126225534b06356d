// What a moderation log entry is about, in words people can read: an excerpt
// of the post (or that it is hidden or deleted), a poll's question (or that
// it is hidden), the pseudonym's handle, or a key's short fingerprint with its
// epoch, instead of raw post and poll ids and 43-character key ids. Used by
// the public log and the staff console alike.
import { shortKeyId, type DirectoryKey } from './directory';
import type { ModlogEntry } from './forum';

/** The fields the server adds when an entry's target is a post or a poll (docs/protocol.md). */
export interface ModlogTargetFields {
  /** The start of the post's body or of the poll's question, only while it is visible; null otherwise. */
  excerpt?: string | null;
  post_state?: 'visible' | 'hidden' | 'deleted';
  /** On poll.hide and poll.restore instead of post_state. */
  poll_state?: 'visible' | 'hidden';
}

/** As long as the excerpt the server gives (docs/protocol.md), in code points. */
export const EXCERPT_CODE_POINTS = 120;

/** The start of a post body, for a log line; whole code points, never half a surrogate pair. */
export function excerptOf(body: string): string {
  return Array.from(body).slice(0, EXCERPT_CODE_POINTS).join('');
}

export type ModlogTarget =
  | { kind: 'post'; id: string; state: 'visible' | 'hidden' | 'deleted' | 'unknown'; excerpt: string | null }
  | { kind: 'poll'; id: string; state: 'visible' | 'hidden' | 'unknown'; excerpt: string | null }
  | { kind: 'pseudonym'; handle: string }
  | { kind: 'key'; keyId: string; short: string; epoch: number | null };

function keyTarget(keyId: string, keys: readonly DirectoryKey[]): ModlogTarget {
  return { kind: 'key', keyId, short: shortKeyId(keyId), epoch: keys.find((k) => k.key_id === keyId)?.epoch ?? null };
}

export function modlogTarget(e: ModlogEntry & ModlogTargetFields, keys: readonly DirectoryKey[] = []): ModlogTarget {
  if (e.action === 'ban' || e.action === 'unban') return { kind: 'pseudonym', handle: e.target };
  if (e.action.startsWith('keys.')) return keyTarget(e.target, keys);
  // An appeal's outcome names the post of a hide (the server then says how the post stands) or the handle of a ban.
  if (e.action.startsWith('appeal.') && e.post_state === undefined) return { kind: 'pseudonym', handle: e.target };
  const excerpt = typeof e.excerpt === 'string' && e.excerpt.trim() ? e.excerpt : null;
  if (e.action.startsWith('poll.')) {
    const state = e.poll_state ?? 'unknown';
    return { kind: 'poll', id: e.target, state, excerpt: state === 'visible' ? excerpt : null };
  }
  const state = e.post_state ?? (excerpt !== null ? 'visible' : 'unknown');
  return { kind: 'post', id: e.target, state, excerpt: state === 'visible' ? excerpt : null };
}

const ACTION_TEXT = new Map([
  ['poll.hide', 'Poll hidden'],
  ['poll.restore', 'Poll restored'],
]);

/** An entry's action as the log shows it: a poll's in words, the others as the protocol names them. */
export function modlogActionText(action: string): string {
  return ACTION_TEXT.get(action) ?? action;
}

/** One line of plain text for the target (the full id goes in a tooltip). */
export function modlogTargetText(t: ModlogTarget): string {
  switch (t.kind) {
    case 'pseudonym':
      return `@${t.handle}`;
    case 'key':
      return t.epoch === null ? `key ${t.short}` : `key ${t.short} (epoch ${t.epoch})`;
    case 'post':
      if (t.excerpt !== null) return `“${t.excerpt}”`;
      return t.state === 'deleted' ? 'deleted post' : t.state === 'hidden' ? 'hidden post' : 'a post';
    case 'poll':
      if (t.excerpt !== null) return `“${t.excerpt}”`;
      return t.state === 'hidden' ? 'hidden poll' : 'a poll';
  }
}

/** The full identifier behind the short text, for a tooltip. */
export function modlogTargetTitle(t: ModlogTarget): string {
  switch (t.kind) {
    case 'pseudonym':
      return t.handle;
    case 'key':
      return `key id ${t.keyId}`;
    case 'post':
      return `post id ${t.id}`;
    case 'poll':
      return `poll id ${t.id}`;
  }
}

/**
 * An audit log entry's target as people read it: a key's short fingerprint
 * and epoch for key changes, @handle for bans; otherwise the target as
 * recorded (a username, an employee id, a post id, a channel).
 */
export function auditTargetText(e: { action: string; target: string }, keys: readonly DirectoryKey[] = []): string {
  if (e.action.startsWith('keys.')) return modlogTargetText(keyTarget(e.target, keys));
  return e.action === 'ban' || e.action === 'unban' ? `@${e.target}` : e.target;
}

// What the staff console reads: flag queue items (with the flaggers' notes)
// and a flagged post in its thread (docs/protocol.md, staff extras).
import type { Post } from './forum';

export interface FlagItem {
  post: Post;
  flags: number;
  reasons: Record<string, number>;
  /** The flaggers' non-empty notes, without who wrote them (older servers: absent). */
  notes?: string[];
}

/**
 * A post in the staff `thread` answer: in full (with `hidden: true` when a
 * moderator hid it), or only `{id, hidden: true}` when its author deleted it.
 */
export type StaffThreadPost = (Post & { hidden?: boolean }) | { id: string; hidden: true };

export interface StaffThread {
  post: StaffThreadPost;
  replies: StaffThreadPost[];
}

export type ThreadEntryState = 'visible' | 'hidden' | 'deleted';

export interface ThreadEntry {
  id: string;
  /** Null when the author deleted the post (nothing left to show). */
  post: Post | null;
  state: ThreadEntryState;
  reply: boolean;
  /** The post this queue item is about. */
  flagged: boolean;
}

/** The notes worth showing: strings with something in them, trimmed, in order. */
export function flagNotes(item: Pick<FlagItem, 'notes'>): string[] {
  if (!Array.isArray(item.notes)) return [];
  return item.notes.filter((n): n is string => typeof n === 'string').map((n) => n.trim()).filter((n) => n.length > 0);
}

function entryOf(p: StaffThreadPost, reply: boolean, flaggedId: string): ThreadEntry {
  const full = 'body' in p && typeof p.body === 'string';
  return {
    id: p.id,
    post: full ? (p as Post) : null,
    state: !full ? 'deleted' : p.hidden === true ? 'hidden' : 'visible',
    reply,
    flagged: p.id === flaggedId,
  };
}

/** The thread in reading order (the top-level post, then its replies oldest first), the flagged post marked. */
export function threadEntries(t: StaffThread, flaggedId: string): ThreadEntry[] {
  return [entryOf(t.post, false, flaggedId), ...t.replies.map((r) => entryOf(r, true, flaggedId))];
}

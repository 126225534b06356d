// The staff console's search (docs/protocol.md "Search and export", "For
// moderators"): the request for one page, pages put together, a result marked
// hidden or restored in place, and what an empty answer says.
import type { Post } from './forum';
import { searchRequest as pageRequest, type SearchRequest } from './search';

/** A post as the staff `search` gives it: in full, marked `hidden` when a moderator hid it. */
export type FoundPost = Post & { hidden?: boolean };

/** What a search was asked with: kept for its next pages, whatever the form holds by then. */
export interface SearchAsked {
  query: string;
  /** Empty: every channel. */
  channel: string;
}

/** Results per page: the server's default for staff and forum alike. */
export const SEARCH_PAGE = 20;

/** The request for a page of `asked` (the first, or the one `before` names). */
export function searchRequest(asked: SearchAsked, before?: string): SearchRequest {
  return pageRequest(asked.query, asked.channel || null, SEARCH_PAGE, before);
}

/** A further page after the ones shown: a post already shown is not listed twice. */
export function appendPage(shown: readonly FoundPost[], page: readonly FoundPost[]): FoundPost[] {
  const seen = new Set(shown.map((p) => p.id));
  return [...shown, ...page.filter((p) => !seen.has(p.id))];
}

/** The results with one post marked hidden (or no longer), as a hide or restore left it. */
export function markHidden(shown: readonly FoundPost[], postId: string, hidden: boolean): FoundPost[] {
  return shown.map((p) => {
    if (p.id !== postId) return p;
    const marked: FoundPost = { ...p };
    if (hidden) marked.hidden = true;
    else delete marked.hidden;
    return marked;
  });
}

/**
 * What to say when nothing is shown: nothing holds the words, or (a page
 * stops after a bounded number of index entries, possibly with nothing) the
 * search has more to look through. Null while results are shown.
 */
export function emptyNote(shown: number, next: string | null): string | null {
  if (shown > 0) return null;
  return next === null ? 'No posts hold these words.' : 'Nothing found yet in the posts looked through; More results looks further.';
}

// Search and export (docs/protocol.md, "Search and export"): the request and
// answer shapes, and the export file assembled from `export` pages.
import type { Post, Pseudonym } from './forum';

export interface SearchRequest {
  query: string;
  channel?: string;
  before?: string;
  limit?: number;
}

/** A `search` request: all channels when `channel` is null; `before` continues a page of the same query and channel. */
export function searchRequest(query: string, channel: string | null, limit: number, before?: string): SearchRequest {
  return { query, limit, ...(channel ? { channel } : {}), ...(before ? { before } : {}) };
}

/** A certification the forum keeps for the pseudonym: which key, its epoch, until when. */
export interface Certification {
  key_id: string;
  epoch: number;
  accept_until: number;
}

/** A post of one's own as `export` gives it: in full, `hidden` when a moderator hid it. */
export type ExportedPost = Post & { hidden?: true };

export interface ExportPage {
  issuer: string;
  pseudonym: Pseudonym;
  certifications: Certification[];
  directory: unknown;
  posts: ExportedPost[];
  next: string | null;
}

export const EXPORT_FORMAT = 'hearth-export/1';

export interface ExportFile {
  format: typeof EXPORT_FORMAT;
  issuer: string;
  pseudonym: Pseudonym;
  certifications: Certification[];
  directory: unknown;
  posts: ExportedPost[];
}

/** The query's words as the server counts them: runs of letters and digits (any non-ASCII byte counts as a letter). */
export function queryWords(q: string): string[] {
  return q.toLowerCase().split(/[^a-z0-9\u0080-\uffff]+/u).filter((w) => w.length > 0);
}
export const MAX_QUERY_WORDS = 8;
export const MAX_QUERY_CHARS = 200;

/** Every page of `export`, one after another, as one file (the first page's directory and pseudonym). */
export async function collectExport(page: (after?: string) => Promise<ExportPage>): Promise<ExportFile> {
  const first = await page();
  const posts = [...first.posts];
  let next = first.next;
  while (next) {
    const pg = await page(next);
    posts.push(...pg.posts);
    next = pg.next;
  }
  return {
    format: EXPORT_FORMAT,
    issuer: first.issuer,
    pseudonym: first.pseudonym,
    certifications: first.certifications,
    directory: first.directory,
    posts,
  };
}

/** The download's name: the date only, nothing of the handle. */
export function exportFileName(now = new Date()): string {
  return `hearth-export-${now.toISOString().slice(0, 10)}.json`;
}

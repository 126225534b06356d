// Polls (docs/protocol.md "Polls"): the poll object, the two signed byte
// strings, and the openings of this browser's votes. The server keeps only a
// commitment to each vote (SHA-256 over the option and a random salt), so to
// change a vote the client must send the option and salt it voted with; they
// are remembered here, per pseudonym, in localStorage, and forgotten with the
// pseudonym (`forgetAllVotes`). A vote whose opening is lost still counts; it
// just cannot be changed from this browser.
import { ed25519 } from '@noble/curves/ed25519.js';
import { b64urlDecode, b64urlEncode, randomBytes } from './b64';

const utf8 = new TextEncoder();

export interface Poll {
  id: string;
  channel: string;
  author: { handle: string; pk: string };
  question: string;
  options: string[];
  created_at: number;
  closes_at: number;
  live: boolean;
  pinned: boolean;
  key_id: string;
  nonce: string;
  sig: string;
  closed: boolean;
  votes: number;
  min_crowd: number;
  /** Tallies, one per option, or null while withheld. */
  results: number[] | null;
  withheld: null | 'open' | 'too_few_votes';
  /** Whether the reader voted (absent for staff). */
  voted?: boolean;
  /** A moderator hid the poll (only staff are shown one; absent otherwise). */
  hidden?: true;
}

export interface NewPoll {
  channel: string;
  question: string;
  options: string[];
  closes_at: number;
  live: boolean;
}

/** A vote's option and the salt of its commitment (base64url, as signed). */
export interface VoteOpening {
  option: number;
  salt: string;
}

export const MIN_OPTIONS = 2;
export const MAX_OPTIONS = 10;
export const MAX_QUESTION = 300;
export const MAX_OPTION = 100;
const SALT_BYTES = 32;

function line(name: string, value: string): string {
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new Error(`${name} must be one line without control characters`);
  return value;
}

/** hearth/poll/v1 \n ISSUER \n CHANNEL \n CLOSES_AT \n LIVE \n NONCE \n QUESTION \n OPTION_1 … \n OPTION_n */
export function pollBytes(issuer: string, p: NewPoll, nonce: string): Uint8Array {
  return utf8.encode(
    [
      'hearth/poll/v1',
      line('issuer', issuer),
      line('channel', p.channel),
      String(p.closes_at),
      p.live ? '1' : '0',
      line('nonce', nonce),
      line('question', p.question),
      ...p.options.map((o) => line('option', o)),
    ].join('\n'),
  );
}

/** hearth/vote/v1 \n ISSUER \n POLL_ID \n OPTION \n SALT \n PREVIOUS_OPTION-or-empty \n PREVIOUS_SALT-or-empty */
export function voteBytes(issuer: string, pollId: string, choice: VoteOpening, previous: VoteOpening | null): Uint8Array {
  return utf8.encode(
    [
      'hearth/vote/v1',
      line('issuer', issuer),
      line('poll_id', pollId),
      String(choice.option),
      choice.salt,
      previous ? String(previous.option) : '',
      previous ? previous.salt : '',
    ].join('\n'),
  );
}

export function signPoll(sk: Uint8Array, issuer: string, p: NewPoll, nonce: string): string {
  return b64urlEncode(ed25519.sign(pollBytes(issuer, p, nonce), sk));
}

export function signVote(sk: Uint8Array, issuer: string, pollId: string, choice: VoteOpening, previous: VoteOpening | null): string {
  return b64urlEncode(ed25519.sign(voteBytes(issuer, pollId, choice, previous), sk));
}

/** True only when the poll's signature verifies under its author's key. */
export function verifyPoll(p: Poll, issuer: string): boolean {
  try {
    const pk = b64urlDecode(p.author.pk);
    const sig = b64urlDecode(p.sig);
    if (pk.length !== 32 || sig.length !== 64) return false;
    return ed25519.verify(sig, pollBytes(issuer, p, p.nonce), pk, { zip215: false });
  } catch {
    return false;
  }
}

/** A fresh opening for a vote on `option`. */
export function newOpening(option: number): VoteOpening {
  return { option, salt: b64urlEncode(randomBytes(SALT_BYTES)) };
}

// ------------------------------------------------ this browser's openings

const PREFIX = 'hearth.votes.';
/** Only the most recent openings are kept. */
const MAX_ENTRIES = 500;

/**
 * What this browser knows of its vote on one poll: the opening the server
 * accepted (`confirmed`), and one sent without an answer yet (`pending`:
 * resent as it is, a retry the server recognises).
 */
export interface VoteMemory {
  confirmed: VoteOpening | null;
  pending: VoteOpening | null;
}

function isOpening(o: unknown): o is VoteOpening {
  const v = o as VoteOpening;
  return !!v && typeof v.option === 'number' && typeof v.salt === 'string';
}

function loadAll(pk: string): Record<string, VoteMemory> {
  try {
    const raw = JSON.parse(localStorage.getItem(PREFIX + pk) ?? '{}');
    return raw && typeof raw === 'object' ? (raw as Record<string, VoteMemory>) : {};
  } catch {
    return {};
  }
}

export function loadVote(pk: string, pollId: string): VoteMemory {
  const m = loadAll(pk)[pollId];
  return { confirmed: isOpening(m?.confirmed) ? m.confirmed : null, pending: isOpening(m?.pending) ? m.pending : null };
}

export function saveVote(pk: string, pollId: string, m: VoteMemory) {
  const all = loadAll(pk);
  delete all[pollId];
  all[pollId] = m;
  const kept = Object.entries(all).slice(-MAX_ENTRIES);
  localStorage.setItem(PREFIX + pk, JSON.stringify(Object.fromEntries(kept)));
}

/** Removes the vote openings of every pseudonym this browser held. */
export function forgetAllVotes() {
  const doomed: string[] = [];
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (k?.startsWith(PREFIX)) doomed.push(k);
  }
  for (const k of doomed) localStorage.removeItem(k);
}

/** Past a poll's closing time, how long a reader waits before asking for it again (the clocks of browser and server may differ a little). */
export const CLOSE_MARGIN_MS = 1000;
/** After the server still called a poll open, how long before the reader asks again. */
export const CLOSE_RECHECK_MS = 30_000;
/** The longest timer set at once (browsers run longer ones at once); past it the reader just looks again. */
export const MAX_TIMER_MS = 24 * 3600 * 1000;

/**
 * When to ask again for an open poll, in ms since the epoch: at its closing
 * time (plus the margin), or, if the server still called it open, at the
 * later time `recheck` holds for it. A poll's close pushes nothing; this is
 * how a shown poll learns it.
 */
export function closeCheckAt(p: Poll, recheck: ReadonlyMap<string, number>): number {
  return Math.max(p.closes_at * 1000 + CLOSE_MARGIN_MS, recheck.get(p.id) ?? 0);
}

/** The first `closeCheckAt` of a list's open polls; null when none is open. */
export function nextCloseCheck(items: Poll[], recheck: ReadonlyMap<string, number>): number | null {
  let due: number | null = null;
  for (const p of items) {
    if (p.closed) continue;
    const at = closeCheckAt(p, recheck);
    if (due === null || at < due) due = at;
  }
  return due;
}

/** A closing time on a whole hour, `hours` from now (it dates the poll no finer than its created_at). */
export function closingIn(hours: number, now = Date.now() / 1000): number {
  return Math.ceil(now / 3600) * 3600 + Math.round(hours) * 3600;
}

// ------------------------------------------------ a channel's list, live

/** The order of a channel's list: pinned first, then newest first (ids sort in creation order). */
export function pollOrder(a: Poll, b: Poll): number {
  if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
  if (a.id.length !== b.id.length) return b.id.length - a.id.length;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * A poll the server pushed (created, its counts changed, or restored) merged
 * into the loaded part of a channel's list, in the list's order. A pushed poll
 * carries no `voted`: the reader's own is kept from the poll it replaces, else
 * `knownVoted` (what the reader knew of it before it was hidden), else it
 * stays unknown. `complete`: the list holds the channel's last page; when it
 * does not, a poll it did not hold that sorts after every loaded one is left
 * for the later page that will bring it.
 */
export function mergePoll(list: Poll[], pushed: Poll, complete: boolean, knownVoted?: boolean): Poll[] {
  const old = list.find((p) => p.id === pushed.id);
  const voted = pushed.voted ?? old?.voted ?? knownVoted;
  const merged: Poll = { ...pushed };
  if (voted === undefined) delete merged.voted;
  else merged.voted = voted;
  const rest = old ? list.filter((p) => p !== old) : list;
  let at = rest.findIndex((p) => pollOrder(merged, p) < 0);
  if (at < 0) {
    if (!complete && !old) return list;
    at = rest.length;
  }
  return [...rest.slice(0, at), merged, ...rest.slice(at)];
}

/** A later page appended to the list, without any poll it already holds. */
export function appendPolls(list: Poll[], page: Poll[]): Poll[] {
  const have = new Set(list.map((p) => p.id));
  return [...list, ...page.filter((p) => !have.has(p.id))];
}

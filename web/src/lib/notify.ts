// Notifications and appeals (docs/protocol.md "Notifications", "Appeals"):
// the shapes, the appeal's signed bytes, and the two calls a banned
// pseudonym makes without logging in (each on its own short connection).
import { ed25519 } from '@noble/curves/ed25519.js';
import { b64urlEncode } from './b64';
import type { Post } from './forum';
import { Rpc } from './rpc';

export type NoticeKind =
  | 'reply'
  | 'reaction'
  | 'hide'
  | 'restore'
  | 'ban'
  | 'unban'
  | 'poll.hide'
  | 'poll.restore'
  | 'appeal.upheld'
  | 'appeal.overturned';
export type AppealState = 'open' | 'upheld' | 'overturned';

export interface Appeal {
  action_id: string;
  action: 'hide' | 'ban';
  target: string;
  text: string;
  at: number;
  state: AppealState;
  decision?: string;
  decided_at?: number;
}

export interface Notification {
  id: string;
  kind: NoticeKind;
  at: number;
  read: boolean;
  post_id?: string;
  /** On poll.hide and poll.restore: the poll. */
  poll_id?: string;
  reply_id?: string;
  by?: string;
  reaction?: string;
  action_id?: string;
  reason?: string;
  /** On hide and ban notices in a listing: the appeal made against it, or null. */
  appeal?: Appeal | null;
}

export interface NotificationPage {
  items: Notification[];
  unread: number;
  next: string | null;
}

export interface BanStatus {
  banned: boolean;
  until?: number;
  reason?: string;
  action_id?: string | null;
  appeal?: Appeal | null;
}

export const MAX_APPEAL_CHARS = 1000;

/** Whether the action a notice of this kind tells of can be appealed: a post's hide and a ban, not a poll's hide. */
export function appealable(kind: NoticeKind): boolean {
  return kind === 'hide' || kind === 'ban';
}

/** hearth/appeal/v1 \n ISSUER \n ACTION_ID \n TEXT */
export function appealBytes(issuer: string, actionId: string, text: string): Uint8Array {
  return new TextEncoder().encode(`hearth/appeal/v1\n${issuer}\n${actionId}\n${text}`);
}

/** The fields of `appeal`, signed by the pseudonym. */
export function appealFields(sk: Uint8Array, pk: Uint8Array, issuer: string, actionId: string, text: string) {
  return {
    pseudonym_pk: b64urlEncode(pk),
    action_id: actionId,
    text,
    sig: b64urlEncode(ed25519.sign(appealBytes(issuer, actionId, text), sk)),
  };
}

async function once<T>(op: string, fields: object): Promise<T> {
  const rpc = await new Rpc('/v1/forum').open();
  try {
    return await rpc.call<T>(op, fields);
  } finally {
    rpc.close();
  }
}

/** Whether the pseudonym is banned, and how its appeal stands (no login: a banned pseudonym cannot). */
export function banStatus(pk: Uint8Array): Promise<BanStatus> {
  return once<BanStatus>('ban_status', { pseudonym_pk: b64urlEncode(pk) });
}

/** Appeals without a session (a banned pseudonym). */
export function appealSigned(sk: Uint8Array, pk: Uint8Array, issuer: string, actionId: string, text: string): Promise<Appeal> {
  return once<{ appeal: Appeal }>('appeal', appealFields(sk, pk, issuer, actionId, text)).then((r) => r.appeal);
}

/** What a notice says, in one line. */
export function noticeText(n: Notification): string {
  const why = n.reason ? `: ${n.reason}` : '';
  switch (n.kind) {
    case 'reply':
      return `${n.by ?? 'Someone'} replied to your post.`;
    case 'reaction':
      return `Your post got a ${n.reaction} reaction.`;
    case 'hide':
      return `A moderator hid your post${why}.`;
    case 'restore':
      return `A moderator restored your post${why}.`;
    case 'ban':
      return `A moderator banned your pseudonym${why}.`;
    case 'unban':
      return `A moderator lifted your ban${why}.`;
    case 'poll.hide':
      return `A moderator hid your poll${why}.`;
    case 'poll.restore':
      return `A moderator restored your poll${why}.`;
    case 'appeal.upheld':
      return `Your appeal was turned down${why}.`;
    case 'appeal.overturned':
      return `Your appeal succeeded${why}.`;
    default:
      return 'Something happened.';
  }
}

/** An open appeal as the staff console sees it. */
export interface StaffAppeal extends Appeal {
  handle: string;
  pseudonym_pk: string;
  decided_by?: string;
  /** The moderation log entry appealed (the public view: role, never the account). */
  entry?: { id: string; at: number; action: string; target: string; reason: string; actor_role: string };
  /** The signed-in moderator took the action, so another must decide. */
  acted_by_you?: boolean;
  /** For a hidden post: the post in full. */
  post?: Post & { hidden?: true };
}

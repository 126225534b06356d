// A pseudonym's session on /v1/forum: challenge + login with the Ed25519 key,
// automatic reconnection (login again, subscribe again), and typed calls.
import { b64urlEncode } from './b64';
import { Rpc, RpcError } from './rpc';
import { newPostNonce, signLogin, signPost } from './pseudonym';
import { signPoll, signVote, type NewPoll, type Poll, type VoteOpening } from './polls';
import { appealFields, type Appeal, type NotificationPage } from './notify';
import type { ExportPage, SearchRequest } from './search';
import type { ModlogTargetFields } from './staffModlog';

export interface Author {
  handle: string;
  pk: string;
}

export interface Post {
  id: string;
  channel: string;
  parent: string | null;
  author: Author;
  body: string;
  created_at: number;
  nonce: string;
  sig: string;
  reactions: Record<string, number>;
  replies: number;
}

export interface HiddenPost {
  id: string;
  hidden: true;
}

export interface Pseudonym {
  handle: string;
  pk: string;
  since_epoch: number;
  valid_until: number;
  posts: number;
}

/** The crowd under one key: tokens issued under it, pseudonyms certified by it. */
export interface KeyCrowd {
  key_id: string;
  epoch: number;
  issued: number;
  certified: number;
}

/** `anonymity`: the active key's crowd, and (where the server gives it) every key's that is not revoked. */
export interface Anonymity extends KeyCrowd {
  min_crowd: number;
  keys?: KeyCrowd[];
}

/** The crowd under `keyId` as `anonymity` reports it, or null when it does not. */
export function crowdOf(a: Anonymity | null, keyId: string): KeyCrowd | null {
  if (!a) return null;
  if (a.key_id === keyId) return a;
  return a.keys?.find((k) => k.key_id === keyId) ?? null;
}

export interface ModlogEntry {
  id: string;
  at: number;
  action: string;
  target: string;
  reason: string;
  actor_role: string;
}

export const REACTIONS = ['+1', 'heart', 'laugh', 'sad'] as const;
export type Reaction = (typeof REACTIONS)[number];
export const FLAG_REASONS = ['spam', 'harassment', 'doxxing', 'off_topic', 'other'] as const;
export type FlagReason = (typeof FLAG_REASONS)[number];

export interface Channel {
  name: string;
  description: string;
}

/** One page of a list and the opaque cursor for the next one (null at the end). */
export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface FeedRequest {
  channel: string;
  before?: string;
  limit?: number;
}

export interface ThreadRequest {
  post_id: string;
  after?: string;
  limit?: number;
}

export interface Thread {
  post: Post | HiddenPost;
  replies: (Post | HiddenPost)[];
  next: string | null;
}

export type ForumState = 'connecting' | 'online' | 'reconnecting' | 'stopped';

/** `certify` (PROTOCOL.md §6): a token spent on a pseudonym key; all base64url but the handle. */
export interface CertifyRequest {
  key_id: string;
  prefix: string;
  sig: string;
  pseudonym_pk: string;
  handle: string;
}

/** Spends a token on its own fresh /v1/forum connection, then closes it. */
export async function certify(req: CertifyRequest): Promise<Pseudonym> {
  const rpc = await new Rpc('/v1/forum').open();
  try {
    const r = await rpc.call<{ pseudonym: Pseudonym }>('certify', req);
    return r.pseudonym;
  } finally {
    rpc.close();
  }
}

export interface ForumHooks {
  onPush(event: string, data: any): void;
  onState(state: ForumState, detail?: string): void;
  /** Login refused for good (banned, key_expired, unauthenticated): the session stops. */
  onFatal(err: RpcError): void;
}

export async function loginOn(rpc: Rpc, sk: Uint8Array, pk: Uint8Array, issuer: string): Promise<Pseudonym> {
  const { nonce } = await rpc.call<{ nonce: string }>('challenge');
  const r = await rpc.call<{ pseudonym: Pseudonym }>('login', {
    pseudonym_pk: b64urlEncode(pk),
    sig: signLogin(sk, issuer, nonce),
  });
  return r.pseudonym;
}

export interface SubscribeOptions {
  /** Also the channel's polls: created, counts changed, hidden, restored (docs/protocol.md "Polls"). */
  polls?: boolean;
}

function subscribeFields(channel: string, opts: SubscribeOptions): { channel: string; polls?: true } {
  return opts.polls ? { channel, polls: true } : { channel };
}

export class ForumSession {
  private rpc: Rpc | null = null;
  /** Channels subscribed to, and whether their polls too: subscribed again after a reconnect. */
  private subscribed = new Map<string, SubscribeOptions>();
  private stopped = false;
  private retry = 0;
  me: Pseudonym | null = null;

  constructor(
    private readonly sk: Uint8Array,
    private readonly pk: Uint8Array,
    private readonly issuer: string,
    private readonly hooks: ForumHooks,
  ) {}

  /** Connects and logs in; rejects with the server's error if login is refused. */
  async start(): Promise<Pseudonym> {
    this.hooks.onState('connecting');
    const rpc = await new Rpc('/v1/forum').open();
    try {
      this.me = await loginOn(rpc, this.sk, this.pk, this.issuer);
    } catch (e) {
      rpc.close();
      throw e;
    }
    this.attach(rpc);
    this.hooks.onState('online');
    return this.me;
  }

  private attach(rpc: Rpc) {
    this.rpc = rpc;
    this.retry = 0;
    rpc.onPush((ev, data) => this.hooks.onPush(ev, data));
    rpc.onClose((code) => {
      if (this.stopped || this.rpc !== rpc) return;
      this.rpc = null;
      this.hooks.onState('reconnecting', code === 1008 ? 'closed by the server' : undefined);
      this.reconnectSoon();
    });
  }

  private reconnectSoon() {
    const delay = Math.min(30000, 500 * 2 ** this.retry++);
    setTimeout(() => void this.reconnect(), delay);
  }

  private async reconnect() {
    if (this.stopped) return;
    let rpc: Rpc;
    try {
      rpc = await new Rpc('/v1/forum').open();
    } catch {
      this.reconnectSoon();
      return;
    }
    try {
      this.me = await loginOn(rpc, this.sk, this.pk, this.issuer);
    } catch (e) {
      rpc.close();
      if (e instanceof RpcError && ['banned', 'key_expired', 'unauthenticated'].includes(e.code)) {
        this.stop();
        this.hooks.onFatal(e);
      } else this.reconnectSoon();
      return;
    }
    this.attach(rpc);
    for (const [c, o] of this.subscribed) await rpc.call('subscribe', subscribeFields(c, o)).catch(() => undefined);
    this.hooks.onState('online');
    this.hooks.onPush('reconnected', {});
  }

  stop() {
    this.stopped = true;
    this.hooks.onState('stopped');
    this.rpc?.close();
    this.rpc = null;
  }

  private call<T = any>(op: string, fields: object = {}): Promise<T> {
    if (!this.rpc) return Promise.reject(new RpcError('network', 'Reconnecting to the forum…'));
    return this.rpc.call<T>(op, fields);
  }

  /** Live `post`/`post_hidden` events of the channel, and with `polls` its `poll`/`poll_hidden` too. */
  async subscribe(channel: string, opts: SubscribeOptions = {}) {
    this.subscribed.set(channel, opts);
    await this.call('subscribe', subscribeFields(channel, opts));
  }

  async unsubscribe(channel: string) {
    this.subscribed.delete(channel);
    await this.call('unsubscribe', { channel }).catch(() => undefined);
  }

  channels(): Promise<Channel[]> {
    return this.call<{ channels: Channel[] }>('channels').then((r) => r.channels);
  }

  feed(req: FeedRequest): Promise<Page<Post>> {
    return this.call<{ posts: Post[]; next: string | null }>('feed', req).then((r) => ({ items: r.posts, next: r.next ?? null }));
  }

  /** A top-level post and one page of its replies, oldest first (`next` continues with `after`). */
  thread(req: ThreadRequest): Promise<Thread> {
    return this.call<{ post: Post | HiddenPost; replies: (Post | HiddenPost)[]; next?: string | null }>('thread', req).then((r) => ({
      post: r.post,
      replies: r.replies,
      next: r.next ?? null,
    }));
  }

  react(postId: string, reaction: Reaction, on: boolean): Promise<Record<string, number>> {
    return this.call<{ post_id: string; reactions: Record<string, number> }>('react', { post_id: postId, reaction, on }).then(
      (r) => r.reactions,
    );
  }

  flag(postId: string, reason: FlagReason, note?: string): Promise<void> {
    return this.call('flag', { post_id: postId, reason, ...(note ? { note } : {}) }).then(() => undefined);
  }

  /** The author takes its own post back. */
  delete(postId: string): Promise<void> {
    return this.call('delete', { post_id: postId }).then(() => undefined);
  }

  profile(handle: string): Promise<Pseudonym> {
    return this.call<Pseudonym>('profile', { handle });
  }

  anonymity(): Promise<Anonymity> {
    return this.call<Anonymity>('anonymity');
  }

  /** The public moderation log, newest first; entries on a post or a poll say how it stands now. */
  modlog(req: { before?: string; limit?: number } = {}): Promise<Page<ModlogEntry & ModlogTargetFields>> {
    return this.call<{ entries: (ModlogEntry & ModlogTargetFields)[]; next: string | null }>('modlog', req).then((r) => ({
      items: r.entries,
      next: r.next ?? null,
    }));
  }

  /** Visible posts and replies holding every word of the query, newest first. */
  search(req: SearchRequest): Promise<Page<Post>> {
    return this.call<{ posts: Post[]; next: string | null }>('search', req).then((r) => ({ items: r.posts, next: r.next ?? null }));
  }

  /** One page of everything this pseudonym posted, oldest first, with the directory to check it. */
  exportPage(after?: string): Promise<ExportPage> {
    return this.call<ExportPage>('export', after ? { after } : {});
  }

  /** Notifications, newest first, with the unread count. */
  notifications(req: { before?: string; limit?: number } = {}): Promise<NotificationPage> {
    return this.call<NotificationPage>('notifications', req);
  }

  /** Marks notifications read up to `upTo` (all when absent); resolves with the unread count. */
  markRead(upTo?: string): Promise<number> {
    return this.call<{ unread: number }>('notifications.read', upTo ? { up_to: upTo } : {}).then((r) => r.unread);
  }

  /** Appeals a moderation action against this pseudonym, signed by it. */
  appeal(actionId: string, text: string): Promise<Appeal> {
    return this.call<{ appeal: Appeal }>('appeal', appealFields(this.sk, this.pk, this.issuer, actionId, text)).then((r) => r.appeal);
  }

  /** A channel's polls, pinned first, each group newest first. */
  polls(req: FeedRequest): Promise<Page<Poll>> {
    return this.call<{ polls: Poll[]; next: string | null }>('polls', req).then((r) => ({ items: r.polls, next: r.next ?? null }));
  }

  poll(pollId: string): Promise<Poll> {
    return this.call<{ poll: Poll }>('poll.get', { poll_id: pollId }).then((r) => r.poll);
  }

  /** Signs and creates a poll; `nonce` is reused on retry so the server deduplicates. */
  createPoll(p: NewPoll, nonce = newPostNonce()): Promise<Poll> {
    const sig = signPoll(this.sk, this.issuer, p, nonce);
    return this.call<{ poll: Poll }>('poll.create', { ...p, nonce, sig }).then((r) => r.poll);
  }

  /** Signs and sends a vote; `previous` is the opening of the vote it replaces. */
  vote(pollId: string, choice: VoteOpening, previous: VoteOpening | null): Promise<Poll> {
    const sig = signVote(this.sk, this.issuer, pollId, choice, previous);
    const fields = { poll_id: pollId, option: choice.option, salt: choice.salt, ...(previous ? { previous } : {}), sig };
    return this.call<{ poll: Poll }>('poll.vote', fields).then((r) => r.poll);
  }

  /** Signs and sends a post; `nonce` is reused on retry so the server deduplicates. */
  async post(channel: string, parent: string | null, body: string, nonce = newPostNonce()): Promise<Post> {
    const sig = signPost(this.sk, this.issuer, channel, parent, nonce, body);
    const r = await this.call<{ post: Post }>('post', { channel, parent, body, nonce, sig });
    return r.post;
  }
}

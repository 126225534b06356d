// The staff endpoint, typed (PROTOCOL.md §7 and §10, docs/protocol.md
// "Staff"): which service the console is connected to, which sections that
// service and the signed-in account have, and one method per op. The console's
// components keep only state and markup.
import type { DirectoryKey } from './directory';
import type { ModlogEntry } from './forum';
import type { Poll } from './polls';
import type { StaffAppeal } from './notify';
import { Rpc } from './rpc';
import type { SearchRequest } from './search';
import type { FlagItem, StaffThread } from './staff';
import type { ModlogTargetFields } from './staffModlog';
import type { FoundPost } from './staffSearch';

export type ServiceRole = 'all' | 'issuer' | 'forum';
export type StaffRole = 'moderator' | 'admin';

export interface StaffUser {
  username: string;
  role: StaffRole;
}

/** `GET /v1/config` (PROTOCOL.md §10): where each endpoint is, and which role this server has. */
export interface ServiceConfig {
  role: ServiceRole;
  issuer?: string;
  forum?: string;
}

const ROLES: readonly ServiceRole[] = ['all', 'issuer', 'forum'];

export function parseServiceConfig(raw: unknown): ServiceConfig {
  const c = raw as ServiceConfig;
  if (typeof c !== 'object' || c === null || !ROLES.includes(c.role)) throw new Error('The server answered /v1/config without a known role.');
  return {
    role: c.role,
    ...(typeof c.issuer === 'string' ? { issuer: c.issuer } : {}),
    ...(typeof c.forum === 'string' ? { forum: c.forum } : {}),
  };
}

/**
 * The role of the server the console was loaded from. A server that predates
 * roles (version 1, no `/v1/config`: 404) holds both sides, which is `all`.
 */
export async function fetchServiceConfig(): Promise<ServiceConfig> {
  const res = await fetch('/v1/config', { cache: 'no-store', credentials: 'omit' });
  if (res.status === 404) return { role: 'all' };
  if (!res.ok) throw new Error(`Could not read the server's configuration (HTTP ${res.status}).`);
  return parseServiceConfig(await res.json());
}

export type Section = 'flags' | 'search' | 'polls' | 'modlog' | 'keys' | 'roster' | 'staff' | 'channels' | 'audit' | 'password';

interface SectionInfo {
  id: Section;
  label: string;
  /** The service role whose ops the section uses; null: every role (staff accounts, audit, own password). */
  service: 'issuer' | 'forum' | null;
  admin: boolean;
}

/** In the order of the console's navigation. */
export const SECTIONS: readonly SectionInfo[] = [
  { id: 'flags', label: 'Flag queue', service: 'forum', admin: false },
  { id: 'search', label: 'Search', service: 'forum', admin: false },
  { id: 'polls', label: 'Polls', service: 'forum', admin: false },
  { id: 'modlog', label: 'Moderation log', service: 'forum', admin: false },
  { id: 'keys', label: 'Keys', service: 'issuer', admin: true },
  { id: 'roster', label: 'Roster', service: 'issuer', admin: true },
  { id: 'staff', label: 'Staff accounts', service: null, admin: true },
  { id: 'channels', label: 'Channels', service: 'forum', admin: true },
  { id: 'audit', label: 'Audit log', service: null, admin: true },
  { id: 'password', label: 'My password', service: null, admin: false },
];

/**
 * The sections shown for a service role and a staff role: an issuer has the
 * roster, keys, staff and audit; a forum the flags, search, polls, moderation
 * log, channels, staff and audit; `all` everything. Moderators see only the moderation
 * sections, and everybody their own password.
 */
export function sectionsFor(service: ServiceRole, staff: StaffRole): SectionInfo[] {
  return SECTIONS.filter((s) => (s.service === null || service === 'all' || s.service === service) && (!s.admin || staff === 'admin'));
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

export type StaffModlogEntry = ModlogEntry & ModlogTargetFields;

/** A staff audit log entry (docs/protocol.md "Staff"): staff actions are not pseudonymous, so `at` is exact. */
export interface AuditEntry {
  id: string;
  at: number;
  actor: string;
  role: StaffRole;
  action: string;
  target: string;
  detail: string;
}

export interface KeyRotation {
  bits: number;
  issue_days: number;
  accept_days: number;
  reason?: string;
}

const PAGE = 50;
const paging = (before?: string) => ({ limit: PAGE, ...(before ? { before } : {}) });

/** One signed-in staff connection. */
export class StaffApi {
  private constructor(
    private readonly rpc: Rpc,
    readonly user: StaffUser,
  ) {}

  /** Opens `/v1/staff` and signs in; the connection is closed again if that fails. */
  static async signIn(username: string, password: string): Promise<StaffApi> {
    const rpc = await new Rpc('/v1/staff').open();
    try {
      const u = await rpc.call<StaffUser>('login', { username, password });
      return new StaffApi(rpc, { username: u.username, role: u.role });
    } catch (e) {
      rpc.close();
      throw e;
    }
  }

  onClose(l: () => void): () => void {
    return this.rpc.onClose(() => l());
  }

  close() {
    this.rpc.close();
  }

  /** The key directory as this endpoint shows it (unverified: verify before use). */
  keys(): Promise<unknown> {
    return this.rpc.call('keys');
  }

  async flags(before?: string): Promise<Page<FlagItem>> {
    const r = await this.rpc.call<{ items: FlagItem[]; next: string | null }>('flags', paging(before));
    return { items: r.items, next: r.next };
  }

  thread(postId: string): Promise<StaffThread> {
    return this.rpc.call<StaffThread>('thread', { post_id: postId });
  }

  /** Posts and replies holding every word, newest first, hidden ones too (marked); deleted ones never. */
  async search(r: SearchRequest): Promise<Page<FoundPost>> {
    const res = await this.rpc.call<{ posts: FoundPost[]; next: string | null }>('search', r);
    return { items: res.posts, next: res.next };
  }

  async hide(postId: string, reason: string): Promise<void> {
    await this.rpc.call('hide', { post_id: postId, reason });
  }

  async restore(postId: string, reason: string): Promise<void> {
    await this.rpc.call('restore', { post_id: postId, reason });
  }

  async dismiss(postId: string): Promise<void> {
    await this.rpc.call('dismiss', { post_id: postId });
  }

  /** Open appeals, oldest first (docs/protocol.md "Appeals"). */
  async appeals(before?: string): Promise<Page<StaffAppeal>> {
    const r = await this.rpc.call<{ items: StaffAppeal[]; next: string | null }>('appeals', paging(before));
    return { items: r.items, next: r.next };
  }

  /** Upholds or overturns an appeal (a moderator other than the one who acted). */
  async decideAppeal(actionId: string, outcome: 'uphold' | 'overturn', reason: string): Promise<StaffAppeal> {
    return (await this.rpc.call<{ appeal: StaffAppeal }>('appeal.decide', { action_id: actionId, outcome, reason })).appeal;
  }

  /** Bans until `until` (Unix seconds; the server clamps it to the pseudonym's validity) or, without it, to the end of that validity. */
  ban(handle: string, reason: string, until?: number): Promise<{ handle: string; until: number }> {
    return this.rpc.call('ban', { handle, reason, ...(until !== undefined ? { until } : {}) });
  }

  async unban(handle: string, reason: string): Promise<void> {
    await this.rpc.call('unban', { handle, reason });
  }

  async modlog(before?: string): Promise<Page<StaffModlogEntry>> {
    const r = await this.rpc.call<{ entries: StaffModlogEntry[]; next: string | null }>('modlog', paging(before));
    return { items: r.entries, next: r.next };
  }

  async audit(before?: string): Promise<Page<AuditEntry>> {
    const r = await this.rpc.call<{ entries: AuditEntry[]; next: string | null }>('audit', paging(before));
    return { items: r.entries, next: r.next };
  }

  /** Answers the new directory (unverified). */
  rotate(k: KeyRotation): Promise<unknown> {
    return this.rpc.call('keys.rotate', { bits: k.bits, issue_days: k.issue_days, accept_days: k.accept_days, ...(k.reason ? { reason: k.reason } : {}) });
  }

  /** Answers the new directory (unverified). */
  revoke(key: Pick<DirectoryKey, 'key_id'>, reason: string): Promise<unknown> {
    return this.rpc.call('keys.revoke', { key_id: key.key_id, reason });
  }

  /** The enrollment code of each imported employee id, shown only this once. */
  async importRoster(employeeIds: string[]): Promise<Record<string, string>> {
    return (await this.rpc.call<{ codes: Record<string, string> }>('roster.import', { employees: employeeIds })).codes;
  }

  async removeEmployee(employeeId: string): Promise<void> {
    await this.rpc.call('roster.remove', { employee_id: employeeId });
  }

  async staffList(): Promise<StaffUser[]> {
    return (await this.rpc.call<{ staff: StaffUser[] }>('staff.list')).staff;
  }

  async addStaff(username: string, role: StaffRole, password: string): Promise<void> {
    await this.rpc.call('staff.add', { username, role, password });
  }

  async removeStaff(username: string): Promise<void> {
    await this.rpc.call('staff.remove', { username });
  }

  /** Changes the signed-in account's own password. */
  async changePassword(oldPassword: string, newPassword: string): Promise<void> {
    await this.rpc.call('staff.passwd', { old_password: oldPassword, new_password: newPassword });
  }

  async channels(): Promise<{ name: string; description: string }[]> {
    return (await this.rpc.call<{ channels: { name: string; description: string }[] }>('channels')).channels;
  }

  /** A channel's polls, pinned first, each group newest first. */
  async polls(channel: string, before?: string): Promise<Page<Poll>> {
    const r = await this.rpc.call<{ polls: Poll[]; next: string | null }>('polls', { channel, ...paging(before) });
    return { items: r.polls, next: r.next };
  }

  async pinPoll(pollId: string, pinned: boolean): Promise<void> {
    await this.rpc.call('poll.pin', { poll_id: pollId, pinned });
  }

  /** Takes a poll out of its channel (it takes no votes while hidden); logged publicly with the reason, and its author told. */
  async hidePoll(pollId: string, reason: string): Promise<void> {
    await this.rpc.call('poll.hide', { poll_id: pollId, reason });
  }

  async restorePoll(pollId: string, reason: string): Promise<void> {
    await this.rpc.call('poll.restore', { poll_id: pollId, reason });
  }

  async addChannel(name: string, description: string): Promise<void> {
    await this.rpc.call('channels.add', { name, description });
  }
}

/** PROTOCOL.md §2: staff usernames. */
export const STAFF_USERNAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** PROTOCOL.md §2: channel names. */
export const CHANNEL_NAME = /^[a-z0-9-]{1,32}$/;
/** The longest moderation reason the server takes, in code points (an input's maxLength counts UTF-16 units: it stops sooner). */
export const MAX_REASON = 1000;
/** PROTOCOL.md §5: the shortest password the server takes. */
export const MIN_PASSWORD = 10;

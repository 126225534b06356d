import { describe, expect, it } from 'vitest';
import { activeKeySummary, shortKeyId, type DirectoryKey } from '../src/lib/directory';
import type { Post } from '../src/lib/forum';
import { flagNotes, threadEntries, type StaffThread } from '../src/lib/staff';

function post(id: string, parent: string | null, body: string, extra: Partial<Post> & { hidden?: boolean } = {}): Post & { hidden?: boolean } {
  return {
    id,
    channel: 'general',
    parent,
    author: { handle: `h_${id}`, pk: 'pk' },
    body,
    created_at: 1_700_000_000,
    nonce: 'n'.repeat(16),
    sig: 's',
    reactions: { '+1': 0, heart: 0, laugh: 0, sad: 0 },
    replies: 0,
    ...extra,
  };
}

describe('flag notes', () => {
  it('keeps non-empty notes in order, trimmed', () => {
    expect(flagNotes({ notes: ['  he posted my address ', '', '   ', 'again\nand again'] })).toEqual(['he posted my address', 'again\nand again']);
  });
  it('is empty when the server sends none (older servers) or junk', () => {
    expect(flagNotes({})).toEqual([]);
    expect(flagNotes({ notes: null as unknown as string[] })).toEqual([]);
    expect(flagNotes({ notes: [3, 'ok'] as unknown as string[] })).toEqual(['ok']);
  });
});

describe('thread context for a flagged post', () => {
  const t: StaffThread = {
    post: post('p1', null, 'top'),
    replies: [post('r1', 'p1', 'first'), { id: 'r2', hidden: true }, post('r3', 'p1', 'rude', { hidden: true })],
  };

  it('lists the top post then the replies oldest first, marking the flagged reply', () => {
    const e = threadEntries(t, 'r3');
    expect(e.map((x) => x.id)).toEqual(['p1', 'r1', 'r2', 'r3']);
    expect(e.map((x) => x.reply)).toEqual([false, true, true, true]);
    expect(e.filter((x) => x.flagged).map((x) => x.id)).toEqual(['r3']);
  });

  it('tells a moderator-hidden post (shown in full) from one its author deleted (nothing left)', () => {
    const e = threadEntries(t, 'p1');
    expect(e.map((x) => x.state)).toEqual(['visible', 'visible', 'deleted', 'hidden']);
    expect(e[2].post).toBeNull();
    expect(e[3].post?.body).toBe('rude');
    expect(e[0].flagged).toBe(true);
  });

  it('handles a deleted top-level post', () => {
    const e = threadEntries({ post: { id: 'p9', hidden: true }, replies: [post('r9', 'p9', 'still here')] }, 'r9');
    expect(e[0]).toMatchObject({ id: 'p9', state: 'deleted', post: null, reply: false, flagged: false });
    expect(e[1]).toMatchObject({ id: 'r9', state: 'visible', flagged: true });
  });
});

describe('active key in the footer', () => {
  const key: DirectoryKey = {
    key_id: 'AbCdEfGh_-ijklmnopqrstuvwxyz0123456789ABCDE',
    spki: 'x',
    bits: 2048,
    epoch: 3,
    issue_from: 0,
    issue_until: 1,
    accept_until: 2,
    state: 'active',
  };
  it('shows the first 8 base64url characters of the key id and its epoch', () => {
    expect(shortKeyId(key.key_id)).toBe('AbCdEfGh');
    expect(activeKeySummary({ active: key })).toEqual({ short: 'AbCdEfGh', key_id: key.key_id, epoch: 3 });
  });
  it('says nothing when there is no active key', () => {
    expect(activeKeySummary({ active: null })).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { CLOSE_MARGIN_MS, appendPolls, mergePoll, nextCloseCheck, pollOrder, type Poll } from '../src/lib/polls';

function poll(id: string, extra: Partial<Poll> = {}): Poll {
  return {
    id,
    channel: 'general',
    author: { handle: 'a', pk: 'pk' },
    question: `Q${id}`,
    options: ['Yes', 'No'],
    created_at: 1767225600,
    closes_at: 1767312000,
    live: true,
    pinned: false,
    key_id: 'k',
    nonce: 'n',
    sig: 's',
    closed: false,
    votes: 0,
    min_crowd: 3,
    results: null,
    withheld: 'too_few_votes',
    ...extra,
  };
}
const ids = (l: Poll[]) => l.map((p) => p.id);
/** What a push carries: no `voted`. */
function pushed(id: string, extra: Partial<Poll> = {}): Poll {
  const p = poll(id, extra);
  delete p.voted;
  return p;
}

describe('a channel’s polls: pinned first, then newest first', () => {
  it('orders by pin, then by id (creation order), newest first', () => {
    const l = [poll('0000000000000002'), poll('0000000000000009', { pinned: true }), poll('000000000000000a'), poll('0000000000000001', { pinned: true })];
    expect(ids([...l].sort(pollOrder))).toEqual(['0000000000000009', '0000000000000001', '000000000000000a', '0000000000000002']);
  });
});

describe('mergePoll: a pushed poll merged into the loaded list', () => {
  const list = [
    poll('0000000000000005', { pinned: true, voted: true }),
    poll('0000000000000008', { voted: false }),
    poll('0000000000000004', { voted: true }),
  ];

  it('a new poll goes after the pinned ones, before older unpinned ones', () => {
    const out = mergePoll(list, pushed('0000000000000009'), true);
    expect(ids(out)).toEqual(['0000000000000005', '0000000000000009', '0000000000000008', '0000000000000004']);
    expect('voted' in out[1]).toBe(false);
    expect(list.length).toBe(3);
  });

  it('new counts replace the old, in place, keeping the reader’s voted', () => {
    const out = mergePoll(list, pushed('0000000000000004', { votes: 3, results: [2, 1], withheld: null }), false);
    expect(ids(out)).toEqual(ids(list));
    expect(out[2]).toMatchObject({ votes: 3, results: [2, 1], withheld: null, voted: true });
    const again = mergePoll(out, pushed('0000000000000008', { votes: 1 }), false);
    expect(again[1]).toMatchObject({ votes: 1, voted: false });
    expect(again.filter((p) => p.id === '0000000000000008')).toHaveLength(1);
  });

  it('a voted the push does carry wins', () => {
    expect(mergePoll(list, { ...pushed('0000000000000004'), voted: false }, true)[2].voted).toBe(false);
  });

  it('a restored poll returns to its place with what the reader knew of its vote', () => {
    const out = mergePoll(list, pushed('0000000000000006', { votes: 4 }), true, true);
    expect(ids(out)).toEqual(['0000000000000005', '0000000000000008', '0000000000000006', '0000000000000004']);
    expect(out[2].voted).toBe(true);
  });

  it('a poll that sorts after every loaded one waits for its page when more pages follow', () => {
    expect(mergePoll(list, pushed('0000000000000002'), false)).toBe(list);
    expect(ids(mergePoll(list, pushed('0000000000000002'), true))).toEqual([...ids(list), '0000000000000002']);
    // One already loaded stays, even as the last.
    expect(mergePoll(list, pushed('0000000000000004', { votes: 7 }), false)[2].votes).toBe(7);
  });

  it('a poll whose pin changed moves to its new place', () => {
    const out = mergePoll(list, pushed('0000000000000004', { pinned: true }), false);
    expect(ids(out)).toEqual(['0000000000000005', '0000000000000004', '0000000000000008']);
    expect(out[1].voted).toBe(true);
  });

  it('into an empty list', () => {
    expect(ids(mergePoll([], pushed('0000000000000001'), true))).toEqual(['0000000000000001']);
    expect(mergePoll([], pushed('0000000000000001'), false)).toEqual([]);
  });
});

describe('appendPolls', () => {
  it('adds a later page without the polls already shown', () => {
    const l = [poll('0000000000000009'), poll('0000000000000007')];
    expect(ids(appendPolls(l, [poll('0000000000000007'), poll('0000000000000003')]))).toEqual([
      '0000000000000009',
      '0000000000000007',
      '0000000000000003',
    ]);
  });
});

describe('when a shown list asks for its polls again at their close', () => {
  it('is the first open poll’s closing time plus the margin; closed polls do not count', () => {
    const l = [poll('01', { closes_at: 2000 }), poll('02', { closes_at: 1000, closed: true }), poll('03', { closes_at: 1500 })];
    expect(nextCloseCheck(l, new Map())).toBe(1500 * 1000 + CLOSE_MARGIN_MS);
  });
  it('waits for the recheck time of a poll the server still called open', () => {
    const l = [poll('01', { closes_at: 2000 }), poll('03', { closes_at: 1500 })];
    expect(nextCloseCheck(l, new Map([['03', 1_900_000]]))).toBe(1_900_000);
    expect(nextCloseCheck(l, new Map([['03', 9_000_000]]))).toBe(2000 * 1000 + CLOSE_MARGIN_MS);
  });
  it('is null when nothing is open', () => {
    expect(nextCloseCheck([poll('01', { closed: true })], new Map())).toBeNull();
    expect(nextCloseCheck([], new Map())).toBeNull();
  });
});

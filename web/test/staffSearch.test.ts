import { describe, expect, it } from 'vitest';
import { sectionsFor } from '../src/lib/staffOps';
import { appendPage, emptyNote, markHidden, searchRequest, type FoundPost } from '../src/lib/staffSearch';

function found(id: string, hidden?: boolean): FoundPost {
  return {
    id,
    channel: 'general',
    parent: null,
    author: { handle: `h_${id}`, pk: 'pk' },
    body: `body ${id}`,
    created_at: 1_700_000_000,
    nonce: 'n'.repeat(16),
    sig: 's',
    reactions: {},
    replies: 0,
    ...(hidden ? { hidden: true } : {}),
  };
}

describe('the staff search request', () => {
  it('names a channel only when one is chosen, and a cursor only for a further page', () => {
    expect(searchRequest({ query: 'rota', channel: '' })).toEqual({ query: 'rota', limit: 20 });
    expect(searchRequest({ query: 'rota', channel: 'general' })).toEqual({ query: 'rota', channel: 'general', limit: 20 });
    expect(searchRequest({ query: 'rota', channel: 'general' }, 'c1')).toEqual({ query: 'rota', channel: 'general', limit: 20, before: 'c1' });
    expect(searchRequest({ query: 'rota', channel: '' }, '')).toEqual({ query: 'rota', limit: 20 });
  });
});

describe('staff search results', () => {
  it('adds a further page after the shown results, a post already shown only once', () => {
    const shown = [found('a'), found('b')];
    expect(appendPage(shown, [found('b'), found('c', true)]).map((p) => [p.id, p.hidden ?? false])).toEqual([
      ['a', false],
      ['b', false],
      ['c', true],
    ]);
    expect(shown.map((p) => p.id)).toEqual(['a', 'b']);
  });

  it('marks one post hidden, and restored, leaving the others as they were', () => {
    const shown = [found('a'), found('b', true)];
    const hid = markHidden(shown, 'a', true);
    expect(hid.map((p) => p.hidden ?? false)).toEqual([true, true]);
    expect(hid[1]).toBe(shown[1]);
    const back = markHidden(hid, 'a', false);
    expect('hidden' in back[0]).toBe(false);
    expect(back[0].body).toBe('body a');
    expect(markHidden(shown, 'b', false)[1].hidden).toBeUndefined();
    expect(shown[0].hidden).toBeUndefined();
  });

  it('says nothing holds the words only when the search has nothing more to look through', () => {
    expect(emptyNote(0, null)).toBe('No posts hold these words.');
    expect(emptyNote(0, 'c1')).toMatch(/More results looks further/);
    expect(emptyNote(3, null)).toBeNull();
    expect(emptyNote(3, 'c1')).toBeNull();
  });
});

describe('the Search section', () => {
  it('is there for moderators and admins of a forum, not on an issuer', () => {
    const ids = (s: ReturnType<typeof sectionsFor>) => s.map((x) => x.id);
    expect(ids(sectionsFor('forum', 'moderator'))).toEqual(['flags', 'search', 'polls', 'modlog', 'password']);
    expect(ids(sectionsFor('all', 'admin'))).toContain('search');
    expect(ids(sectionsFor('issuer', 'admin'))).not.toContain('search');
  });
});

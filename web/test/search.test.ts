import { describe, expect, it } from 'vitest';
import { EXPORT_FORMAT, collectExport, exportFileName, queryWords, searchRequest, type ExportPage } from '../src/lib/search';

describe('search queries are counted in words as the server counts them', () => {
  it('splits on anything but letters and digits, ASCII case folded, non-ASCII kept whole', () => {
    expect(queryWords('Hello, WORLD! 42x')).toEqual(['hello', 'world', '42x']);
    expect(queryWords('café-Straße')).toEqual(['café', 'straße']);
    expect(queryWords(' ?! ... ')).toEqual([]);
  });
});

describe('Export my posts', () => {
  it('names the file by the date alone', () => {
    expect(exportFileName(new Date('2026-12-04T23:59:00Z'))).toBe('hearth-export-2026-12-04.json');
  });

  it('asks for every page and keeps the first page’s directory and pseudonym', async () => {
    const page = (ids: string[], next: string | null): ExportPage => ({
      issuer: 'hearth-test',
      pseudonym: { handle: 'h', pk: 'pk', since_epoch: 1, valid_until: 2, posts: 3 },
      certifications: [{ key_id: 'k', epoch: 1, accept_until: 2 }],
      directory: { seq: 1 },
      posts: ids.map((id) => ({ id }) as any),
      next,
    });
    const asked: (string | undefined)[] = [];
    const file = await collectExport(async (after) => {
      asked.push(after);
      return after === undefined ? page(['1', '2'], 'c1') : after === 'c1' ? page(['3'], 'c2') : page([], null);
    });
    expect(asked).toEqual([undefined, 'c1', 'c2']);
    expect(file.format).toBe(EXPORT_FORMAT);
    expect(file.posts.map((p) => p.id)).toEqual(['1', '2', '3']);
    expect(file.issuer).toBe('hearth-test');
    expect(file.directory).toEqual({ seq: 1 });
  });
});

describe('search requests', () => {
  it('name the channel only when one is chosen, and a later page keeps query and channel', () => {
    expect(searchRequest('zanzibar', null, 20)).toEqual({ query: 'zanzibar', limit: 20 });
    expect(searchRequest('zanzibar', 'random', 20)).toEqual({ query: 'zanzibar', channel: 'random', limit: 20 });
    expect(searchRequest('zanzibar', 'random', 20, 'CUR')).toEqual({ query: 'zanzibar', channel: 'random', limit: 20, before: 'CUR' });
  });
});

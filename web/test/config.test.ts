import { afterEach, describe, expect, it } from 'vitest';
import { endpoints, parseEndpoints, resetEndpoints } from '../src/lib/config';
import { resolveEndpoint } from '../src/lib/rpc';

const forumPage = { protocol: 'https:', host: 'forum.example' };

describe('GET /v1/config: where the issuer and the forum are (PROTOCOL.md §10)', () => {
  it('takes the issuer on another origin from the config', () => {
    expect(parseEndpoints({ role: 'forum', issuer: 'wss://issuer.corp.example/v1/issuer', forum: 'wss://forum.example/v1/forum' }, forumPage)).toEqual({
      role: 'forum',
      issuer: 'wss://issuer.corp.example/v1/issuer',
      forum: 'wss://forum.example/v1/forum',
    });
  });

  it('falls back to this origin for an absent field, or no config at all', () => {
    expect(parseEndpoints({ role: 'all' }, forumPage)).toEqual({
      role: 'all',
      issuer: 'wss://forum.example/v1/issuer',
      forum: 'wss://forum.example/v1/forum',
    });
    expect(parseEndpoints(null, { protocol: 'http:', host: '127.0.0.1:8080' })).toEqual({
      role: null,
      issuer: 'ws://127.0.0.1:8080/v1/issuer',
      forum: 'ws://127.0.0.1:8080/v1/forum',
    });
  });

  it('uses only ws(s) URLs without credentials, and never ws: under an https page', () => {
    for (const bad of ['https://issuer.example/v1/issuer', 'ws://issuer.example/v1/issuer', 'wss://u:p@issuer.example/v1/issuer', 'not a url', 42]) {
      expect(parseEndpoints({ role: 'forum', issuer: bad }, forumPage).issuer).toBe('wss://forum.example/v1/issuer');
    }
    expect(parseEndpoints({ issuer: 'ws://127.0.0.2:8080/v1/issuer' }, { protocol: 'http:', host: '127.0.0.1:8080' }).issuer).toBe(
      'ws://127.0.0.2:8080/v1/issuer',
    );
  });
});

describe('the client asks the page’s origin once', () => {
  const g = globalThis as any;
  const saved = { fetch: g.fetch, location: g.location };
  afterEach(() => {
    g.fetch = saved.fetch;
    g.location = saved.location;
    resetEndpoints();
  });

  it('connects the issuer where the config says, the staff console on this origin', async () => {
    const asked: [string, RequestInit | undefined][] = [];
    g.location = { protocol: 'http:', host: '127.0.0.1:8080' };
    g.fetch = async (url: string, init?: RequestInit) => {
      asked.push([url, init]);
      return new Response(JSON.stringify({ role: 'forum', issuer: 'ws://127.0.0.2:9090/v1/issuer', forum: 'ws://127.0.0.1:8080/v1/forum' }));
    };
    resetEndpoints();
    expect(await resolveEndpoint('/v1/issuer')).toBe('ws://127.0.0.2:9090/v1/issuer');
    expect(await resolveEndpoint('/v1/forum')).toBe('ws://127.0.0.1:8080/v1/forum');
    expect(await resolveEndpoint('/v1/staff')).toBe('ws://127.0.0.1:8080/v1/staff');
    expect(asked).toHaveLength(1);
    expect(asked[0][0]).toBe('/v1/config');
    expect(asked[0][1]?.credentials).toBe('omit');
  });

  it('a server without /v1/config means this origin; a failed request is asked again', async () => {
    g.location = { protocol: 'http:', host: '127.0.0.1:8080' };
    let calls = 0;
    g.fetch = async () => {
      calls++;
      if (calls === 1) throw new TypeError('network down');
      return new Response('not found', { status: 404 });
    };
    resetEndpoints();
    expect((await endpoints()).issuer).toBe('ws://127.0.0.1:8080/v1/issuer');
    expect((await endpoints()).issuer).toBe('ws://127.0.0.1:8080/v1/issuer');
    await endpoints();
    expect(calls).toBe(2);
  });
});

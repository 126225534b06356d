// Where the endpoints are (PROTOCOL.md §10): `GET /v1/config` on the origin
// the page was loaded from names the issuer's and the forum's WebSocket URLs.
// The issuer may be another service on another origin (the employer's), the
// forum this one. A field that is absent, or a server without /v1/config,
// means this origin's own `/v1/issuer` and `/v1/forum`.

export type ServiceRole = 'all' | 'issuer' | 'forum';

export interface Endpoints {
  /** The role of the server the page came from; null when it does not say. */
  role: ServiceRole | null;
  issuer: string;
  forum: string;
}

/** This origin's own endpoint for `path`, ws: or wss: to match the page. */
export function sameOrigin(path: string, loc: { protocol: string; host: string } = location): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}${path}`;
}

/**
 * A WebSocket URL from the config, or null when it is not one the client
 * will use: only ws: and wss:, no credentials in it, and never ws: from a
 * page loaded over https (that would send the employer sign-in in the clear).
 */
function wsUrl(value: unknown, pageProtocol: string): string | null {
  if (typeof value !== 'string') return null;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return null;
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') return null;
  if (u.username || u.password) return null;
  if (pageProtocol === 'https:' && u.protocol !== 'wss:') return null;
  return u.href;
}

/** Reads a `/v1/config` answer; anything unusable falls back to this origin. */
export function parseEndpoints(raw: unknown, loc: { protocol: string; host: string } = location): Endpoints {
  const c = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const role = c.role === 'all' || c.role === 'issuer' || c.role === 'forum' ? c.role : null;
  return {
    role,
    issuer: wsUrl(c.issuer, loc.protocol) ?? sameOrigin('/v1/issuer', loc),
    forum: wsUrl(c.forum, loc.protocol) ?? sameOrigin('/v1/forum', loc),
  };
}

let loaded: Promise<Endpoints> | null = null;

/**
 * The endpoints, asked once per page (without credentials). A server without
 * /v1/config (404) is taken at its word; a failed request is asked again next
 * time, and meanwhile this origin is used.
 */
export function endpoints(): Promise<Endpoints> {
  loaded ??= (async () => {
    const res = await fetch('/v1/config', { cache: 'no-store', credentials: 'omit' });
    if (!res.ok && res.status !== 404) throw new Error(`HTTP ${res.status}`);
    return parseEndpoints(res.ok ? await res.json() : null);
  })();
  return loaded.catch(() => {
    loaded = null;
    return parseEndpoints(null);
  });
}

/** Forgets the answer (tests, or after the page learns the server changed). */
export function resetEndpoints() {
  loaded = null;
}

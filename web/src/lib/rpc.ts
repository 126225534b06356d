// One WebSocket to a hearth endpoint, speaking the §2 envelope: requests carry
// an integer id, responses are matched by id (in any order), and pushes
// ({"event", "data"}) go to listeners.

import { endpoints, sameOrigin } from './config';

export type Endpoint = '/v1/issuer' | '/v1/forum' | '/v1/staff';

export class RpcError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message || code);
    this.name = 'RpcError';
  }
}

/** This origin's own URL of an endpoint. */
export function endpointUrl(path: Endpoint, loc: { protocol: string; host: string } = location): string {
  return sameOrigin(path, loc);
}

/**
 * Where an endpoint is: the issuer and the forum where `GET /v1/config` says
 * (PROTOCOL.md §10; the issuer may be another service), staff on this origin.
 */
export async function resolveEndpoint(path: Endpoint): Promise<string> {
  if (path === '/v1/staff') return endpointUrl(path);
  const e = await endpoints();
  return path === '/v1/issuer' ? e.issuer : e.forum;
}

type Pending = { resolve: (v: any) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> };
type PushListener = (event: string, data: any) => void;

export class Rpc {
  private ws: WebSocket | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private listeners = new Set<PushListener>();
  private closeListeners = new Set<(code: number, reason: string) => void>();
  closed = false;

  constructor(
    readonly path: Endpoint,
    private readonly timeoutMs = 30000,
  ) {}

  /** Opens the connection; resolves once it is open. */
  async open(): Promise<this> {
    const url = await resolveEndpoint(this.path);
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      this.ws = ws;
      let opened = false;
      ws.onopen = () => {
        opened = true;
        resolve(this);
      };
      ws.onmessage = (ev) => this.onMessage(ev.data);
      ws.onerror = () => {
        if (!opened) reject(new RpcError('network', `Could not connect to ${this.path}.`));
      };
      ws.onclose = (ev) => {
        this.closed = true;
        if (!opened) reject(new RpcError('network', `Could not connect to ${this.path}.`));
        const err = new RpcError('network', describeClose(ev.code));
        for (const p of this.pending.values()) {
          clearTimeout(p.timer);
          p.reject(err);
        }
        this.pending.clear();
        for (const l of this.closeListeners) l(ev.code, ev.reason);
      };
    });
  }

  call<T = any>(op: string, fields: object = {}): Promise<T> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new RpcError('network', 'Not connected.'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RpcError('timeout', `No answer to ${op}.`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      ws.send(JSON.stringify({ ...fields, id, op }));
    });
  }

  onPush(l: PushListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  onClose(l: (code: number, reason: string) => void): () => void {
    this.closeListeners.add(l);
    return () => this.closeListeners.delete(l);
  }

  close() {
    this.closed = true;
    this.ws?.close(1000);
  }

  /** Resolves once the socket has fully closed (used to separate issue from certify). */
  closeAndWait(): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => resolve();
      ws.addEventListener('close', done, { once: true });
      setTimeout(done, 3000);
      this.close();
    });
  }

  private onMessage(data: unknown) {
    if (typeof data !== 'string') return;
    let msg: any;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof msg !== 'object' || msg === null) return;
    if (typeof msg.event === 'string' && !('id' in msg)) {
      for (const l of this.listeners) {
        try {
          l(msg.event, msg.data);
        } catch (e) {
          console.error(e);
        }
      }
      return;
    }
    const p = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
    if (!p) return;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.ok === true) p.resolve(msg.result ?? {});
    else p.reject(new RpcError(msg.error?.code ?? 'internal', msg.error?.message ?? 'The server refused.'));
  }
}

function describeClose(code: number): string {
  switch (code) {
    case 1008:
      return 'The server closed the connection (policy: banned, or too slow to keep up).';
    case 1009:
      return 'The server closed the connection: message too large.';
    case 1000:
    case 1001:
      return 'Connection closed.';
    default:
      return `Connection lost (${code}).`;
  }
}

/** Human text for the protocol's error codes, for messages shown to people. */
export function explain(e: unknown): string {
  if (e instanceof RpcError) {
    const base: Record<string, string> = {
      rate_limited: 'Too many attempts. Wait a little and try again.',
      quota_exhausted: 'You already received your pseudonym token for the current key.',
      token_spent: 'This token was already used.',
      invalid_signature: 'The server rejected the signature.',
      forbidden: 'You are not allowed to do that.',
    };
    return base[e.code] ? `${base[e.code]} (${e.message})` : e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

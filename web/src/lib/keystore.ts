import type { BlindingState } from './issuer';
import { forgetAllReacted } from './reacted';
import { forgetAllVotes } from './polls';

// The pseudonym's secret stays in this browser, in IndexedDB. Records:
//   'pseudonym' – the certified pseudonym (seed, public key, handle)
//   'blinding'  – a blinded request sent to `issue` whose answer has not been
//                 finalized yet (so a lost answer can be asked for again)
//   'pending'   – a finalized token not yet spent by `certify`, with the
//                 moment it is to be spent (lib/schedule.ts); kept so that a
//                 reload, a closed page or a taken handle wastes nothing
//   'fetch'     – the moment drawn for fetching the next token under the
//                 current key (drawn once per key, lib/schedule.ts)

export interface StoredPseudonym {
  sk: Uint8Array;
  pk: string;
  handle: string;
  issuer: string;
  master_key: string;
  /** The certification's end as last seen at login (Unix seconds); absent until then. */
  valid_until?: number;
}

export interface PendingToken {
  sk: Uint8Array;
  pk: string;
  key_id: string;
  prefix: string;
  sig: string;
  /** true when it renews an existing pseudonym rather than creating one. */
  renewal: boolean;
  /** The handle to certify a new pseudonym with (ignored by the server on renewal). */
  handle: string;
  /** When certify is to be sent (ms since the epoch, not a whole number): the unlinking delay. */
  certify_after: number;
  /** When the token arrived (ms). */
  fetched_at: number;
  /**
   * The employee chose to go faster than the schedule (and was told the crowd
   * size): certify at `certify_after` even under a young key or a small crowd.
   */
  hurry: boolean;
}

/** The moment drawn to fetch the next token under one key. */
export interface FetchPlan {
  key_id: string;
  fetch_at: number;
}

export interface StoredBlinding extends BlindingState {
  sk: Uint8Array;
  pk: string;
  renewal: boolean;
}

const DB = 'hearth';
const STORE = 'kv';

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB unavailable'));
  });
}

async function tx<T>(mode: IDBTransactionMode, run: (s: IDBObjectStore) => IDBRequest<T> | void): Promise<T | undefined> {
  const db = await openDb();
  try {
    return await new Promise<T | undefined>((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const req = run(t.objectStore(STORE));
      t.oncomplete = () => resolve(req ? req.result : undefined);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error ?? new Error('IndexedDB transaction aborted'));
    });
  } finally {
    db.close();
  }
}

export const keystore = {
  async getPseudonym(): Promise<StoredPseudonym | null> {
    return ((await tx('readonly', (s) => s.get('pseudonym'))) as StoredPseudonym | undefined) ?? null;
  },
  async putPseudonym(p: StoredPseudonym) {
    await tx('readwrite', (s) => {
      s.put(p, 'pseudonym');
    });
  },
  async getPending(): Promise<PendingToken | null> {
    return ((await tx('readonly', (s) => s.get('pending'))) as PendingToken | undefined) ?? null;
  },
  async putPending(p: PendingToken) {
    await tx('readwrite', (s) => {
      s.put(p, 'pending');
    });
  },
  async getFetchPlan(): Promise<FetchPlan | null> {
    return ((await tx('readonly', (s) => s.get('fetch'))) as FetchPlan | undefined) ?? null;
  },
  async putFetchPlan(f: FetchPlan) {
    await tx('readwrite', (s) => {
      s.put(f, 'fetch');
    });
  },
  async getBlinding(): Promise<StoredBlinding | null> {
    return ((await tx('readonly', (s) => s.get('blinding'))) as StoredBlinding | undefined) ?? null;
  },
  async putBlinding(b: StoredBlinding) {
    await tx('readwrite', (s) => {
      s.put(b, 'blinding');
    });
  },
  async clearBlinding() {
    await tx('readwrite', (s) => {
      s.delete('blinding');
    });
  },
  /** The issuer answered and the token is final: keep it, drop the blinding state. */
  async tokenReady(p: PendingToken) {
    await tx('readwrite', (s) => {
      s.put(p, 'pending');
      s.delete('blinding');
    });
  },
  async clearPending() {
    await tx('readwrite', (s) => {
      s.delete('pending');
    });
  },
  /** Certify succeeded: the pending token becomes (or renews) the pseudonym, in one transaction. */
  async promote(p: StoredPseudonym) {
    await tx('readwrite', (s) => {
      s.put(p, 'pseudonym');
      s.delete('pending');
    });
  },
  /** Erases everything this browser keeps of its pseudonym: the records above and the reaction memory. */
  async forget() {
    await tx('readwrite', (s) => {
      s.clear();
    });
    forgetAllReacted();
    forgetAllVotes();
  },
};

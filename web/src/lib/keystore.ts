import type { BlindingState } from './issuance';

// The pseudonym's secret stays in this browser, in IndexedDB. Records:
//   'pseudonym' – the certified pseudonym (seed, public key, handle)
//   'blinding'  – a blinded request sent to `issue` whose answer has not been
//                 finalized yet (so a lost answer can be asked for again)
//   'pending'   – a finalized token not yet spent by `certify` (kept so that a
//                 reload or a taken handle does not waste the quota unit)

export interface StoredPseudonym {
  sk: Uint8Array;
  pk: string;
  handle: string;
  issuer: string;
  master_key: string;
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
  /** Earliest time (ms) at which certify may be sent: the unlinking delay. */
  certify_after: number;
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
  async forget() {
    await tx('readwrite', (s) => {
      s.delete('pseudonym');
      s.delete('pending');
      s.delete('blinding');
    });
  },
};

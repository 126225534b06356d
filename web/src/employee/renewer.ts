// The renewal schedule while the forum is open (lib/schedule.ts): fetch the
// token for a newly active key at its drawn moment (where the company's
// sign-in proxy identifies the browser; otherwise the feed offers "Renew"),
// keep it, and spend it at its own later moment.
import { useEffect, useRef, useState } from 'preact/hooks';
import { b64urlDecode } from '../lib/b64';
import type { VerifiedDirectory } from '../lib/directory';
import type { Anonymity, Pseudonym } from '../lib/forum';
import { IssuerSession } from '../lib/issuer';
import { keystore, type PendingToken, type StoredPseudonym } from '../lib/keystore';
import { spendCheck, spendToken, type SpendCheck } from '../lib/renewal';
import { fetchMoment, firstDelayMs, lateFetchMoment, recheckMoment, renewalMoment } from '../lib/schedule';
import { isProxyRemembered } from './issuance';

/** Timers wake at least this often and look again (setTimeout cannot wait 25 days, and clocks jump). */
const MAX_SLEEP_MS = 60 * 60_000;

export interface RenewalState {
  /** The pseudonym is not certified under the active key (a rotation happened since). */
  needed: boolean;
  /** A renewal token held in this browser, and when it is to be spent. */
  held: PendingToken | null;
  /** When this browser fetches the next token on its own (sign-in proxy only). */
  fetchAt: number | null;
  /** The fetch moment has come and a sign-in is needed to take it. */
  fetchDue: boolean;
  /** Why the held token waits past its moment. */
  hold: SpendCheck | null;
  /** The last thing that happened, for the feed to say. */
  news: string | null;
  busy: boolean;
}

export function needsRenewal(me: Pseudonym | null, dir: VerifiedDirectory | null): boolean {
  const active = dir?.active;
  return !!me && !!active && me.valid_until < active.accept_until;
}

/** Waits until `at` in steps no longer than MAX_SLEEP_MS; returns a cancel function. */
function at(when: number, run: () => void): () => void {
  let t: ReturnType<typeof setTimeout>;
  const arm = () => {
    const left = when - Date.now();
    if (left <= 0) return run();
    t = setTimeout(arm, Math.min(left, MAX_SLEEP_MS));
  };
  arm();
  return () => clearTimeout(t);
}

export function useRenewer(opts: {
  on: boolean;
  me: Pseudonym | null;
  stored: StoredPseudonym | null;
  dir: VerifiedDirectory | null;
  anonymity: Anonymity | null;
  /** A renewal was spent: the pseudonym's facts changed. */
  onRenewed: () => void;
}) {
  const [st, setSt] = useState<RenewalState>({ needed: false, held: null, fetchAt: null, fetchDue: false, hold: null, news: null, busy: false });
  const [version, setVersion] = useState(0);
  const openedAt = useRef(Date.now());
  const late = useRef(new Map<string, number>());
  const ctx = useRef(opts);
  ctx.current = opts;
  const needed = needsRenewal(opts.me, opts.dir);
  const activeId = opts.dir?.active?.key_id ?? null;

  /** Fetches the next token now, on a connection the sign-in proxy identifies. False when that is not possible. */
  async function fetchToken(): Promise<boolean> {
    const { stored, me } = ctx.current;
    if (!stored || !me) return false;
    setSt((x) => ({ ...x, busy: true }));
    try {
      const r = await IssuerSession.fromProxy();
      if (!r) return false;
      if (r.quota.used >= r.quota.allowed) {
        r.session.close();
        setSt((x) => ({ ...x, news: 'Your token for the current key was already taken (from another browser?).' }));
        return true;
      }
      // A request whose answer was lost earlier is sent again as it was (no second quota unit).
      const held = await keystore.getBlinding();
      const t = await r.session.obtainToken(b64urlDecode(stored.pk), {
        resume: held && held.pk === stored.pk ? held : null,
        onBlinded: (b) => keystore.putBlinding({ ...b, sk: stored.sk, pk: stored.pk, renewal: true }),
      });
      const now = Date.now();
      const p: PendingToken = {
        sk: stored.sk,
        pk: stored.pk,
        key_id: t.key_id,
        prefix: t.prefix,
        sig: t.sig,
        renewal: true,
        handle: stored.handle,
        certify_after: renewalMoment(now, me.valid_until * 1000) ?? now + firstDelayMs(),
        fetched_at: now,
        hurry: false,
      };
      await keystore.tokenReady(p);
      setVersion((v) => v + 1);
      return true;
    } catch (e) {
      setSt((x) => ({ ...x, news: `Could not fetch the next token: ${(e as Error).message}` }));
      return true;
    } finally {
      setSt((x) => ({ ...x, busy: false }));
    }
  }

  async function spend(p: PendingToken) {
    const { dir, anonymity, stored } = ctx.current;
    if (!dir || !stored) return;
    const check = spendCheck(p, Date.now(), dir, anonymity);
    if (!check.ok) {
      if (check.reason === 'gone') {
        await keystore.clearPending();
        setSt((x) => ({ ...x, news: 'The token held for renewal can no longer be used (its key was revoked or expired).' }));
      } else {
        await keystore.putPending({ ...p, certify_after: check.reason === 'young' ? Math.max(check.until, recheckMoment(Date.now())) : recheckMoment(Date.now()) });
        setSt((x) => ({ ...x, hold: check }));
      }
      setVersion((v) => v + 1);
      return;
    }
    setSt((x) => ({ ...x, busy: true }));
    const r = await spendToken(p, dir.issuer, dir.master_key);
    setSt((x) => ({ ...x, busy: false, hold: null, news: r.ok ? 'Your pseudonym was renewed under the current key.' : `Renewal failed: ${r.message}` }));
    if (r.ok) ctx.current.onRenewed();
    setVersion((v) => v + 1);
  }

  useEffect(() => {
    if (!opts.on || !opts.stored || !opts.me || !opts.dir) return;
    const pk = opts.stored.pk;
    let cancel = () => {};
    let live = true;
    void (async () => {
      const pending = await keystore.getPending();
      const held = pending && pending.renewal && pending.pk === pk ? pending : null;
      if (!live) return;
      if (held) {
        setSt((x) => ({ ...x, needed, held, fetchAt: null, fetchDue: false }));
        cancel = at(held.certify_after, () => void spend(held));
        return;
      }
      if (!needed || !activeId) {
        setSt((x) => ({ ...x, needed, held: null, fetchAt: null, fetchDue: false, hold: null }));
        return;
      }
      let plan = await keystore.getFetchPlan();
      if (!plan || plan.key_id !== activeId) {
        plan = { key_id: activeId, fetch_at: fetchMoment(opts.dir!.active!) };
        await keystore.putFetchPlan(plan);
      }
      // A page opened after the drawn moment fetches a little later, while it is open.
      let due = plan.fetch_at;
      if (due < openedAt.current) {
        if (!late.current.has(activeId)) late.current.set(activeId, lateFetchMoment(openedAt.current));
        due = late.current.get(activeId)!;
      }
      if (!live) return;
      const proxy = isProxyRemembered();
      setSt((x) => ({ ...x, needed, held: null, fetchAt: proxy ? due : null, fetchDue: !proxy && Date.now() >= due }));
      cancel = at(due, () => {
        if (proxy) void fetchToken();
        else setSt((x) => ({ ...x, fetchDue: true }));
      });
    })();
    return () => {
      live = false;
      cancel();
    };
  }, [opts.on, opts.stored?.pk, opts.me?.valid_until, opts.dir?.seq, needed, activeId, version]);

  return {
    st,
    /** One click from the feed: fetch the token now where the sign-in proxy allows; false when a sign-in is needed. */
    fetchNow: fetchToken,
  };
}

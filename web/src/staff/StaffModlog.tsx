import { useEffect, useState } from 'preact/hooks';
import type { ModlogEntry } from '../lib/forum';
import { Rpc, RpcError, explain } from '../lib/rpc';
import { Notice, fmtDate } from '../ui/common';

/** The public moderation log, with Restore / Unban on hide and ban entries. */
export function StaffModlog(props: { rpc: Rpc }) {
  const { rpc } = props;
  const [entries, setEntries] = useState<ModlogEntry[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const [done, setDone] = useState<Set<string>>(new Set());

  const load = async (before?: string) => {
    try {
      const r = await rpc.call<{ entries: ModlogEntry[]; next: string | null }>('modlog', { limit: 50, ...(before ? { before } : {}) });
      setEntries((old) => (before ? [...old, ...r.entries] : r.entries));
      setNext(r.next);
      setError(null);
    } catch (e) {
      setError(
        e instanceof RpcError && e.code === 'unknown_op'
          ? 'This server does not offer the moderation log on the staff endpoint. It is public to every pseudonym on the forum.'
          : explain(e),
      );
    }
  };
  useEffect(() => void load(), [rpc]);

  // Entries are newest first: a later restore/unban of the same target settles it.
  const undone = (e: ModlogEntry, i: number) =>
    entries.slice(0, i).some((x) => x.target === e.target && x.action === (e.action === 'hide' ? 'restore' : 'unban'));

  const undo = async (e: ModlogEntry) => {
    try {
      if (e.action === 'hide') await rpc.call('restore', { post_id: e.target, reason: 'Restored after review' });
      else await rpc.call('unban', { handle: e.target, reason: 'Ban lifted after review' });
      setDone((d) => new Set(d).add(e.id));
      setStatus(e.action === 'hide' ? 'Post restored.' : `@${e.target} unbanned.`);
      void load();
    } catch (err) {
      setStatus(`Failed: ${explain(err)}`);
    }
  };

  return (
    <section aria-labelledby="smodlog" class="stack">
      <div class="row between">
        <h1 id="smodlog">Moderation log</h1>
        <button type="button" class="secondary" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      <p class="muted" aria-live="polite">
        {status}
      </p>
      {error && <Notice kind="warn">{error}</Notice>}
      <ol class="modlog">
        {entries.map((e, i) => (
          <li key={e.id}>
            <span class={`action action-${e.action.replace('.', '-')}`}>{e.action}</span> <code class="target">{e.target}</code>
            <span class="muted">
              {' '}
              by {e.actor_role === 'admin' ? 'an' : 'a'} {e.actor_role} · {fmtDate(e.at)}
            </span>
            {e.reason && <p class="reason">{e.reason}</p>}
            {(e.action === 'hide' || e.action === 'ban') && !done.has(e.id) && !undone(e, i) && (
              <button type="button" class="secondary" onClick={() => void undo(e)}>
                {e.action === 'hide' ? 'Restore' : 'Unban'}
              </button>
            )}
          </li>
        ))}
      </ol>
      {next && (
        <button type="button" class="secondary" onClick={() => void load(next)}>
          Load older entries
        </button>
      )}
    </section>
  );
}

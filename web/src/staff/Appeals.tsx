import { useEffect, useState } from 'preact/hooks';
import type { StaffAppeal } from '../lib/notify';
import { explain } from '../lib/rpc';
import type { StaffApi } from '../lib/staffOps';
import { Notice, Time, useId } from '../ui/common';

/** One open appeal: what was done and why, what the pseudonym answers, and the decision. */
function AppealItem(props: { item: StaffAppeal; onDecide: (item: StaffAppeal, outcome: 'uphold' | 'overturn', reason: string) => Promise<void> }) {
  const { item } = props;
  const id = useId('decision');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const decide = async (outcome: 'uphold' | 'overturn') => {
    setBusy(true);
    try {
      await props.onDecide(item, outcome, reason.trim());
    } finally {
      setBusy(false);
    }
  };
  const what = item.action === 'hide' ? 'Hidden post' : `Ban of @${item.handle}`;
  return (
    <article class="card appeal-item" aria-label={`Appeal by @${item.handle}`}>
      <h3>
        {what} <small class="muted">appealed by @{item.handle}, <Time at={item.at} /></small>
      </h3>
      {item.entry && (
        <p>
          The {item.entry.actor_role} gave as reason: <q>{item.entry.reason}</q>
        </p>
      )}
      {item.post && <blockquote class="appeal-post">{item.post.body}</blockquote>}
      <p>
        <strong>The appeal:</strong> <span class="appeal-text">{item.text}</span>
      </p>
      {item.acted_by_you ? (
        <Notice kind="info">You took this action, so another moderator decides its appeal.</Notice>
      ) : (
        <div class="appeal-decide">
          <label for={id}>Decision reason</label>
          <input id={id} value={reason} maxLength={1000} onInput={(e) => setReason(e.currentTarget.value)} />
          <div class="row">
            <button type="button" disabled={busy || !reason.trim()} onClick={() => void decide('overturn')}>
              Overturn
            </button>
            <button type="button" class="secondary" disabled={busy || !reason.trim()} onClick={() => void decide('uphold')}>
              Uphold
            </button>
          </div>
        </div>
      )}
    </article>
  );
}

/** The appeals queue, next to the flag queue: oldest first, decided by a moderator other than the one who acted. */
export function Appeals(props: { api: StaffApi }) {
  const { api } = props;
  const [items, setItems] = useState<StaffAppeal[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState('');

  const load = async (before?: string) => {
    try {
      const r = await api.appeals(before);
      setItems((old) => (before ? [...old, ...r.items.filter((i) => !old.some((o) => o.action_id === i.action_id))] : r.items));
      setNext(r.next);
      setError(null);
    } catch (e) {
      setError(explain(e));
    } finally {
      setLoaded(true);
    }
  };

  useEffect(() => {
    void load();
    const h = setInterval(() => void load(), 15000);
    return () => clearInterval(h);
  }, [api]);

  const decide = async (item: StaffAppeal, outcome: 'uphold' | 'overturn', reason: string) => {
    setStatus('');
    try {
      await api.decideAppeal(item.action_id, outcome, reason);
      setItems((old) => old.filter((i) => i.action_id !== item.action_id));
      setStatus(
        outcome === 'overturn'
          ? `Overturned on @${item.handle}'s appeal: ${item.action === 'hide' ? 'the post is back' : 'the ban is lifted'}.`
          : `Upheld against @${item.handle}'s appeal: the ${item.action === 'hide' ? 'post stays hidden' : 'ban stays'}.`,
      );
    } catch (e) {
      setStatus(`Failed: ${explain(e)}`);
    }
  };

  return (
    <section aria-label="Appeals" class="appeals">
      <h2>Appeals</h2>
      <p role="status">{status}</p>
      {error && <Notice kind="error">{error}</Notice>}
      {loaded && items.length === 0 && !error && <p class="muted">No open appeals.</p>}
      {items.map((it) => (
        <AppealItem key={it.action_id} item={it} onDecide={decide} />
      ))}
      {next && (
        <button type="button" class="secondary" onClick={() => void load(next)}>
          More appeals
        </button>
      )}
    </section>
  );
}

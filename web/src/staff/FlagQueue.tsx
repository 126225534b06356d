import { useEffect, useState } from 'preact/hooks';
import type { DirectoryKey } from '../lib/directory';
import type { Post } from '../lib/forum';
import { explain } from '../lib/rpc';
import { flagNotes, type FlagItem } from '../lib/staff';
import { banChoices, banLimit, banUntil, defaultBanChoice, type BanChoice } from '../lib/staffBan';
import type { StaffApi } from '../lib/staffOps';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { Notice, fmtDate, useId } from '../ui/common';
import { ReasonField } from './ReasonField';
import { StaffPostCard, ThreadToggle } from './StaffPost';

interface Handled {
  post: Post;
  action: 'hidden' | 'dismissed' | 'banned';
  until?: number;
  restored?: boolean;
  unbanned?: boolean;
}

function topReason(reasons: Record<string, number>): string {
  const e = Object.entries(reasons).sort((a, b) => b[1] - a[1]);
  return e.length ? `Flagged as ${e.map(([r, n]) => `${r} (${n})`).join(', ')}` : 'Flagged by readers';
}

export function FlagQueue(props: { api: StaffApi; issuer: string | null; keys: readonly DirectoryKey[] }) {
  const { api } = props;
  const [items, setItems] = useState<FlagItem[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [handled, setHandled] = useState<Handled[]>([]);
  const [status, setStatus] = useState('');
  const [banning, setBanning] = useState<{ item: FlagItem; reason: string } | null>(null);

  const load = async (before?: string) => {
    try {
      const r = await api.flags(before);
      setItems((old) => (before ? [...old, ...r.items.filter((i) => !old.some((o) => o.post.id === i.post.id))] : r.items));
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

  const act = async (item: FlagItem, action: 'hide' | 'dismiss' | 'ban', reason: string) => {
    setStatus('');
    if (action === 'ban') return setBanning({ item, reason: reason.trim() });
    try {
      if (action === 'hide') {
        await api.hide(item.post.id, reason.trim() || topReason(item.reasons));
        setHandled((h) => [{ post: item.post, action: 'hidden' }, ...h]);
        setItems((old) => old.filter((i) => i.post.id !== item.post.id));
        setStatus(`Post by @${item.post.author.handle} hidden.`);
      } else {
        await api.dismiss(item.post.id);
        setHandled((h) => [{ post: item.post, action: 'dismissed' }, ...h]);
        setItems((old) => old.filter((i) => i.post.id !== item.post.id));
        setStatus('Flags dismissed; the post stays visible.');
      }
    } catch (e) {
      setStatus(`Failed: ${explain(e)}`);
    }
  };

  const banned = (item: FlagItem, r: { handle: string; until: number }) => {
    setHandled((h) => [{ post: item.post, action: 'banned', until: r.until }, ...h]);
    setStatus(`@${r.handle} banned until ${fmtDate(r.until)}.`);
    // The ban closed the author's other open flags: they leave the queue.
    void load();
  };

  const undo = async (h: Handled) => {
    try {
      if (h.action === 'hidden') {
        await api.restore(h.post.id, 'Restored after review');
        setHandled((all) => all.map((x) => (x === h ? { ...x, restored: true } : x)));
        setStatus('Post restored.');
      } else if (h.action === 'banned') {
        await api.unban(h.post.author.handle, 'Ban lifted after review');
        setHandled((all) => all.map((x) => (x === h ? { ...x, unbanned: true } : x)));
        setStatus(`@${h.post.author.handle} unbanned.`);
      }
    } catch (e) {
      setStatus(`Failed: ${explain(e)}`);
    }
  };

  return (
    <div class="stack">
      <div class="row between">
        <h1>Flag queue</h1>
        <button type="button" class="secondary" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      <p class="muted" aria-live="polite">
        {status}
      </p>
      {error && <Notice kind="error">{error}</Notice>}
      <section class="feed" aria-label="Flagged posts">
        {loaded && items.length === 0 && <p class="muted empty">Nothing flagged right now.</p>}
        {items.map((it) => (
          <FlagCard key={it.post.id} item={it} api={api} issuer={props.issuer} onAct={act} />
        ))}
      </section>
      {next && (
        <button type="button" class="secondary" onClick={() => void load(next)}>
          Load more
        </button>
      )}
      {handled.length > 0 && (
        <section aria-labelledby="handled-title" class="card">
          <h2 id="handled-title">Handled in this session</h2>
          <ul class="modlog">
            {handled.map((h, i) => (
              <li key={i}>
                <span class="action">{h.action}</span> @{h.post.author.handle}: <q>{h.post.body.slice(0, 80)}</q>{' '}
                {h.action === 'hidden' &&
                  (h.restored ? (
                    <span class="muted">restored</span>
                  ) : (
                    <button type="button" class="secondary" onClick={() => void undo(h)}>
                      Restore
                    </button>
                  ))}
                {h.action === 'banned' &&
                  (h.unbanned ? (
                    <span class="muted">unbanned</span>
                  ) : (
                    <button type="button" class="secondary" onClick={() => void undo(h)}>
                      Unban
                    </button>
                  ))}
              </li>
            ))}
          </ul>
        </section>
      )}
      {banning && (
        <BanDialog
          api={api}
          item={banning.item}
          reason={banning.reason}
          keys={props.keys}
          onBanned={(r) => banned(banning.item, r)}
          onClose={() => setBanning(null)}
        />
      )}
    </div>
  );
}

function choiceLabel(c: BanChoice, limit: number | null): string {
  if (c.days === null) return limit === null ? 'Until its certification ends' : `Until its certification ends (${fmtDate(limit)} at the latest)`;
  return c.days === 1 ? '1 day' : `${c.days} days`;
}

/** Ban with a confirmation, a duration up to the certification's end, and a reason the banned person is shown. */
function BanDialog(props: {
  api: StaffApi;
  item: FlagItem;
  reason: string;
  keys: readonly DirectoryKey[];
  onBanned: (r: { handle: string; until: number }) => void;
  onClose: () => void;
}) {
  const handle = props.item.post.author.handle;
  const limit = banLimit(props.keys);
  const [choices] = useState(() => banChoices(limit, Date.now() / 1000));
  const [choice, setChoice] = useState<BanChoice>(() => defaultBanChoice(choices));
  const [reason, setReason] = useState(props.reason);
  const durationId = useId('ban-for');
  const reasonId = useId('ban-why');
  return (
    <ConfirmDialog
      title={`Ban @${handle}?`}
      confirmLabel="Ban now"
      danger
      onClose={props.onClose}
      onConfirm={async () => {
        if (!reason.trim()) throw new Error(`Give a reason: @${handle} is shown it, and so is everyone in the public moderation log.`);
        props.onBanned(await props.api.ban(handle, reason.trim(), banUntil(choice, Date.now() / 1000)));
      }}
    >
      <p>
        Until the ban ends, @{handle} cannot sign in, post, react or flag, and their open connections close at once. Their
        posts stay unless you hide them. Their other flagged posts leave the queue. Nobody, you included, learns who they
        are.
      </p>
      <div class="field">
        <label for={durationId}>Ban duration</label>
        <select
          id={durationId}
          value={choice.id}
          onChange={(e) => setChoice(choices.find((c) => c.id === (e.currentTarget as HTMLSelectElement).value) ?? choice)}
        >
          {choices.map((c) => (
            <option key={c.id} value={c.id}>
              {choiceLabel(c, limit)}
            </option>
          ))}
        </select>
        <small class="hint">A ban cannot outlast the pseudonym's certification; the server ends it then at the latest.</small>
      </div>
      <div class="field">
        <label for={reasonId}>Reason (shown to @{handle} and in the public log)</label>
        <textarea id={reasonId} rows={3} maxLength={1000} value={reason} onInput={(e) => setReason((e.currentTarget as HTMLTextAreaElement).value)} />
      </div>
    </ConfirmDialog>
  );
}

function FlagCard(props: { item: FlagItem; api: StaffApi; issuer: string | null; onAct: (i: FlagItem, a: 'hide' | 'dismiss' | 'ban', reason: string) => Promise<void> }) {
  const { item } = props;
  const p = item.post;
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const rid = useId('why');
  const notes = flagNotes(item);
  const run = async (a: 'hide' | 'dismiss' | 'ban') => {
    setBusy(true);
    await props.onAct(item, a, reason);
    setBusy(false);
  };
  return (
    <StaffPostCard
      post={p}
      issuer={props.issuer}
      class="flag-item"
      badges={
        <span class="flag-count">
          {item.flags} flag{item.flags === 1 ? '' : 's'}
        </span>
      }
    >
      <div class="reasons" aria-label="Reasons given">
        {Object.entries(item.reasons).map(([r, n]) => (
          <span class="pill" key={r}>
            {r}: {n}
          </span>
        ))}
        {p.reactions && Object.keys(p.reactions).length > 0 && (
          <span class="muted">
            {' '}
            reactions {Object.entries(p.reactions).map(([r, n]) => `${r} ${n}`).join(' · ')}
          </span>
        )}
        {p.parent === null && p.replies > 0 && (
          <span class="muted">
            {' '}
            · {p.replies} {p.replies === 1 ? 'reply' : 'replies'}
          </span>
        )}
      </div>
      {notes.length > 0 && (
        <div class="flag-notes">
          <h3 id={`${rid}-n`}>
            Notes from flaggers <span class="muted">(anonymous)</span>
          </h3>
          <ul aria-labelledby={`${rid}-n`}>
            {notes.map((n, i) => (
              <li key={i}>{n}</li>
            ))}
          </ul>
        </div>
      )}
      <ThreadToggle api={props.api} post={p} issuer={props.issuer} mark="flagged" />
      <ReasonField id={rid} value={reason} placeholder={topReason(item.reasons)} onInput={setReason} />
      <div class="row post-actions">
        <button type="button" disabled={busy} onClick={() => void run('hide')}>
          Hide
        </button>
        <button type="button" class="secondary" disabled={busy} onClick={() => void run('dismiss')}>
          Dismiss
        </button>
        <button type="button" class="danger" aria-haspopup="dialog" disabled={busy} onClick={() => void run('ban')}>
          Ban author
        </button>
      </div>
    </StaffPostCard>
  );
}

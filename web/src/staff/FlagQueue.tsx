import { useEffect, useState } from 'preact/hooks';
import type { Post } from '../lib/forum';
import { verifyPostCached } from '../lib/pseudonym';
import { Rpc, explain } from '../lib/rpc';
import { flagNotes, threadEntries, type FlagItem, type StaffThread, type ThreadEntry } from '../lib/staff';
import { Notice, Time, fmtDate, useId } from '../ui/common';

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

export function FlagQueue(props: { rpc: Rpc; issuer: string | null }) {
  const { rpc } = props;
  const [items, setItems] = useState<FlagItem[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [handled, setHandled] = useState<Handled[]>([]);
  const [status, setStatus] = useState('');

  const load = async (before?: string) => {
    try {
      const r = await rpc.call<{ items: FlagItem[]; next: string | null }>('flags', { limit: 50, ...(before ? { before } : {}) });
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
  }, [rpc]);

  const act = async (item: FlagItem, action: 'hide' | 'dismiss' | 'ban', reason: string) => {
    setStatus('');
    try {
      const why = reason.trim() || topReason(item.reasons);
      if (action === 'hide') {
        await rpc.call('hide', { post_id: item.post.id, reason: why });
        setHandled((h) => [{ post: item.post, action: 'hidden' }, ...h]);
        setItems((old) => old.filter((i) => i.post.id !== item.post.id));
        setStatus(`Post by @${item.post.author.handle} hidden.`);
      } else if (action === 'dismiss') {
        await rpc.call('dismiss', { post_id: item.post.id });
        setHandled((h) => [{ post: item.post, action: 'dismissed' }, ...h]);
        setItems((old) => old.filter((i) => i.post.id !== item.post.id));
        setStatus('Flags dismissed; the post stays visible.');
      } else {
        const r = await rpc.call<{ handle: string; until: number }>('ban', { handle: item.post.author.handle, reason: why });
        setHandled((h) => [{ post: item.post, action: 'banned', until: r.until }, ...h]);
        setStatus(`@${r.handle} banned until ${fmtDate(r.until)}.`);
      }
    } catch (e) {
      setStatus(`Failed: ${explain(e)}`);
    }
  };

  const undo = async (h: Handled) => {
    try {
      if (h.action === 'hidden') {
        await rpc.call('restore', { post_id: h.post.id, reason: 'Restored after review' });
        setHandled((all) => all.map((x) => (x === h ? { ...x, restored: true } : x)));
        setStatus('Post restored.');
      } else if (h.action === 'banned') {
        await rpc.call('unban', { handle: h.post.author.handle, reason: 'Ban lifted after review' });
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
          <FlagCard key={it.post.id} item={it} rpc={rpc} issuer={props.issuer} onAct={act} />
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
    </div>
  );
}

function FlagCard(props: { item: FlagItem; rpc: Rpc; issuer: string | null; onAct: (i: FlagItem, a: 'hide' | 'dismiss' | 'ban', reason: string) => Promise<void> }) {
  const { item } = props;
  const p = item.post;
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const rid = useId('why');
  const notes = flagNotes(item);
  const [threadOpen, setThreadOpen] = useState(false);
  const [thread, setThread] = useState<ThreadEntry[] | null>(null);
  const [threadError, setThreadError] = useState<string | null>(null);
  const toggleThread = async () => {
    if (threadOpen) return setThreadOpen(false);
    setThreadOpen(true);
    setThreadError(null);
    try {
      const t = await props.rpc.call<StaffThread>('thread', { post_id: p.id });
      setThread(threadEntries(t, p.id));
    } catch (e) {
      setThread(null);
      setThreadError(`The thread could not be loaded: ${explain(e)}`);
    }
  };
  const run = async (a: 'hide' | 'dismiss' | 'ban') => {
    setBusy(true);
    await props.onAct(item, a, reason);
    setBusy(false);
  };
  return (
    <article class="post flag-item" aria-labelledby={`${rid}-h`}>
      <header class="post-head" id={`${rid}-h`}>
        <strong>@{p.author?.handle}</strong>
        <span class="muted">
          {' '}
          in #{p.channel}
          {p.parent ? ' (a reply)' : ''} · <Time at={p.created_at} />
        </span>
        {props.issuer &&
          (verifyPostCached(p, props.issuer) ? (
            <span class="sig sig-ok">✓ signed</span>
          ) : (
            <span class="sig sig-bad">⚠ unverifiable</span>
          ))}
        <span class="flag-count">
          {item.flags} flag{item.flags === 1 ? '' : 's'}
        </span>
      </header>
      <p class="post-body">{p.body}</p>
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
      <div class="row thread-toggle">
        <button
          type="button"
          class="secondary"
          aria-expanded={threadOpen}
          aria-controls={`${rid}-t`}
          onClick={() => void toggleThread()}
        >
          {threadOpen ? 'Close thread' : 'Show thread'}
        </button>
      </div>
      {threadOpen && (
        <div id={`${rid}-t`} class="thread-context">
          {threadError && <Notice kind="error">{threadError}</Notice>}
          {!thread && !threadError && <p class="muted">Loading the thread…</p>}
          {thread && <ThreadContext entries={thread} issuer={props.issuer} label={`Thread of the post by @${p.author?.handle}`} />}
        </div>
      )}
      <div class="field">
        <label for={rid}>Reason for the public log</label>
        <input id={rid} value={reason} placeholder={topReason(item.reasons)} onInput={(e) => setReason((e.currentTarget as HTMLInputElement).value)} />
      </div>
      <div class="row post-actions">
        <button type="button" disabled={busy} onClick={() => void run('hide')}>
          Hide
        </button>
        <button type="button" class="secondary" disabled={busy} onClick={() => void run('dismiss')}>
          Dismiss
        </button>
        <button type="button" class="danger" disabled={busy} onClick={() => void run('ban')}>
          Ban author
        </button>
      </div>
    </article>
  );
}

function ThreadContext(props: { entries: ThreadEntry[]; issuer: string | null; label: string }) {
  const replies = props.entries.filter((e) => e.reply).length;
  return (
    <>
      <p class="muted">
        The whole thread{replies === 0 ? ' (no replies)' : ` with ${replies} ${replies === 1 ? 'reply' : 'replies'}`}, including hidden
        posts. The flagged post is marked.
      </p>
      <ol class="context-list" aria-label={props.label}>
        {props.entries.map((e) => (
          <li
            key={e.id}
            class={`context-post${e.reply ? ' context-reply' : ''}${e.flagged ? ' context-flagged' : ''}${e.state !== 'visible' ? ' context-gone' : ''}`}
            aria-current={e.flagged ? 'true' : undefined}
          >
            <div class="post-head">
              {e.flagged && <span class="badge badge-flagged">Flagged post</span>}
              {e.post ? <strong>@{e.post.author?.handle}</strong> : <strong class="muted">[deleted]</strong>}
              <span class="muted">
                {e.reply ? 'reply' : 'top post'}
                {e.post && (
                  <>
                    {' '}
                    · <Time at={e.post.created_at} />
                  </>
                )}
              </span>
              {e.state === 'hidden' && <span class="badge badge-hidden">Hidden by moderators</span>}
              {e.state === 'deleted' && <span class="badge badge-hidden">Deleted by its author</span>}
              {e.post &&
                props.issuer &&
                (verifyPostCached(e.post, props.issuer) ? (
                  <span class="sig sig-ok">✓ signed</span>
                ) : (
                  <span class="sig sig-bad">⚠ unverifiable</span>
                ))}
            </div>
            {e.post ? <p class="post-body">{e.post.body}</p> : <p class="muted hidden-post">The author took this post back; nothing of it is kept.</p>}
          </li>
        ))}
      </ol>
    </>
  );
}

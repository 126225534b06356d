import { useEffect, useRef, useState } from 'preact/hooks';
import type { DirectoryKey } from '../lib/directory';
import { explain } from '../lib/rpc';
import { excerptOf, modlogActionText, modlogTarget, modlogTargetText, modlogTargetTitle } from '../lib/staffModlog';
import type { StaffApi, StaffModlogEntry } from '../lib/staffOps';
import { threadEntries } from '../lib/staff';
import { Notice, fmtDate } from '../ui/common';

/** The start of a hidden post, as moderators may read it (the public log shows only "hidden post"). */
function useHiddenExcerpts(api: StaffApi, entries: StaffModlogEntry[]): Map<string, string> {
  const [excerpts, setExcerpts] = useState<Map<string, string>>(new Map());
  const asked = useRef(new Set<string>());
  useEffect(() => {
    for (const e of entries) {
      if (e.post_state !== 'hidden' || asked.current.has(e.target)) continue;
      const id = e.target;
      asked.current.add(id);
      api
        .thread(id)
        .then((t) => {
          const post = threadEntries(t, id).find((x) => x.flagged)?.post;
          if (post) setExcerpts((m) => new Map(m).set(id, excerptOf(post.body)));
        })
        .catch(() => undefined); // the entry keeps saying "hidden post"
    }
  }, [api, entries]);
  return excerpts;
}

/** The entries the log can undo: the action that undoes each, and its button. */
const UNDO = new Map<string, { by: string; label: string }>([
  ['hide', { by: 'restore', label: 'Restore' }],
  ['poll.hide', { by: 'poll.restore', label: 'Restore' }],
  ['ban', { by: 'unban', label: 'Unban' }],
]);

/** The public moderation log, with Restore / Unban on hide (of a post or a poll) and ban entries. */
export function StaffModlog(props: { api: StaffApi; keys: readonly DirectoryKey[]; refreshKeys: () => Promise<void> }) {
  const { api } = props;
  const [entries, setEntries] = useState<StaffModlogEntry[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const [done, setDone] = useState<Set<string>>(new Set());
  const hidden = useHiddenExcerpts(api, entries);

  const load = async (before?: string) => {
    // Key entries name keys by epoch: a rotation since the directory was read needs the new one.
    if (!before) void props.refreshKeys();
    try {
      const r = await api.modlog(before);
      setEntries((old) => (before ? [...old, ...r.items] : r.items));
      setNext(r.next);
      setError(null);
    } catch (e) {
      setError(explain(e));
    } finally {
      setLoaded(true);
    }
  };
  useEffect(() => void load(), [api]);

  // Entries are newest first: a later restore/unban of the same target settles
  // it, and a post or poll that is no longer hidden (restored, or a post
  // deleted by its author) has nothing to restore.
  const undone = (e: StaffModlogEntry, i: number) => {
    const state = e.action === 'hide' ? e.post_state : e.action === 'poll.hide' ? e.poll_state : undefined;
    const later = entries.slice(0, i);
    return (state !== undefined && state !== 'hidden') || later.some((x) => x.target === e.target && x.action === UNDO.get(e.action)?.by);
  };

  const undo = async (e: StaffModlogEntry) => {
    try {
      if (e.action === 'hide') await api.restore(e.target, 'Restored after review');
      else if (e.action === 'poll.hide') await api.restorePoll(e.target, 'Restored after review');
      else await api.unban(e.target, 'Ban lifted after review');
      setDone((d) => new Set(d).add(e.id));
      setStatus(e.action === 'hide' ? 'Post restored.' : e.action === 'poll.hide' ? 'Poll restored.' : `@${e.target} unbanned.`);
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
      <p class="muted">Every hide and restore of a post or a poll, every ban and key change, with its reason, as every pseudonym sees it (without your name).</p>
      <p class="muted" aria-live="polite">
        {status}
      </p>
      {error && <Notice kind="error">{error}</Notice>}
      {loaded && !error && entries.length === 0 && <p class="muted empty">Nothing yet.</p>}
      <ol class="modlog">
        {entries.map((e, i) => {
          const t = modlogTarget(e, props.keys);
          const staffExcerpt = t.kind === 'post' && t.state === 'hidden' ? hidden.get(t.id) : undefined;
          return (
            <li key={e.id}>
              <span class={`action action-${e.action.replace('.', '-')}`}>{modlogActionText(e.action)}</span>{' '}
              <span class={`target target-${t.kind}`} title={modlogTargetTitle(t)}>
                {staffExcerpt !== undefined ? `“${staffExcerpt}” (hidden)` : modlogTargetText(t)}
              </span>
              <span class="muted">
                {' '}
                by {e.actor_role === 'admin' ? 'an' : 'a'} {e.actor_role} · {fmtDate(e.at)}
              </span>
              {e.reason && <p class="reason">{e.reason}</p>}
              {UNDO.has(e.action) && !done.has(e.id) && !undone(e, i) && (
                <button type="button" class="secondary" onClick={() => void undo(e)}>
                  {UNDO.get(e.action)!.label}
                </button>
              )}
            </li>
          );
        })}
      </ol>
      {next && (
        <button type="button" class="secondary" onClick={() => void load(next)}>
          Load older entries
        </button>
      )}
    </section>
  );
}

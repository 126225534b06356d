// Search for moderators: posts and replies that hold every word, newest
// first, hidden ones too (marked), in every channel or one; each can be hidden
// or restored with a reason, and read in its thread. The query is not kept.
import { useRef, useState } from 'preact/hooks';
import { explain } from '../lib/rpc';
import { MAX_QUERY_CHARS } from '../lib/search';
import type { StaffApi } from '../lib/staffOps';
import { appendPage, emptyNote, markHidden, searchRequest, type FoundPost, type SearchAsked } from '../lib/staffSearch';
import { Notice, useId } from '../ui/common';
import { ChannelSelect } from './ChannelSelect';
import { ReasonField, useReasonedAction } from './ReasonField';
import { StaffPostCard, ThreadToggle } from './StaffPost';

export function StaffSearch(props: { api: StaffApi; issuer: string | null }) {
  const { api } = props;
  const [query, setQuery] = useState('');
  const [channel, setChannel] = useState('');
  const [asked, setAsked] = useState<SearchAsked | null>(null);
  const [posts, setPosts] = useState<FoundPost[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  // Only the answer to the latest request is shown (a new search outruns a slow page).
  const latest = useRef(0);
  const queryId = useId('search-words');

  const load = async (a: SearchAsked, before?: string) => {
    const mine = ++latest.current;
    setBusy(true);
    setError(null);
    setStatus('');
    try {
      const page = await api.search(searchRequest(a, before));
      if (mine !== latest.current) return;
      setPosts((old) => (before ? appendPage(old, page.items) : page.items));
      setNext(page.next);
      setAsked(a);
    } catch (e) {
      if (mine !== latest.current) return;
      setError(explain(e));
      if (!before) {
        setAsked(null);
        setPosts([]);
        setNext(null);
      }
    } finally {
      if (mine === latest.current) setBusy(false);
    }
  };

  const submit = () => {
    if (!query.trim()) return setError('Type the words to search for.');
    void load({ query: query.trim(), channel });
  };

  /** Hides a visible post or restores a hidden one; resolves with whether it was done. */
  const moderate = async (p: FoundPost, reason: string): Promise<boolean> => {
    setStatus('');
    setError(null);
    const restoring = p.hidden === true;
    if (!reason) {
      setError(`Give a reason to ${restoring ? 'restore' : 'hide'} the post by @${p.author.handle}: they are shown it, and so is everyone in the public moderation log.`);
      return false;
    }
    try {
      if (restoring) await api.restore(p.id, reason);
      else await api.hide(p.id, reason);
      setPosts((old) => markHidden(old, p.id, !restoring));
      setStatus(restoring ? `Post by @${p.author.handle} restored.` : `Post by @${p.author.handle} hidden.`);
      return true;
    } catch (e) {
      setError(explain(e));
      return false;
    }
  };

  const note = asked && !busy ? emptyNote(posts.length, next) : null;
  return (
    <section class="stack" aria-labelledby="staff-search-title">
      <h1 id="staff-search-title">Search</h1>
      <p class="muted">
        Posts and replies that hold every word, newest first, hidden ones included and marked. Posts their authors deleted are gone and
        never found. Searches are neither logged nor kept.
      </p>
      <form
        role="search"
        aria-label="Search posts"
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <div class="field">
          <label for={queryId}>Search words</label>
          <input
            id={queryId}
            type="search"
            value={query}
            maxLength={MAX_QUERY_CHARS}
            spellcheck={false}
            onInput={(e) => setQuery((e.currentTarget as HTMLInputElement).value)}
          />
        </div>
        <ChannelSelect api={api} value={channel} onChange={setChannel} all />
        <div class="row">
          <button type="submit" disabled={busy}>
            Search
          </button>
        </div>
      </form>
      {status && <Notice kind="ok">{status}</Notice>}
      {error && <Notice kind="error">{error}</Notice>}
      {asked && (
        <section class="feed" aria-label="Search results" aria-busy={busy}>
          {note && <p class="muted empty">{note}</p>}
          {posts.map((p) => (
            <FoundCard key={p.id} post={p} api={api} issuer={props.issuer} onModerate={moderate} />
          ))}
        </section>
      )}
      {asked && next && (
        <button type="button" class="secondary more" disabled={busy} onClick={() => void load(asked, next)}>
          More results
        </button>
      )}
    </section>
  );
}

function FoundCard(props: { post: FoundPost; api: StaffApi; issuer: string | null; onModerate: (p: FoundPost, reason: string) => Promise<boolean> }) {
  const p = props.post;
  const why = useReasonedAction((reason) => props.onModerate(p, reason));
  return (
    <StaffPostCard
      post={p}
      issuer={props.issuer}
      class={p.hidden ? 'found-item found-hidden' : 'found-item'}
      badges={p.hidden && <span class="badge badge-hidden">Hidden</span>}
    >
      <ThreadToggle api={props.api} post={p} issuer={props.issuer} mark="found" />
      <ReasonField id={why.id} value={why.reason} onInput={why.setReason} />
      <div class="row post-actions">
        <button type="button" class="secondary" disabled={why.busy} onClick={() => void why.run()}>
          {p.hidden ? 'Restore' : 'Hide'}
        </button>
      </div>
    </StaffPostCard>
  );
}

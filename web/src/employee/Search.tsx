import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Channel, ForumSession, Post } from '../lib/forum';
import { explain } from '../lib/rpc';
import { MAX_QUERY_CHARS, MAX_QUERY_WORDS, queryWords, searchRequest } from '../lib/search';
import { Notice, useId } from '../ui/common';

const SEARCH_PAGE = 20;

/** The forum header's search box: a query of 1..8 words goes to `onSearch`, with the channel chosen (null: all). */
export function SearchBox(props: { channels: Channel[]; onSearch: (query: string, channel: string | null) => void }) {
  const [q, setQ] = useState('');
  const [channel, setChannel] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const channelId = useId('search-channel');
  return (
    <form
      role="search"
      aria-label="Search posts"
      class="search-box"
      onSubmit={(e) => {
        e.preventDefault();
        const words = queryWords(q).length;
        if (words === 0) return setProblem('Type a word to search for.');
        if (words > MAX_QUERY_WORDS) return setProblem(`Search for at most ${MAX_QUERY_WORDS} words.`);
        setProblem(null);
        props.onSearch(q.trim(), channel || null);
      }}
    >
      <input
        type="search"
        aria-label="Search posts"
        placeholder="Search posts"
        maxLength={MAX_QUERY_CHARS}
        value={q}
        onInput={(e) => setQ((e.target as HTMLInputElement).value)}
      />
      <div class="search-channel">
        <label for={channelId}>Channel</label>
        <select id={channelId} value={channel} onChange={(e) => setChannel((e.currentTarget as HTMLSelectElement).value)}>
          <option value="">All channels</option>
          {props.channels.map((c) => (
            <option key={c.name} value={c.name}>
              #{c.name}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" class="secondary">
        Search
      </button>
      {problem && (
        <p class="muted" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}

/** Posts and replies holding every word, newest first, a page at a time. */
export function SearchResults(props: {
  session: ForumSession;
  query: string;
  /** The one channel searched, or null for all. */
  channel: string | null;
  renderPost: (p: Post) => JSX.Element;
}) {
  const [items, setItems] = useState<Post[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);

  const load = async (before?: string) => {
    setLoading(true);
    setError(null);
    try {
      // A later page asks for the same query and channel as the first (its cursor is theirs).
      const pg = await props.session.search(searchRequest(props.query, props.channel, SEARCH_PAGE, before));
      setItems((old) => (before ? [...old, ...pg.items] : pg.items));
      setNext(pg.next);
    } catch (e) {
      setError(explain(e));
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    setItems([]);
    setNext(null);
    void load();
  }, [props.query, props.channel]);

  return (
    <section class="search-results" aria-label="Search results" aria-busy={loading}>
      <h1 tabIndex={-1} data-view-title>
        Search: “{props.query}”{props.channel ? ` in #${props.channel}` : ''}
      </h1>
      {error && <Notice kind="error">{error}</Notice>}
      {!loading && !error && items.length === 0 && <p class="muted empty">No visible post holds all these words.</p>}
      {items.map((p) => props.renderPost(p))}
      {next && (
        <button type="button" class="secondary more" disabled={loading} onClick={() => void load(next)}>
          More results
        </button>
      )}
    </section>
  );
}

import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ForumSession, Post } from '../lib/forum';
import { explain } from '../lib/rpc';
import { MAX_QUERY_CHARS, MAX_QUERY_WORDS, queryWords } from '../lib/search';
import { Notice } from '../ui/common';

const SEARCH_PAGE = 20;

/** The forum header's search box: a query goes to `onSearch` once it holds 1..8 words. */
export function SearchBox(props: { onSearch: (query: string) => void }) {
  const [q, setQ] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
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
        props.onSearch(q.trim());
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
export function SearchResults(props: { session: ForumSession; query: string; renderPost: (p: Post) => JSX.Element }) {
  const [items, setItems] = useState<Post[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);

  const load = async (before?: string) => {
    setLoading(true);
    setError(null);
    try {
      const pg = await props.session.search({ query: props.query, limit: SEARCH_PAGE, ...(before ? { before } : {}) });
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
  }, [props.query]);

  return (
    <section class="search-results" aria-label="Search results" aria-busy={loading}>
      <h1 tabIndex={-1} data-view-title>
        Search: “{props.query}”
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

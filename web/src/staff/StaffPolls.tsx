// Polls for moderators: a channel's polls as pseudonyms see them (results
// only when they may be shown), with Pin / Unpin; a pinned poll is listed
// first in its channel.
import { useEffect, useState } from 'preact/hooks';
import type { Poll } from '../lib/polls';
import { explain } from '../lib/rpc';
import type { StaffApi } from '../lib/staffOps';
import { Notice, fmtDate, useId } from '../ui/common';
import '../ui/polls.css';

export function StaffPolls(props: { api: StaffApi }) {
  const { api } = props;
  const [channels, setChannels] = useState<string[]>(['general']);
  const [channel, setChannel] = useState('general');
  const [polls, setPolls] = useState<Poll[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const chanId = useId('poll-channel');

  useEffect(() => {
    api
      .channels()
      .then((cs) => cs.length && setChannels(cs.map((c) => c.name)))
      .catch(() => undefined);
  }, [api]);

  const load = async (before?: string) => {
    try {
      const page = await api.polls(channel, before);
      setPolls((old) => (before ? [...old, ...page.items] : page.items));
      setNext(page.next);
      setError(null);
    } catch (e) {
      setError(explain(e));
    } finally {
      setLoaded(true);
    }
  };

  useEffect(() => {
    setLoaded(false);
    void load();
  }, [api, channel]);

  const pin = async (p: Poll, pinned: boolean) => {
    try {
      await api.pinPoll(p.id, pinned);
      setStatus(pinned ? `Pinned “${p.question}”.` : `Unpinned “${p.question}”.`);
      await load();
    } catch (e) {
      setError(explain(e));
    }
  };

  return (
    <section class="stack" aria-labelledby="staff-polls-title">
      <h1 id="staff-polls-title">Polls</h1>
      <p class="muted">Pinned polls are shown first in their channel. Votes are counted without anyone knowing who chose what.</p>
      <div class="field">
        <label for={chanId}>Channel</label>
        <select id={chanId} value={channel} onChange={(e) => setChannel((e.currentTarget as HTMLSelectElement).value)}>
          {channels.map((c) => (
            <option key={c} value={c}>
              #{c}
            </option>
          ))}
        </select>
      </div>
      {status && <Notice kind="ok">{status}</Notice>}
      {error && <Notice kind="error">{error}</Notice>}
      <section class="stack" aria-label="Channel polls">
        {loaded && polls.length === 0 && <p class="muted empty">No polls in #{channel}.</p>}
        {polls.map((p) => (
          <article key={p.id} class="card poll" aria-label={p.question}>
            <div class="post-head">
              <h2 class="poll-question">{p.question}</h2>
              {p.pinned && <span class="badge">Pinned</span>}
            </div>
            <p class="muted">
              by @{p.author.handle} · {p.closed ? 'closed' : 'closes'} {fmtDate(p.closes_at)} · {p.votes === 1 ? '1 vote' : `${p.votes} votes`}
            </p>
            <p>{p.results ? p.options.map((o, i) => `${o}: ${p.results![i]}`).join(' · ') : p.options.join(' · ')}</p>
            {p.withheld === 'too_few_votes' && <p class="muted">Too few votes to show safely.</p>}
            <div class="row">
              <button type="button" class="secondary" onClick={() => void pin(p, !p.pinned)}>
                {p.pinned ? 'Unpin' : 'Pin'}
              </button>
            </div>
          </article>
        ))}
      </section>
      {next && (
        <button type="button" class="secondary more" onClick={() => void load(next)}>
          More polls
        </button>
      )}
    </section>
  );
}

// Polls for moderators: a channel's polls as pseudonyms see them (results
// only when they may be shown), with Pin / Unpin, and Hide / Restore with a
// reason; a pinned poll is listed first in its channel, a hidden one is
// listed here only, marked. A shown poll whose closing time passes turns to
// closed, with its results, without a reload.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Poll } from '../lib/polls';
import { explain } from '../lib/rpc';
import type { StaffApi } from '../lib/staffOps';
import { Notice, fmtDate } from '../ui/common';
import { usePollCloses } from '../ui/pollCloses';
import { ChannelSelect } from './ChannelSelect';
import { ReasonField, useReasonedAction } from './ReasonField';
import '../ui/polls.css';

export function StaffPolls(props: { api: StaffApi }) {
  const { api } = props;
  const [channel, setChannel] = useState('general');
  const [polls, setPolls] = useState<Poll[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState('');

  // The list as shown and the channel it is of, for answers that arrive later.
  const shown = useRef({ channel, count: 0 });
  shown.current = { channel, count: polls.length };

  const load = async (before?: string) => {
    try {
      const page = await api.polls(channel, before);
      if (shown.current.channel !== channel) return;
      setPolls((old) => (before ? [...old, ...page.items] : page.items));
      setNext(page.next);
      setError(null);
    } catch (e) {
      setError(explain(e));
    } finally {
      setLoaded(true);
    }
  };

  /** Loads the list again as deep as it was shown (every page "More polls" had added), after an action or a close. */
  const reload = async () => {
    const want = shown.current.count;
    let items: Poll[] = [];
    let more: string | null = null;
    try {
      do {
        const page = await api.polls(channel, more ?? undefined);
        items = [...items, ...page.items];
        more = page.next;
      } while (more && items.length < want);
      if (shown.current.channel !== channel) return;
      setPolls(items);
      setNext(more);
      setError(null);
    } catch (e) {
      setError(explain(e));
    }
  };

  useEffect(() => {
    setLoaded(false);
    void load();
  }, [api, channel]);

  // This list is not live: once a shown poll's closing time has passed, it
  // is loaded again.
  usePollCloses(polls, reload, [channel]);

  const pin = async (p: Poll, pinned: boolean) => {
    try {
      await api.pinPoll(p.id, pinned);
      setStatus(pinned ? `Pinned “${p.question}”.` : `Unpinned “${p.question}”.`);
      await reload();
    } catch (e) {
      setError(explain(e));
    }
  };

  /** Hides a visible poll or restores a hidden one; resolves with whether it was done. */
  const moderate = async (p: Poll, reason: string): Promise<boolean> => {
    setStatus('');
    if (!reason) {
      setError(`Give a reason for “${p.question}”: its author is shown it, and so is everyone in the public moderation log.`);
      return false;
    }
    try {
      if (p.hidden) await api.restorePoll(p.id, reason);
      else await api.hidePoll(p.id, reason);
      setStatus(p.hidden ? `Restored “${p.question}”.` : `Hid “${p.question}”.`);
      await reload();
      return true;
    } catch (e) {
      setError(explain(e));
      return false;
    }
  };

  return (
    <section class="stack" aria-labelledby="staff-polls-title">
      <h1 id="staff-polls-title">Polls</h1>
      <p class="muted">
        Pinned polls are shown first in their channel. A hidden poll is shown to nobody and takes no votes until it is restored.
        Votes are counted without anyone knowing who chose what.
      </p>
      <ChannelSelect api={api} value={channel} onChange={setChannel} />
      {status && <Notice kind="ok">{status}</Notice>}
      {error && <Notice kind="error">{error}</Notice>}
      <section class="stack" aria-label="Channel polls">
        {loaded && polls.length === 0 && <p class="muted empty">No polls in #{channel}.</p>}
        {polls.map((p) => (
          <StaffPollCard key={p.id} poll={p} onPin={pin} onModerate={moderate} />
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

function StaffPollCard(props: {
  poll: Poll;
  onPin: (p: Poll, pinned: boolean) => Promise<void>;
  onModerate: (p: Poll, reason: string) => Promise<boolean>;
}) {
  const p = props.poll;
  const why = useReasonedAction((reason) => props.onModerate(p, reason));
  return (
    <article class={p.hidden ? 'card poll poll-hidden' : 'card poll'} aria-label={p.question}>
      <div class="post-head">
        <h2 class="poll-question">{p.question}</h2>
        {p.pinned && <span class="badge">Pinned</span>}
        {p.hidden && <span class="badge badge-hidden">Hidden</span>}
      </div>
      <p class="muted">
        by @{p.author.handle} · {p.closed ? 'closed' : 'closes'} {fmtDate(p.closes_at)} · {p.votes === 1 ? '1 vote' : `${p.votes} votes`}
      </p>
      <p>{p.results ? p.options.map((o, i) => `${o}: ${p.results![i]}`).join(' · ') : p.options.join(' · ')}</p>
      {p.withheld === 'too_few_votes' && <p class="muted">Too few votes to show safely.</p>}
      <ReasonField id={why.id} value={why.reason} onInput={why.setReason} />
      <div class="row">
        <button type="button" class="secondary" onClick={() => void props.onPin(p, !p.pinned)}>
          {p.pinned ? 'Unpin' : 'Pin'}
        </button>
        <button type="button" class="secondary" disabled={why.busy} onClick={() => void why.run()}>
          {p.hidden ? 'Restore' : 'Hide'}
        </button>
      </div>
    </article>
  );
}

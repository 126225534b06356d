// A channel's polls beside its composer: create one, vote, change the vote
// until the poll closes, and see the results once they may be shown (after
// the close, or live if the creator allowed it, and only past the crowd
// minimum). The server keeps no voter's choice: this browser remembers the
// opening of its own votes (lib/polls.ts) so it can change them. The list is
// live: the channel's subscription brings new polls, changed counts, hides
// and restores, merged into what is loaded.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ForumSession } from '../lib/forum';
import {
  MAX_OPTION,
  MAX_OPTIONS,
  MAX_QUESTION,
  MIN_OPTIONS,
  appendPolls,
  closingIn,
  loadVote,
  mergePoll,
  newOpening,
  saveVote,
  verifyPoll,
  type Poll,
} from '../lib/polls';
import { newPostNonce } from '../lib/pseudonym';
import { RpcError, explain } from '../lib/rpc';
import { Field, Notice, fmtDate, useId } from '../ui/common';
import { usePollCloses } from '../ui/pollCloses';
import type { Bus } from './bus';
import '../ui/polls.css';

const PAGE = 10;
/** Errors after which a vote may or may not have been stored. */
const LOST = ['network', 'timeout', 'internal'];
const DURATIONS: { label: string; hours: number }[] = [
  { label: '1 hour', hours: 1 },
  { label: '1 day', hours: 24 },
  { label: '3 days', hours: 72 },
  { label: '1 week', hours: 168 },
  { label: '2 weeks', hours: 336 },
];

/** The loaded part of a channel's list and the cursor of the page after it. */
interface PollList {
  items: Poll[];
  next: string | null;
}

export function Polls(props: { session: ForumSession; bus: Bus; channel: string; subscribed: boolean; pk: string; issuer: string }) {
  const { session, channel } = props;
  // The list lives in a ref, changed at once by every push and answer in the
  // order they arrive, and rendered from the state that mirrors it.
  const listRef = useRef<PollList>({ items: [], next: null });
  const [list, setList] = useState<PollList>(listRef.current);
  const update = (f: (l: PollList) => PollList) => {
    listRef.current = f(listRef.current);
    setList(listRef.current);
  };
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [status, setStatus] = useState('');
  // Bumped by every full load: a later page asked for before it is dropped.
  const generation = useRef(0);
  // Polls this list has held, and the reader's `voted` on those a moderator hid (a restored one keeps it).
  const seen = useRef(new Set<string>());
  const votedOnHidden = useRef(new Map<string, boolean>());
  const remember = (items: Poll[]) => items.forEach((p) => seen.current.add(p.id));

  const load = async () => {
    const gen = ++generation.current;
    try {
      const page = await session.polls({ channel, limit: PAGE });
      if (gen !== generation.current) return;
      remember(page.items);
      update(() => ({ items: page.items, next: page.next }));
      setError(null);
    } catch (e) {
      if (gen === generation.current) setError(explain(e));
    } finally {
      if (gen === generation.current) setLoaded(true);
    }
  };

  // Listed once the subscription stands: a poll created in between is pushed, not missed.
  useEffect(() => {
    if (props.subscribed) void load();
  }, [session, channel, props.subscribed]);

  const more = async () => {
    const { next } = listRef.current;
    if (!next) return;
    const gen = generation.current;
    try {
      const page = await session.polls({ channel, before: next, limit: PAGE });
      if (gen !== generation.current) return;
      remember(page.items);
      update((l) => ({ items: appendPolls(l.items, page.items), next: page.next }));
    } catch (e) {
      setError(explain(e));
    }
  };

  /** The reader's `voted` on a poll it has not seen, which others already voted on (one restored while the page was away). */
  const learnVoted = (id: string) =>
    session
      .poll(id)
      .then((p) => update((l) => ({ ...l, items: l.items.map((x) => (x.id === id ? { ...x, voted: p.voted } : x)) })))
      .catch(() => undefined);

  // Live: polls created, voted on, hidden and restored in this channel; everything again after a reconnect.
  useEffect(
    () =>
      props.bus.on((ev, data) => {
        if (ev === 'poll' && data && typeof data.id === 'string' && data.channel === channel) {
          const pushed = data as Poll;
          const l = listRef.current;
          const known = l.items.some((p) => p.id === pushed.id);
          const knownVoted = votedOnHidden.current.get(pushed.id);
          update((cur) => ({ ...cur, items: mergePoll(cur.items, pushed, cur.next === null, knownVoted) }));
          const shown = listRef.current.items.some((p) => p.id === pushed.id);
          if (known || !shown) return;
          if (pushed.author.pk !== props.pk) setStatus(`${seen.current.has(pushed.id) ? 'Poll restored' : 'New poll'}: ${pushed.question}`);
          seen.current.add(pushed.id);
          if (knownVoted === undefined && pushed.votes > 0) void learnVoted(pushed.id);
        } else if (ev === 'poll_hidden' && data && typeof data.poll_id === 'string') {
          const gone = listRef.current.items.find((p) => p.id === data.poll_id);
          if (!gone) return;
          if (gone.voted !== undefined) votedOnHidden.current.set(gone.id, gone.voted);
          update((cur) => ({ ...cur, items: cur.items.filter((p) => p.id !== gone.id) }));
          setStatus(`A moderator hid the poll: ${gone.question}`);
        } else if (ev === 'reconnected') {
          void load();
        }
      }),
    [props.bus, session, channel],
  );

  const replace = (p: Poll) => update((l) => ({ ...l, items: l.items.map((x) => (x.id === p.id ? p : x)) }));

  // A shown poll whose closing time passes is asked for again, so that it
  // says it has closed and shows its results without a reload.
  usePollCloses(
    list.items,
    (due) => {
      for (const p of due)
        session
          .poll(p.id)
          .then(replace)
          .catch(() => undefined);  // hidden meanwhile (its push removes it) or offline: the recheck stands
    },
    [session],
  );
  const { items: polls, next } = list;

  return (
    <section class="polls stack" aria-label="Polls" aria-busy={!loaded}>
      <div class="row between">
        <h2 class="polls-title">Polls</h2>
        {!creating && (
          <button type="button" class="secondary" onClick={() => setCreating(true)}>
            New poll
          </button>
        )}
      </div>
      <p class="sr-only" role="status">
        {status}
      </p>
      {creating && (
        <PollForm
          session={session}
          channel={channel}
          onCancel={() => setCreating(false)}
          onCreated={(p) => {
            setCreating(false);
            seen.current.add(p.id);
            // One's own new poll is shown even when more pages follow.
            update((l) => ({ ...l, items: mergePoll(l.items, p, true) }));
          }}
        />
      )}
      {error && <Notice kind="error">{error}</Notice>}
      {loaded && polls.length === 0 && !creating && <p class="muted empty">No polls here yet.</p>}
      {polls.map((p) => (
        <PollCard key={p.id} poll={p} session={session} pk={props.pk} issuer={props.issuer} onChange={replace} />
      ))}
      {next && (
        <button type="button" class="secondary more" onClick={() => void more()}>
          More polls
        </button>
      )}
    </section>
  );
}

function PollForm(props: { session: ForumSession; channel: string; onCancel: () => void; onCreated: (p: Poll) => void }) {
  const [question, setQuestion] = useState('');
  const [options, setOptions] = useState<string[]>(['', '']);
  const [hours, setHours] = useState(24);
  const [live, setLive] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const durationId = useId('closes');
  const liveId = useId('live');
  // One nonce per draft: a retry after a lost answer returns the stored poll.
  const nonce = useRef(newPostNonce());
  const closesAt = useRef<number | null>(null);
  const edited = () => {
    nonce.current = newPostNonce();
    closesAt.current = null;
  };

  const submit = async () => {
    setError(null);
    const q = question.trim();
    const opts = options.map((o) => o.trim()).filter((o) => o.length > 0);
    if (!q) return setError('Write the question first.');
    if ([...q].length > MAX_QUESTION) return setError(`The question can be at most ${MAX_QUESTION} characters.`);
    if (opts.length < MIN_OPTIONS) return setError(`Give at least ${MIN_OPTIONS} options.`);
    if (opts.some((o) => [...o].length > MAX_OPTION)) return setError(`Each option can be at most ${MAX_OPTION} characters.`);
    if (new Set(opts).size !== opts.length) return setError('Two options are the same.');
    closesAt.current ??= closingIn(hours);
    setBusy(true);
    try {
      const p = await props.session.createPoll(
        { channel: props.channel, question: q, options: opts, closes_at: closesAt.current, live },
        nonce.current,
      );
      props.onCreated(p);
    } catch (e) {
      setError(explain(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      class="card stack poll-form"
      aria-label="New poll"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <Field
        label="Question"
        value={question}
        maxLength={MAX_QUESTION}
        onInput={(v) => {
          setQuestion(v);
          edited();
        }}
      />
      {options.map((o, i) => (
        <div class="poll-option-row" key={i}>
          <Field
            label={`Option ${i + 1}`}
            value={o}
            maxLength={MAX_OPTION}
            onInput={(v) => {
              setOptions((old) => old.map((x, j) => (j === i ? v : x)));
              edited();
            }}
          />
          {options.length > MIN_OPTIONS && (
            <button
              type="button"
              class="link"
              aria-label={`Remove option ${i + 1}`}
              onClick={() => {
                setOptions((old) => old.filter((_, j) => j !== i));
                edited();
              }}
            >
              Remove
            </button>
          )}
        </div>
      ))}
      {options.length < MAX_OPTIONS && (
        <div class="row">
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setOptions((old) => [...old, '']);
              edited();
            }}
          >
            Add option
          </button>
        </div>
      )}
      <div class="field">
        <label for={durationId}>Closes in</label>
        <select
          id={durationId}
          value={String(hours)}
          onChange={(e) => {
            setHours(Number((e.currentTarget as HTMLSelectElement).value));
            edited();
          }}
        >
          {DURATIONS.map((d) => (
            <option key={d.hours} value={String(d.hours)}>
              {d.label}
            </option>
          ))}
        </select>
      </div>
      <div class="row">
        <input
          id={liveId}
          type="checkbox"
          checked={live}
          onChange={(e) => {
            setLive((e.currentTarget as HTMLInputElement).checked);
            edited();
          }}
        />
        <label for={liveId}>Show results while the poll is open</label>
      </div>
      <p class="muted">
        Everyone certified under the current key can vote once, and change their vote until the poll closes. Nobody, not even the
        server, keeps who voted what. Results show only once enough people have voted.
      </p>
      {error && <Notice kind="error">{error}</Notice>}
      <div class="row">
        <button type="submit" disabled={busy}>
          Create poll
        </button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function PollCard(props: { poll: Poll; session: ForumSession; pk: string; issuer: string; onChange: (p: Poll) => void }) {
  const p = props.poll;
  const titleId = useId('poll');
  const [memory, setMemory] = useState(() => loadVote(props.pk, p.id));
  const [choice, setChoice] = useState<number | null>(memory.confirmed?.option ?? null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const signed = verifyPoll(p, props.issuer);
  const mine = memory.confirmed;
  // Voted (the server says so) but this browser holds no opening: it counts, it cannot be changed from here.
  const unchangeable = !!p.voted && !mine && !memory.pending;
  const canVote = !p.closed && !unchangeable;

  const vote = async () => {
    if (choice === null) return setError('Choose an option first.');
    setError(null);
    const { confirmed, pending } = memory;
    const opening = pending && pending.option === choice ? pending : newOpening(choice);
    const remember = (m: typeof memory) => {
      saveVote(props.pk, p.id, m);
      setMemory(m);
    };
    remember({ confirmed, pending: opening });
    setBusy(true);
    try {
      let updated: Poll;
      try {
        updated = await props.session.vote(p.id, opening, confirmed);
      } catch (e) {
        // An earlier attempt whose answer was lost may have landed: then the
        // server holds that attempt's commitment, and it is what to replace.
        if (!(e instanceof RpcError && e.code === 'forbidden' && pending && pending !== opening)) throw e;
        updated = await props.session.vote(p.id, opening, pending);
      }
      remember({ confirmed: opening, pending: null });
      props.onChange(updated);
    } catch (e) {
      // Refused by the server: nothing changed there. Otherwise the answer was
      // lost, and the same opening is sent again next time.
      if (e instanceof RpcError && !LOST.includes(e.code)) remember({ confirmed, pending: null });
      setError(explain(e));
    } finally {
      setBusy(false);
    }
  };

  const total = p.results ? p.results.reduce((a, b) => a + b, 0) : 0;
  return (
    <article class="card poll" aria-labelledby={titleId}>
      <div class="post-head">
        <h3 id={titleId} class="poll-question">
          {p.question}
        </h3>
        {p.pinned && <span class="badge">Pinned</span>}
      </div>
      <p class="muted">
        by <span class="handle">@{p.author.handle}</span> · {p.closed ? `closed ${fmtDate(p.closes_at)}` : `closes ${fmtDate(p.closes_at)}`} ·{' '}
        {p.votes === 1 ? '1 vote' : `${p.votes} votes`}
        {p.live && !p.closed ? ' · live results' : ''}
        {!signed && <span class="sig sig-bad"> · signature does not verify</span>}
      </p>
      {p.results && (
        <ul class="poll-results" aria-label="Results">
          {p.options.map((o, i) => (
            <li key={i}>
              <span>
                {o}: {p.results![i]} ({total ? Math.round((100 * p.results![i]) / total) : 0}%)
                {mine?.option === i ? ' · your vote' : ''}
              </span>
              <meter min={0} max={Math.max(total, 1)} value={p.results![i]} aria-label={`${o}: ${p.results![i]} votes`} />
            </li>
          ))}
        </ul>
      )}
      {p.withheld === 'too_few_votes' && (
        <p class="notice notice-info">
          Too few votes to show safely: results appear once at least {p.min_crowd} people have voted.
        </p>
      )}
      {p.withheld === 'open' && <p class="muted">Results show when the poll closes.</p>}
      {mine && !p.results && <p class="muted">You voted for “{p.options[mine.option]}”.</p>}
      {unchangeable && <p class="muted">You voted from another browser. Your vote counts; it can only be changed from there.</p>}
      {canVote && (
        <form
          class="stack"
          onSubmit={(e) => {
            e.preventDefault();
            void vote();
          }}
        >
          <fieldset class="poll-options">
            <legend class="sr-only">{p.question}</legend>
            {p.options.map((o, i) => (
              <label key={i} class="poll-choice">
                <input type="radio" name={`poll-${p.id}`} checked={choice === i} onChange={() => setChoice(i)} /> {o}
              </label>
            ))}
          </fieldset>
          {error && <Notice kind="error">{error}</Notice>}
          <div class="row">
            <button type="submit" disabled={busy || (mine !== null && choice === mine.option)}>
              {mine ? 'Change vote' : 'Vote'}
            </button>
          </div>
        </form>
      )}
      {!canVote && error && <Notice kind="error">{error}</Notice>}
    </article>
  );
}

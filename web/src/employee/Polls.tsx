// A channel's polls beside its composer: create one, vote, change the vote
// until the poll closes, and see the results once they may be shown (after
// the close, or live if the creator allowed it, and only past the crowd
// minimum). The server keeps no voter's choice: this browser remembers the
// opening of its own votes (lib/polls.ts) so it can change them.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ForumSession } from '../lib/forum';
import {
  MAX_OPTION,
  MAX_OPTIONS,
  MAX_QUESTION,
  MIN_OPTIONS,
  closingIn,
  loadVote,
  newOpening,
  saveVote,
  verifyPoll,
  type Poll,
} from '../lib/polls';
import { newPostNonce } from '../lib/pseudonym';
import { RpcError, explain } from '../lib/rpc';
import { Field, Notice, fmtDate, useId } from '../ui/common';
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

export function Polls(props: { session: ForumSession; channel: string; pk: string; issuer: string }) {
  const { session, channel } = props;
  const [polls, setPolls] = useState<Poll[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);

  const load = async () => {
    try {
      const page = await session.polls({ channel, limit: PAGE });
      setPolls(page.items);
      setNext(page.next);
      setError(null);
    } catch (e) {
      setError(explain(e));
    }
  };

  useEffect(() => {
    void load();
  }, [session, channel]);

  const more = async () => {
    if (!next) return;
    try {
      const page = await session.polls({ channel, before: next, limit: PAGE });
      setPolls((old) => [...old, ...page.items]);
      setNext(page.next);
    } catch (e) {
      setError(explain(e));
    }
  };

  const replace = (p: Poll) => setPolls((old) => old.map((x) => (x.id === p.id ? p : x)));

  return (
    <section class="polls stack" aria-label="Polls">
      <div class="row between">
        <h2 class="polls-title">Polls</h2>
        {!creating && (
          <button type="button" class="secondary" onClick={() => setCreating(true)}>
            New poll
          </button>
        )}
      </div>
      {creating && (
        <PollForm
          session={session}
          channel={channel}
          onCancel={() => setCreating(false)}
          onCreated={(p) => {
            setCreating(false);
            setPolls((old) => [p, ...old.filter((x) => x.id !== p.id)]);
          }}
        />
      )}
      {error && <Notice kind="error">{error}</Notice>}
      {polls.length === 0 && !creating && <p class="muted empty">No polls here yet.</p>}
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

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { b64urlDecode } from '../lib/b64';
import type { VerifiedDirectory } from '../lib/directory';
import {
  FLAG_REASONS,
  crowdOf,
  type Anonymity,
  type Channel,
  type FlagReason,
  type ForumSession,
  type HiddenPost,
  type ModlogEntry,
  type Post,
  type Pseudonym,
  type Reaction,
  type Thread,
} from '../lib/forum';
import { keystore, type StoredPseudonym } from '../lib/keystore';
import { newPostNonce } from '../lib/pseudonym';
import { loadReacted, reactedKey, saveReacted } from '../lib/reacted';
import { coveringKey } from '../lib/renewal';
import { explain } from '../lib/rpc';
import { modlogActionText, modlogTarget, modlogTargetText, modlogTargetTitle, type ModlogTargetFields } from '../lib/staffModlog';
import { Notice, fmtDate, shortKey, useId } from '../ui/common';
import { ExportBackup, RestoreBackup } from './Backup';
import type { Bus } from './bus';
import { aboutTime } from './issuance';
import { crowdWarning } from './text';
import { HiddenCard, PostCard } from './PostCard';
import { Polls } from './Polls';
import { Notifications } from './Notifications';
import { ExportPosts } from './ExportPosts';
import { SearchBox, SearchResults } from './Search';
import type { RenewalState } from './renewer';

type View =
  | { kind: 'feed' }
  | { kind: 'thread'; id: string }
  | { kind: 'modlog' }
  | { kind: 'profile'; handle: string }
  | { kind: 'me' }
  | { kind: 'search'; query: string; channel: string | null };

const MAX_BODY = 10000;
/** Posts per feed page, and replies per thread page. */
const FEED_PAGE = 30;
const THREAD_PAGE = 50;

function useReacted(pk: string) {
  const [set, setSet] = useState<Set<string>>(() => loadReacted(pk));
  const update = (k: string, on: boolean) =>
    setSet((old) => {
      const s = new Set(old);
      if (on) s.add(k);
      else s.delete(k);
      saveReacted(pk, s);
      return s;
    });
  return [set, update] as const;
}

export function Forum(props: {
  session: ForumSession;
  me: Pseudonym;
  /** The pseudonym was created just now (the backup prompt is shown). */
  fresh: boolean;
  stored: StoredPseudonym;
  issuer: string;
  dir: VerifiedDirectory | null;
  crowd: Anonymity | null;
  renewal: RenewalState;
  bus: Bus;
  onRenew: () => void;
  onRenewNow: () => void;
  onForget: () => void;
  onReplaced: (p: StoredPseudonym) => void;
}) {
  const { session, me, issuer, crowd, dir } = props;
  const [channels, setChannels] = useState<Channel[]>([{ name: 'general', description: '' }]);
  const [channel, setChannel] = useState('general');
  const [view, setView] = useState<View>({ kind: 'feed' });
  const [posts, setPosts] = useState<Post[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [feedError, setFeedError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [thread, setThread] = useState<Thread | null>(null);
  const [flagging, setFlagging] = useState<Post | null>(null);
  const [toast, setToast] = useState<string>('');
  const [backupPrompt, setBackupPrompt] = useState(props.fresh);
  const [reacted, setReacted] = useReacted(me.pk);
  const viewRef = useRef(view);
  viewRef.current = view;
  const channelRef = useRef(channel);
  channelRef.current = channel;
  const feedRef = useRef<HTMLElement>(null);

  const say = (t: string) => {
    setToast(t);
    setTimeout(() => setToast((x) => (x === t ? '' : x)), 5000);
  };

  // Keyboard and screen-reader users land in the feed when the forum appears.
  useEffect(() => {
    feedRef.current?.focus({ preventScroll: true });
  }, []);

  useEffect(() => {
    session
      .channels()
      .then((cs) => cs.length && setChannels(cs))
      .catch(() => undefined);
  }, [session]);

  const loadFeed = useCallback(
    async (ch: string) => {
      setLoading(true);
      setFeedError(null);
      try {
        const page = await session.feed({ channel: ch, limit: FEED_PAGE });
        if (channelRef.current !== ch) return;
        setPosts(page.items);
        setNext(page.next);
      } catch (e) {
        setFeedError(explain(e));
      } finally {
        setLoading(false);
      }
    },
    [session],
  );

  // Subscribe to the current channel (its posts and polls) and load its feed.
  // The polls are listed once the subscription stands, so none is missed between.
  const [subscribedTo, setSubscribedTo] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setSubscribedTo(null);
    void (async () => {
      try {
        await session.subscribe(channel, { polls: true });
      } catch (e) {
        if (live) setFeedError(`Live updates unavailable: ${explain(e)}`);
      }
      if (live) setSubscribedTo(channel);
      await loadFeed(channel);
    })();
    return () => {
      live = false;
      void session.unsubscribe(channel);
    };
  }, [session, channel]);

  const loadThread = useCallback(
    async (id: string) => {
      try {
        setThread(await session.thread({ post_id: id, limit: THREAD_PAGE }));
      } catch (e) {
        say(explain(e));
        setView({ kind: 'feed' });
      }
    },
    [session],
  );

  const loadMoreReplies = async () => {
    const t = thread;
    if (!t?.next) return;
    try {
      const page = await session.thread({ post_id: t.post.id, after: t.next, limit: THREAD_PAGE });
      setThread((cur) =>
        cur && cur.post.id === t.post.id
          ? { ...cur, replies: [...cur.replies, ...page.replies.filter((r) => !cur.replies.some((o) => o.id === r.id))], next: page.next }
          : cur,
      );
    } catch (e) {
      say(explain(e));
    }
  };

  /** A reply arrived (live, or our own): shown at once when the thread is read to its end, else counted. */
  const addReply = (p: Post) =>
    setThread((t) =>
      t && t.post.id === p.parent && t.next === null && !t.replies.some((r) => r.id === p.id) ? { ...t, replies: [...t.replies, p] } : t,
    );

  // Live pushes.
  useEffect(
    () =>
      props.bus.on((ev, data) => {
        if (ev === 'post' && data && typeof data.id === 'string') {
          const p = data as Post;
          if (p.channel !== channelRef.current) return;
          if (p.parent === null) {
            setPosts((old) => (old.some((x) => x.id === p.id) ? old : [p, ...old]));
          } else {
            setPosts((old) => old.map((x) => (x.id === p.parent ? { ...x, replies: x.replies + 1 } : x)));
            addReply(p);
          }
        } else if (ev === 'post_hidden' && data && typeof data.post_id === 'string') {
          const id = data.post_id as string;
          setPosts((old) => old.filter((x) => x.id !== id));
          setThread((t) => {
            if (!t) return t;
            const hide = (x: Post | HiddenPost): Post | HiddenPost => (x.id === id ? { id, hidden: true } : x);
            return { ...t, post: hide(t.post), replies: t.replies.map(hide) };
          });
        } else if (ev === 'reconnected') {
          void loadFeed(channelRef.current);
          const v = viewRef.current;
          if (v.kind === 'thread') void loadThread(v.id);
        }
      }),
    [props.bus, loadFeed, loadThread],
  );

  useEffect(() => {
    if (view.kind === 'thread') void loadThread(view.id);
    else setThread(null);
  }, [view]);

  // Keyboard and screen-reader users land at the top of the view they opened.
  const firstView = useRef(true);
  useEffect(() => {
    if (firstView.current) {
      firstView.current = false;
      return;
    }
    const el = document.querySelector<HTMLElement>('.content [data-view-title]');
    el?.focus({ preventScroll: false });
  }, [view]);

  const loadOlder = async () => {
    if (!next) return;
    try {
      const page = await session.feed({ channel, before: next, limit: FEED_PAGE });
      setPosts((old) => [...old, ...page.items.filter((p) => !old.some((o) => o.id === p.id))]);
      setNext(page.next);
    } catch (e) {
      say(explain(e));
    }
  };

  const send = async (body: string, parent: string | null, nonce: string): Promise<boolean> => {
    const p = await session.post(channel, parent, body, nonce);
    if (parent === null) setPosts((old) => (old.some((x) => x.id === p.id) ? old : [p, ...old]));
    else addReply(p);
    return true;
  };

  const react = async (p: Post, reaction: Reaction, on: boolean) => {
    try {
      const reactions = await session.react(p.id, reaction, on);
      setReacted(reactedKey(p.id, reaction), on);
      const upd = (x: Post | HiddenPost) => (x.id === p.id && !('hidden' in x) ? { ...x, reactions } : x);
      setPosts((old) => old.map((x) => upd(x) as Post));
      setThread((t) => (t ? { ...t, post: upd(t.post), replies: t.replies.map(upd) } : t));
    } catch (e) {
      say(explain(e));
    }
  };

  const del = async (p: Post) => {
    try {
      await session.delete(p.id);
      setPosts((old) => old.filter((x) => x.id !== p.id));
      say('Your post was deleted.');
    } catch (e) {
      say(explain(e));
    }
  };

  const cardProps = (p: Post) => ({
    post: p,
    issuer,
    mine: p.author?.pk === me.pk,
    reacted,
    onReact: react,
    onFlag: setFlagging,
    onProfile: (handle: string) => setView({ kind: 'profile', handle }),
    onDelete: del,
  });

  const nowSec = Date.now() / 1000;
  const endsSoon = !props.renewal.needed && !props.renewal.held && me.valid_until - nowSec < 3 * 86400;
  // The crowd warning speaks of the key the pseudonym is certified under (after
  // a rotation, until it renews, an earlier key), when the server counts it.
  const covering = coveringKey(me, dir);
  const mine = covering ? crowdOf(crowd, covering.key_id) : null;
  const warning = crowd && mine ? crowdWarning(mine.certified, crowd.min_crowd) : null;

  return (
    <div class="forum">
      <nav class="side" aria-label="Forum">
        <Notifications session={session} bus={props.bus} onOpenPost={(id) => setView({ kind: 'thread', id })} />
        <SearchBox channels={channels} onSearch={(query, ch) => setView({ kind: 'search', query, channel: ch })} />
        <h2 class="side-title">Channels</h2>
        <ul class="chan-list">
          {channels.map((c) => (
            <li key={c.name}>
              <button
                type="button"
                class="chan"
                aria-current={view.kind === 'feed' && c.name === channel ? 'page' : undefined}
                title={c.description}
                onClick={() => {
                  setChannel(c.name);
                  setView({ kind: 'feed' });
                }}
              >
                #{c.name}
              </button>
            </li>
          ))}
        </ul>
        <ul class="chan-list">
          <li>
            <button type="button" class="chan" aria-current={view.kind === 'modlog' ? 'page' : undefined} onClick={() => setView({ kind: 'modlog' })}>
              Moderation log
            </button>
          </li>
          <li>
            <button type="button" class="chan" aria-current={view.kind === 'me' ? 'page' : undefined} onClick={() => setView({ kind: 'me' })}>
              My pseudonym
            </button>
          </li>
        </ul>
      </nav>

      <div class="content">
        {backupPrompt && (
          <BackupPrompt stored={props.stored} dir={dir} onDone={() => setBackupPrompt(false)} />
        )}
        <RenewalBanner me={me} dir={dir} renewal={props.renewal} onRenewNow={props.onRenewNow} />
        {endsSoon && (
          <Notice kind="warn">
            Your certification {me.valid_until < nowSec ? 'has ended' : `ends ${fmtDate(me.valid_until)}`}.{' '}
            <button type="button" class="link" onClick={props.onRenew}>
              Renew it
            </button>
          </Notice>
        )}

        {view.kind === 'feed' && (
          <>
            <h1 class="chan-title" tabIndex={-1} data-view-title>
              #{channel}
              <small class="muted">{channels.find((c) => c.name === channel)?.description}</small>
            </h1>
            <Composer key={`c-${channel}`} label="Write a post" warning={warning} onSend={(body, nonce) => send(body, null, nonce)} />
            <Polls
              key={`p-${channel}`}
              session={session}
              bus={props.bus}
              channel={channel}
              subscribed={subscribedTo === channel}
              pk={me.pk}
              issuer={issuer}
            />
            {feedError && <Notice kind="error">{feedError}</Notice>}
            <section class="feed" aria-label="Feed" aria-busy={loading} tabIndex={-1} ref={feedRef}>
              {!loading && posts.length === 0 && <p class="muted empty">No posts yet. Say something.</p>}
              {posts.map((p) => (
                <PostCard key={p.id} {...cardProps(p)} onReply={(x) => setView({ kind: 'thread', id: x.id })} />
              ))}
            </section>
            {next && (
              <button type="button" class="secondary more" onClick={() => void loadOlder()}>
                Load older
              </button>
            )}
          </>
        )}

        {view.kind === 'thread' && (
          <section class="thread" aria-label="Thread">
            <button type="button" class="link back" data-view-title onClick={() => setView({ kind: 'feed' })}>
              ← Back to #{channel}
            </button>
            {!thread && <p class="muted">Loading thread…</p>}
            {thread && (
              <>
                {'hidden' in thread.post ? <HiddenCard /> : <PostCard {...cardProps(thread.post)} />}
                <h2 class="replies-title">{repliesTitle(thread)}</h2>
                <div class="replies">
                  {thread.replies.map((r) => ('hidden' in r ? <HiddenCard key={r.id} /> : <PostCard key={r.id} {...cardProps(r)} />))}
                </div>
                {thread.next && (
                  <button type="button" class="secondary more" onClick={() => void loadMoreReplies()}>
                    Load more replies
                  </button>
                )}
                {!('hidden' in thread.post) && (
                  <Composer
                    key={`r-${thread.post.id}`}
                    label="Write a post in reply"
                    warning={warning}
                    onSend={(body, nonce) => send(body, thread.post.id, nonce)}
                  />
                )}
              </>
            )}
          </section>
        )}

        {view.kind === 'search' && (
          <SearchResults
            key={`${view.channel ?? ''}\n${view.query}`}
            session={session}
            query={view.query}
            channel={view.channel}
            renderPost={(p) => (
              <PostCard
                key={p.id}
                {...cardProps(p)}
                onReply={(x) => {
                  setChannel(x.channel);
                  setView({ kind: 'thread', id: x.parent ?? x.id });
                }}
              />
            )}
          />
        )}
        {view.kind === 'modlog' && <ModlogView session={session} />}
        {view.kind === 'profile' && <ProfileView session={session} handle={view.handle} />}
        {view.kind === 'me' && (
          <MeView
            session={session}
            me={me}
            stored={props.stored}
            onRenew={props.onRenew}
            onForget={props.onForget}
            onReplaced={props.onReplaced}
          />
        )}
      </div>

      {flagging && (
        <FlagDialog
          post={flagging}
          onClose={() => setFlagging(null)}
          onSend={async (reason, note) => {
            await session.flag(flagging.id, reason, note);
            setFlagging(null);
            say('Flag sent to the moderators.');
          }}
        />
      )}
      <div class="toast" aria-live="polite">
        {toast}
      </div>
    </div>
  );
}

/** "N replies": all of them, not only the pages loaded so far. */
function repliesTitle(t: Thread): string {
  const n = 'hidden' in t.post ? t.replies.length : Math.max(t.post.replies, t.replies.length);
  return `${n} ${n === 1 ? 'reply' : 'replies'}`;
}

/**
 * Right after the pseudonym is made: ask for an encrypted backup. One token
 * per key means a cleared browser leaves the employee without a voice until
 * the next key, so the prompt says exactly that.
 */
function BackupPrompt(props: { stored: StoredPseudonym; dir: VerifiedDirectory | null; onDone: () => void }) {
  const next = props.dir?.active?.issue_until;
  const [saved, setSaved] = useState(false);
  if (saved) {
    return (
      <Notice kind="ok">
        Backup file saved. Keep it and its passphrase apart.{' '}
        <button type="button" class="link" onClick={props.onDone}>
          Close
        </button>
      </Notice>
    );
  }
  return (
    <section class="card backup-prompt" aria-labelledby="backup-now">
      <h2 id="backup-now">Back up your pseudonym now</h2>
      <p>
        Its secret key exists only in this browser. You get one token per key, and you have used it: if this browser’s
        data is cleared, this pseudonym is gone and you have no voice here until the next key
        {next ? `, about ${fmtDate(next)}` : ''}. An encrypted backup file, kept apart from its passphrase, avoids that.
      </p>
      <ExportBackup stored={props.stored} onSaved={() => setSaved(true)} />
      <button type="button" class="link" onClick={props.onDone}>
        Not now
      </button>
    </section>
  );
}

/**
 * After a rotation: the pseudonym is still covered by the key it was
 * certified under, and until when; renewal is one click, and then happens on
 * its schedule (lib/schedule.ts).
 */
function RenewalBanner(props: { me: Pseudonym; dir: VerifiedDirectory | null; renewal: RenewalState; onRenewNow: () => void }) {
  const { renewal: r, me, dir } = props;
  const epoch = dir?.active?.epoch;
  if (r.held) {
    const heldKey = dir?.keys.find((k) => k.key_id === r.held!.key_id);
    return (
      <Notice kind="ok">
        <p>
          Your token for key epoch {heldKey?.epoch ?? '?'} is in this browser. Your certification is renewed with it on its own at
          about <strong>{aboutTime(r.held.certify_after)}</strong>, days after the token arrived, so the two cannot be matched by
          time (this page needs to be open then, or it is done the next time you open it).
        </p>
        {r.hold && !r.hold.ok && r.hold.reason === 'crowd' && (
          <p>
            Waiting for the crowd: only {r.hold.issued} tokens have been issued under that key so far, fewer than {r.hold.minCrowd}.
          </p>
        )}
        {r.hold && !r.hold.ok && r.hold.reason === 'young' && <p>Waiting until that key has been active a while (about {aboutTime(r.hold.until)}).</p>}
        {r.news && <p>{r.news}</p>}
      </Notice>
    );
  }
  if (r.needed) {
    return (
      <Notice kind="info">
        <p>
          A new key{epoch !== undefined ? ` (epoch ${epoch})` : ''} is active. You are still covered until{' '}
          <strong>{fmtDate(me.valid_until)}</strong> by the key you were certified under: nothing to do in a hurry.{' '}
          {r.fetchAt
            ? `This browser fetches your token for the new key on its own at about ${aboutTime(r.fetchAt)} and renews with it days later.`
            : r.fetchDue
              ? 'It is a good moment to get your token for the new key: it is spent days later, on its own.'
              : 'Get your token for the new key when convenient: it is spent days later, on its own.'}
        </p>
        <button type="button" class="secondary" disabled={r.busy} onClick={props.onRenewNow}>
          Renew
        </button>
        {r.news && <p>{r.news}</p>}
      </Notice>
    );
  }
  return r.news ? <Notice kind="ok">{r.news}</Notice> : null;
}

function Composer(props: { label: string; warning: string | null; onSend: (body: string, nonce: string) => Promise<boolean> }) {
  const id = useId('compose');
  const [body, setBody] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // One nonce per draft: a retry after a lost answer returns the stored post, not a duplicate.
  const nonce = useRef(newPostNonce());
  const len = [...body].length;

  const submit = async () => {
    setError(null);
    if (!body.trim()) return setError('Write something first.');
    if (len > MAX_BODY) return setError(`At most ${MAX_BODY} characters.`);
    setBusy(true);
    try {
      const sent = await props.onSend(body, nonce.current);
      if (sent) {
        setBody('');
        nonce.current = newPostNonce();
      }
    } catch (e) {
      setError(explain(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label for={id}>{props.label}</label>
      <textarea
        id={id}
        rows={3}
        value={body}
        aria-describedby={props.warning ? `${id}-crowd` : undefined}
        onInput={(e) => {
          setBody((e.currentTarget as HTMLTextAreaElement).value);
          nonce.current = newPostNonce();
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            void submit();
          }
        }}
      />
      {props.warning && (
        <p id={`${id}-crowd`} class="crowd-warning">
          {props.warning}
        </p>
      )}
      {error && <Notice kind="error">{error}</Notice>}
      <div class="row between">
        <span class={`muted ${len > MAX_BODY ? 'over' : ''}`}>
          {len}/{MAX_BODY} · signed in this browser
        </span>
        <button type="submit" disabled={busy}>
          Post
        </button>
      </div>
    </form>
  );
}

function FlagDialog(props: { post: Post; onClose: () => void; onSend: (reason: FlagReason, note: string) => Promise<void> }) {
  const ref = useRef<HTMLDialogElement>(null);
  const selId = useId('reason');
  const noteId = useId('note');
  const [reason, setReason] = useState<FlagReason>(FLAG_REASONS[0]);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);

  return (
    <dialog ref={ref} class="dialog" aria-labelledby={`${selId}-title`} onClose={props.onClose}>
      <form
        class="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            await props.onSend(reason, note.trim());
          } catch (err) {
            setError(explain(err));
            setBusy(false);
          }
        }}
      >
        <h2 id={`${selId}-title`}>Flag this post by @{props.post.author?.handle}</h2>
        <blockquote class="quote">{props.post.body.slice(0, 280)}</blockquote>
        <p class="muted">Moderators see how often and why a post was flagged, and any notes, but not who flagged it.</p>
        <div class="field">
          <label for={selId}>Reason</label>
          <select id={selId} value={reason} onChange={(e) => setReason((e.currentTarget as HTMLSelectElement).value as FlagReason)}>
            {FLAG_REASONS.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for={noteId}>Note for moderators (optional)</label>
          <textarea id={noteId} rows={2} maxLength={1000} value={note} onInput={(e) => setNote((e.currentTarget as HTMLTextAreaElement).value)} />
        </div>
        {error && <Notice kind="error">{error}</Notice>}
        <div class="row">
          <button type="submit" disabled={busy}>
            Send flag
          </button>
          <button type="button" class="secondary" onClick={() => ref.current?.close()}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}

export function ModlogList(props: { entries: (ModlogEntry & ModlogTargetFields)[] }) {
  return (
    <ol class="modlog">
      {props.entries.map((e) => {
        const t = modlogTarget(e);
        return (
          <li key={e.id}>
            <span class={`action action-${e.action.replace('.', '-')}`}>{modlogActionText(e.action)}</span>{' '}
            <span class={`target target-${t.kind}`} title={modlogTargetTitle(t)}>
              {modlogTargetText(t)}
            </span>
            <span class="muted">
              {' '}
              by {e.actor_role === 'admin' ? 'an' : 'a'} {e.actor_role} · {fmtDate(e.at)}
            </span>
            {e.reason && <p class="reason">{e.reason}</p>}
          </li>
        );
      })}
    </ol>
  );
}

function ModlogView(props: { session: ForumSession }) {
  const [entries, setEntries] = useState<(ModlogEntry & ModlogTargetFields)[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = async (before?: string) => {
    try {
      const page = await props.session.modlog({ limit: 50, ...(before ? { before } : {}) });
      setEntries((old) => (before ? [...old, ...page.items] : page.items));
      setNext(page.next);
    } catch (e) {
      setError(explain(e));
    }
  };
  useEffect(() => void load(), []);
  return (
    <section aria-labelledby="modlog-title">
      <h1 id="modlog-title" tabIndex={-1} data-view-title>Moderation log</h1>
      <p class="muted">Every hide and restore of a post or a poll, every ban and key change, with its reason. Public to every pseudonym.</p>
      {error && <Notice kind="error">{error}</Notice>}
      {entries.length === 0 && !error && <p class="muted">Nothing yet.</p>}
      <ModlogList entries={entries} />
      {next && (
        <button type="button" class="secondary" onClick={() => void load(next)}>
          Load older entries
        </button>
      )}
    </section>
  );
}

function PseudonymFacts(props: { p: Pseudonym }) {
  const { p } = props;
  return (
    <dl class="facts">
      <dt>Handle</dt>
      <dd>@{p.handle}</dd>
      <dt>Key</dt>
      <dd>
        <code title={p.pk}>{shortKey(p.pk)}…</code>
      </dd>
      <dt>Since key epoch</dt>
      <dd>{p.since_epoch}</dd>
      <dt>Certified until</dt>
      <dd>{fmtDate(p.valid_until)}</dd>
      <dt>Visible posts</dt>
      <dd>{p.posts}</dd>
    </dl>
  );
}

function ProfileView(props: { session: ForumSession; handle: string }) {
  const [p, setP] = useState<Pseudonym | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setP(null);
    props.session
      .profile(props.handle)
      .then(setP)
      .catch((e) => setError(explain(e)));
  }, [props.handle]);
  return (
    <section aria-labelledby="profile-title">
      <h1 id="profile-title" tabIndex={-1} data-view-title>@{props.handle}</h1>
      {error && <Notice kind="error">{error}</Notice>}
      {p && <PseudonymFacts p={p} />}
    </section>
  );
}

function MeView(props: {
  session: ForumSession;
  me: Pseudonym;
  stored: StoredPseudonym;
  onRenew: () => void;
  onForget: () => void;
  onReplaced: (p: StoredPseudonym) => void;
}) {
  const [sure, setSure] = useState(false);
  return (
    <section aria-labelledby="me-title" class="stack">
      <h1 id="me-title" tabIndex={-1} data-view-title>My pseudonym</h1>
      <PseudonymFacts p={props.me} />
      <div class="card">
        <h2>Back up this pseudonym</h2>
        <p>
          Its secret key lives only in this browser. Export it, encrypted with a passphrase, to keep it or use it on
          another device.
        </p>
        <ExportBackup stored={props.stored} />
      </div>
      <ExportPosts session={props.session} />
      <div class="card">
        <h2>Renew</h2>
        <p>Get a fresh certification under the current key (needs your employee sign-in and a token from your quota).</p>
        <button type="button" class="secondary" onClick={props.onRenew}>
          Renew certification
        </button>
      </div>
      <div class="card">
        <h2>Use a different pseudonym</h2>
        <p>Restoring a backup replaces the pseudonym kept in this browser.</p>
        <RestoreBackup
          onRestored={async (b) => {
            const stored: StoredPseudonym = {
              sk: b64urlDecode(b.sk),
              pk: b.pk,
              handle: b.handle,
              issuer: b.issuer,
              master_key: b.master_key,
            };
            await keystore.putPseudonym(stored);
            props.onReplaced(stored);
          }}
        />
        {sure ? (
          <div class="row spaced">
            <button type="button" class="danger" onClick={props.onForget}>
              Yes, erase it from this browser
            </button>
            <button type="button" class="secondary" onClick={() => setSure(false)}>
              Cancel
            </button>
          </div>
        ) : (
          <button type="button" class="danger spaced" onClick={() => setSure(true)}>
            Forget this pseudonym on this browser…
          </button>
        )}
      </div>
    </section>
  );
}

// Polls on the real server (docs/protocol.md "Polls"): create, list, vote,
// change a vote by opening the stored commitment, results only when closed
// (or live) and only past min_crowd, eligibility by the key active when the
// poll opened, staff pinning, hiding and restoring, live poll events for
// subscribers that ask for them, and every error of every poll op (but
// `banned`: a ban closes the pseudonym's connections and refuses its login,
// so a poll op meets it only in a race; it is check_may_act's, as for posts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import {
  Server, Pseudonym, b64u, unb64u, utf8, sleep, newNonce, login, fetchKeys, obtainToken, enrolledEmployee,
  pseudonymOnForum, signedPost,
} from './lib/harness.mjs';

const GRANULARITY = 2;  // seconds; closing times must be multiples of it
const MIN_CROWD = 3;

let server, admin, alice, voters, late;
const now = () => Math.floor(Date.now() / 1000);
const aligned = (t) => t - (t % GRANULARITY) + GRANULARITY;
const salt = () => b64u(webcrypto.getRandomValues(new Uint8Array(32)));

function pollBytes(s, { channel, closes_at, live, nonce, question, options }) {
  return utf8([`hearth/poll/v1`, s.issuer, channel, String(closes_at), live ? '1' : '0', nonce, question, ...options].join('\n'));
}
function voteBytes(s, pollId, option, saltText, previous) {
  return utf8([`hearth/vote/v1`, s.issuer, pollId, String(option), saltText,
    previous ? String(previous.option) : '', previous ? previous.salt : ''].join('\n'));
}
function signedPoll(p, fields) {
  const f = { channel: 'general', live: false, nonce: newNonce(), ...fields };
  return { ...f, sig: b64u(p.sign(pollBytes(server, f))) };
}
function signedVote(p, pollId, option, previous, s = salt()) {
  return { poll_id: pollId, option, salt: s, ...(previous ? { previous } : {}),
    sig: b64u(p.sign(voteBytes(server, pollId, option, s, previous))) };
}

before(async () => {
  server = await Server.start({
    config: `[forum]\ntime_granularity = ${GRANULARITY}\nmin_crowd = ${MIN_CROWD}\n[rate]\npost = { per_second = 0 }\nops = { per_second = 0 }\n`,
  });
  admin = await server.admin();
  alice = await pseudonymOnForum(server, admin, 'poll-alice', 'poll_alice');
  voters = [];
  for (let i = 0; i < 3; ++i) voters.push(await pseudonymOnForum(server, admin, `poll-voter-${i}`, `poll_voter_${i}`));
});
after(async () => {
  admin?.close();
  for (const v of [alice, ...(voters ?? []), late]) v?.forum.close();
  await server?.stop();
  server?.cleanup();
});

test('poll.create: a signed poll, retried by nonce, and every bad input', async () => {
  const f = alice.forum;
  const closes_at = aligned(now() + 3600);
  const req = signedPoll(alice.p, { question: 'Lunch on Friday?', options: ['Pizza', 'Salad', 'Neither'], closes_at });
  const { poll } = await f.ok('poll.create', req);
  assert.equal(poll.question, 'Lunch on Friday?');
  assert.deepEqual(poll.options, ['Pizza', 'Salad', 'Neither']);
  assert.equal(poll.closes_at, closes_at);
  assert.equal(poll.created_at % GRANULARITY, 0, 'created_at coarsened');
  assert.equal(poll.author.handle, 'poll_alice');
  assert.equal(poll.votes, 0);
  assert.equal(poll.results, null);
  assert.equal(poll.withheld, 'open');
  assert.equal(poll.closed, false);
  assert.equal(poll.voted, false);
  const active = (await fetchKeys(server)).keys.find((k) => k.state === 'active');
  assert.equal(poll.key_id, active.key_id, 'who may vote: the key active at creation');
  // Anyone can check the author's signature from the poll object alone.
  assert.ok(ed25519.verify(unb64u(poll.sig), pollBytes(server, poll), unb64u(poll.author.pk)));

  const again = await f.ok('poll.create', req);
  assert.equal(again.poll.id, poll.id, 'a retry returns the stored poll');
  assert.equal(await f.err('poll.create', signedPoll(alice.p, { question: 'Other', options: ['a', 'b'], closes_at, nonce: req.nonce })),
    'conflict', 'the same nonce for a different poll');

  const bad = (fields) => signedPoll(alice.p, { question: 'Q?', options: ['a', 'b'], closes_at, ...fields });
  const cases = [
    [{ options: ['only'] }, 'one option'],
    [{ options: Array.from({ length: 11 }, (_, i) => `o${i}`) }, 'eleven options'],
    [{ options: ['same', 'same'] }, 'repeated option'],
    [{ options: ['a', ''] }, 'empty option'],
    [{ options: ['a', 'x'.repeat(101)] }, 'option too long'],
    [{ options: ['a', 'b\nc'] }, 'option with a newline'],
    [{ options: ['a', 7] }, 'option not a string'],
    [{ options: 'a,b' }, 'options not an array'],
    [{ question: '' }, 'empty question'],
    [{ question: 'q'.repeat(301) }, 'question too long'],
    [{ question: 'two\nlines' }, 'question with a newline'],
    [{ closes_at: aligned(now() - 100) }, 'closing in the past'],
    [{ closes_at: aligned(now() + 31 * 86400) }, 'closing beyond 30 days'],
    [{ closes_at: aligned(now() + 600) + 1 }, 'closing time off the granularity'],
    [{ closes_at: 'soon' }, 'closing time not a number'],
    [{ nonce: 'short' }, 'nonce too short'],
    [{ channel: 'No Such' }, 'channel name invalid'],
    [{ live: 'yes' }, 'live not a boolean'],
  ];
  for (const [fields, what] of cases) assert.equal(await f.err('poll.create', bad(fields)), 'bad_request', what);
  const { sig, ...unsigned } = bad({});
  assert.equal(await f.err('poll.create', unsigned), 'bad_request', 'no signature');
  assert.equal(await f.err('poll.create', { ...bad({}), sig: 'not base64url!' }), 'bad_request');
  assert.equal(await f.err('poll.create', { ...bad({}), sig: b64u(new Uint8Array(64)) }), 'invalid_signature');
  const other = bad({});
  assert.equal(await f.err('poll.create', { ...other, question: 'tampered' }), 'invalid_signature');
  assert.equal(await f.err('poll.create', bad({ channel: 'nowhere' })), 'not_found');
  const anon = await server.connect('forum');
  assert.equal(await anon.err('poll.create', bad({})), 'unauthenticated');
  assert.equal(await anon.err('poll.vote', signedVote(alice.p, poll.id, 0)), 'unauthenticated');
  assert.equal(await anon.err('poll.get', { poll_id: poll.id }), 'unauthenticated');
  assert.equal(await anon.err('polls', { channel: 'general' }), 'unauthenticated');
  anon.close();
  const list = await f.ok('polls', { channel: 'general' });
  assert.equal(list.polls.filter((p) => p.id === poll.id).length, 1, 'failed creates stored nothing');
  assert.equal(list.polls.length, 1);
});

test('poll.vote: one vote each, a change needs the old opening, results wait for the close and the crowd', async () => {
  const closes_at = aligned(now() + 6);
  const { poll } = await alice.forum.ok('poll.create',
    signedPoll(alice.p, { question: 'Office or home?', options: ['Office', 'Home'], closes_at }));
  const [v0, v1, v2] = voters;

  const s0 = salt();
  let r = await v0.forum.ok('poll.vote', signedVote(v0.p, poll.id, 0, null, s0));
  assert.equal(r.poll.votes, 1);
  assert.equal(r.poll.voted, true);
  assert.equal(r.poll.results, null, 'not live: no results while open');
  assert.equal(r.poll.withheld, 'open');
  // A retry (the answer was lost) is the same vote; a second vote is refused.
  r = await v0.forum.ok('poll.vote', signedVote(v0.p, poll.id, 0, null, s0));
  assert.equal(r.poll.votes, 1);
  assert.equal(await v0.forum.err('poll.vote', signedVote(v0.p, poll.id, 1)), 'conflict', 'voted already');
  assert.equal(await v0.forum.err('poll.vote', signedVote(v0.p, poll.id, 1, { option: 1, salt: s0 })), 'forbidden',
    'previous names another option');
  assert.equal(await v0.forum.err('poll.vote', signedVote(v0.p, poll.id, 1, { option: 0, salt: salt() })), 'forbidden',
    'previous with another salt');
  assert.equal(await v1.forum.err('poll.vote', signedVote(v1.p, poll.id, 1, { option: 0, salt: s0 })), 'forbidden',
    'previous from a pseudonym that has not voted');
  // The change: moves the vote, keeps the count.
  const s0b = salt();
  r = await v0.forum.ok('poll.vote', signedVote(v0.p, poll.id, 1, { option: 0, salt: s0 }, s0b));
  assert.equal(r.poll.votes, 1);
  assert.equal(await v0.forum.err('poll.vote', signedVote(v0.p, poll.id, 0, { option: 0, salt: s0 })), 'forbidden',
    'the replaced opening no longer opens anything');

  // Bad input.
  const good = signedVote(v1.p, poll.id, 0);
  for (const [fields, what] of [
    [{ option: 2 }, 'option beyond this poll'], [{ option: -1 }, 'negative option'], [{ option: 10 }, 'option ≥ 10'],
    [{ option: 'x' }, 'option not a number'], [{ salt: b64u(new Uint8Array(16)) }, 'short salt'],
    [{ salt: 'not base64!' }, 'salt not base64url'], [{ previous: 'x' }, 'previous not an object'],
    [{ previous: { option: 0 } }, 'previous without salt'], [{ poll_id: '' }, 'empty poll id'], [{ sig: '###' }, 'sig'],
  ]) assert.equal(await v1.forum.err('poll.vote', { ...good, ...fields }), 'bad_request', what);
  const { sig, ...unsigned } = good;
  assert.equal(await v1.forum.err('poll.vote', unsigned), 'bad_request', 'no signature');
  assert.equal(await v1.forum.err('poll.vote', { ...good, option: 1 }), 'invalid_signature', 'signed for another option');
  assert.equal(await v1.forum.err('poll.vote', signedVote(v0.p, poll.id, 0)), 'invalid_signature', 'signed by another pseudonym');
  assert.equal(await v1.forum.err('poll.vote', signedVote(v1.p, '00000000000000ff', 0)), 'not_found');
  assert.equal(await v1.forum.err('poll.get', { poll_id: '00000000000000ff' }), 'not_found');
  assert.equal(await v1.forum.err('poll.get', {}), 'bad_request');

  await v1.forum.ok('poll.vote', signedVote(v1.p, poll.id, 1));
  r = await v1.forum.ok('poll.get', { poll_id: poll.id });
  assert.equal(r.poll.votes, 2);
  assert.equal(r.poll.voted, true);
  assert.equal((await v2.forum.ok('poll.get', { poll_id: poll.id })).poll.voted, false);

  // Closed: no vote, no change, and with 2 votes (< min_crowd 3) no results.
  while (now() < closes_at) await sleep(250);
  assert.equal(await v2.forum.err('poll.vote', signedVote(v2.p, poll.id, 0)), 'conflict', 'closed');
  assert.equal(await v0.forum.err('poll.vote', signedVote(v0.p, poll.id, 0, { option: 1, salt: s0b })), 'conflict',
    'no change once closed');
  r = await v2.forum.ok('poll.get', { poll_id: poll.id });
  assert.equal(r.poll.closed, true);
  assert.equal(r.poll.votes, 2);
  assert.equal(r.poll.results, null);
  assert.equal(r.poll.withheld, 'too_few_votes', 'below min_crowd');
  assert.equal(r.poll.min_crowd, MIN_CROWD);

  // Another poll reaching the crowd shows its tallies once closed.
  const closes2 = aligned(now() + 5);
  const p2 = (await alice.forum.ok('poll.create',
    signedPoll(alice.p, { question: 'Tabs or spaces?', options: ['Tabs', 'Spaces', 'Both'], closes_at: closes2 }))).poll;
  await Promise.all([
    v0.forum.ok('poll.vote', signedVote(v0.p, p2.id, 1)),
    v1.forum.ok('poll.vote', signedVote(v1.p, p2.id, 1)),
    v2.forum.ok('poll.vote', signedVote(v2.p, p2.id, 2)),
  ]);
  assert.equal((await v2.forum.ok('poll.get', { poll_id: p2.id })).poll.results, null, 'still open');
  while (now() < closes2) await sleep(250);
  r = await alice.forum.ok('poll.get', { poll_id: p2.id });
  assert.deepEqual(r.poll.results, [0, 2, 1]);
  assert.equal(r.poll.withheld, null);
  assert.equal(r.poll.votes, 3);
});

test('live polls show results while open, once the crowd is there', async () => {
  const { poll } = await alice.forum.ok('poll.create', signedPoll(alice.p,
    { question: 'Live?', options: ['yes', 'no'], closes_at: aligned(now() + 3600), live: true }));
  assert.equal(poll.live, true);
  let r;
  for (const [i, v] of voters.entries()) {
    r = await v.forum.ok('poll.vote', signedVote(v.p, poll.id, i === 2 ? 1 : 0));
    if (i < 2) assert.equal(r.poll.withheld, 'too_few_votes');
  }
  assert.deepEqual(r.poll.results, [2, 1]);
  assert.equal(r.poll.closed, false);
});

test('no salt reaches the store files, and the logs name no choice', async () => {
  const { poll } = await alice.forum.ok('poll.create',
    signedPoll(alice.p, { question: 'Salt?', options: ['a', 'b'], closes_at: aligned(now() + 3600) }));
  const salts = [];
  for (const [i, v] of voters.entries()) {
    const s = salt();
    salts.push(s);
    await v.forum.ok('poll.vote', signedVote(v.p, poll.id, i % 2, null, s));
  }
  const bytes = server.filesBytes('forum');
  for (const s of salts) assert.equal(bytes.indexOf(Buffer.from(unb64u(s))), -1, 'a salt in the store files');
  assert.ok(!/poll_voter|vote/.test(server.stderr.replace(/hearth listening.*/g, '')), 'no vote in the log');
});

test('only pseudonyms certified under the key active when the poll opened may vote', async () => {
  const { poll: old } = await alice.forum.ok('poll.create',
    signedPoll(alice.p, { question: 'Before the rotation', options: ['a', 'b'], closes_at: aligned(now() + 3600) }));
  await admin.ok('keys.rotate', { reason: 'polls test' });
  const keys = (await fetchKeys(server)).keys;
  const active = keys.find((k) => k.state === 'active');
  // A new employee certified under the new key only.
  const issuer = await enrolledEmployee(server, admin, 'poll-late');
  const p = new Pseudonym();
  const token = await obtainToken(server, issuer, p, active);
  issuer.close();
  const forum = await server.connect('forum');
  await forum.ok('certify', { ...token, pseudonym_pk: p.pkB64, handle: 'poll_late' });
  await login(forum, server, p);
  late = { p, forum };
  assert.equal(await forum.err('poll.vote', signedVote(p, old.id, 0)), 'forbidden', 'certified after the poll opened');
  const { poll: fresh } = await alice.forum.ok('poll.create',
    signedPoll(alice.p, { question: 'After the rotation', options: ['a', 'b'], closes_at: aligned(now() + 3600) }));
  assert.equal(fresh.key_id, active.key_id);
  await forum.ok('poll.vote', signedVote(p, fresh.id, 1));
  assert.equal(await voters[0].forum.err('poll.vote', signedVote(voters[0].p, fresh.id, 0)), 'forbidden',
    'certified under the old key only');
  await voters[0].forum.ok('poll.vote', signedVote(voters[0].p, old.id, 0));

  // Once the old key is revoked, its pseudonyms must renew before they vote or ask.
  const oldKey = keys.find((k) => k.key_id === old.key_id);
  await admin.ok('keys.revoke', { key_id: oldKey.key_id, reason: 'polls test' });
  assert.equal(await voters[1].forum.err('poll.vote', signedVote(voters[1].p, old.id, 0)), 'key_expired');
  assert.equal(await alice.forum.err('poll.create',
    signedPoll(alice.p, { question: 'After the revocation', options: ['a', 'b'], closes_at: aligned(now() + 3600) })), 'key_expired');
});

test('poll.create shares the post rate limit', async () => {
  const s = await Server.start({ config: '[rate]\npost = { per_second = 0.5, burst = 8 }\n' });
  try {
    const a = await s.admin();
    const { p, forum } = await pseudonymOnForum(s, a, 'rate-asker', 'rate_asker');
    const closes = Math.ceil(Date.now() / 1000 / 3600) * 3600 + 3600;
    let limited = false;
    for (let i = 0; i < 20 && !limited; i++) {
      const nonce = newNonce();
      const f = { channel: 'general', question: `burst ${i}`, options: ['a', 'b'], closes_at: closes, live: false, nonce };
      const r = await forum.call('poll.create', { ...f, sig: b64u(p.sign(utf8([`hearth/poll/v1`, s.issuer, 'general',
        String(closes), '0', nonce, f.question, 'a', 'b'].join('\n')))) });
      if (!r.ok) { assert.equal(r.error.code, 'rate_limited'); limited = true; }
    }
    assert.ok(limited, 'creating polls faster than the post rate is limited');
    forum.close();
    a.close();
  } finally {
    await s.stop();
    s.cleanup();
  }
});

test('polls lists a channel paged, pinned first; staff pin and unpin (audited)', async () => {
  const f = alice.forum;
  const all = [];
  let next = null;
  do {
    const pg = await f.ok('polls', { channel: 'general', limit: 2, ...(next ? { before: next } : {}) });
    assert.ok(pg.polls.length <= 2);
    all.push(...pg.polls);
    next = pg.next;
  } while (next);
  assert.ok(all.length >= 5);
  const ids = all.map((p) => p.id);
  assert.deepEqual([...ids].sort().reverse(), ids, 'newest first');
  const oldest = ids[ids.length - 1];

  const mod = await server.connect('staff');
  assert.equal(await mod.err('poll.pin', { poll_id: oldest, pinned: true }), 'unauthenticated');
  assert.equal(await mod.err('polls', { channel: 'general' }), 'unauthenticated');
  mod.close();
  await admin.ok('staff.add', { username: 'pollmod', role: 'moderator', password: 'moderator password' });
  const m = await server.connect('staff');
  await m.ok('login', { username: 'pollmod', password: 'moderator password' });
  assert.deepEqual(await m.ok('poll.pin', { poll_id: oldest, pinned: true }), { poll_id: oldest, pinned: true });
  let first = (await f.ok('polls', { channel: 'general', limit: 1 })).polls[0];
  assert.equal(first.id, oldest, 'pinned first');
  assert.equal(first.pinned, true);
  const staffList = await m.ok('polls', { channel: 'general' });
  assert.equal(staffList.polls[0].id, oldest);
  assert.equal('voted' in staffList.polls[0], false, 'staff are not voters');
  assert.equal(await m.err('poll.pin', { poll_id: '00000000000000ff', pinned: true }), 'not_found');
  assert.equal(await m.err('poll.pin', { poll_id: oldest }), 'bad_request');
  assert.equal(await m.err('poll.pin', { poll_id: oldest, pinned: 'yes' }), 'bad_request');
  assert.equal(await m.err('polls', { channel: 'nowhere' }), 'not_found');
  await m.ok('poll.pin', { poll_id: oldest, pinned: false });
  first = (await f.ok('polls', { channel: 'general', limit: 1 })).polls[0];
  assert.equal(first.id, ids[0], 'unpinned: newest first again');
  const audit = await admin.ok('audit', { limit: 10 });
  const actions = audit.entries.map((e) => e.action);
  assert.ok(actions.includes('poll.pin') && actions.includes('poll.unpin'), JSON.stringify(actions));
  m.close();

  assert.equal(await f.err('polls', { channel: 'nowhere' }), 'not_found');
  assert.equal(await f.err('polls', { channel: 'general', before: 'bogus' }), 'bad_request');
  assert.equal(await f.err('polls', { channel: 'general', limit: 0 }), 'bad_request');
  assert.equal(await f.err('polls', { channel: 'general', limit: 101 }), 'bad_request');
  assert.equal(await f.err('polls', {}), 'bad_request');
});

test('staff hide a poll: gone for pseudonyms, logged, audited, its author told; restore brings it back', async () => {
  // Pseudonyms of their own: the tests above revoked the others' key.
  const author = await pseudonymOnForum(server, admin, 'hide-author', 'hide_author');
  const voter = await pseudonymOnForum(server, admin, 'hide-voter-0', 'hide_voter_0');
  const second = await pseudonymOnForum(server, admin, 'hide-voter-1', 'hide_voter_1');
  const f = author.forum;
  const v = voter.forum;
  const { poll } = await f.ok('poll.create', signedPoll(author.p, {
    question: 'Which manager is worst?', options: ['One', 'Other'], closes_at: aligned(now() + 3600) }));
  await v.ok('poll.vote', signedVote(voter.p, poll.id, 0));

  const anon = await server.connect('staff');
  assert.equal(await anon.err('poll.hide', { poll_id: poll.id, reason: 'names people' }), 'unauthenticated');
  anon.close();
  assert.equal(await admin.err('poll.hide', { poll_id: poll.id }), 'bad_request', 'a reason is required');
  assert.equal(await admin.err('poll.hide', { poll_id: poll.id, reason: 'x'.repeat(1001) }), 'too_large');
  assert.equal(await admin.err('poll.hide', { poll_id: 42, reason: 'x' }), 'bad_request');
  assert.equal(await admin.err('poll.hide', { poll_id: '00000000000000ff', reason: 'x' }), 'not_found');
  assert.equal(await admin.err('poll.restore', { poll_id: '00000000000000ff', reason: 'x' }), 'not_found');
  assert.equal((await v.ok('poll.get', { poll_id: poll.id })).poll.votes, 1, 'nothing changed by the refusals');

  assert.deepEqual(await admin.ok('poll.hide', { poll_id: poll.id, reason: 'names people' }),
    { poll_id: poll.id, hidden: true });
  const told = await f.waitEvent((e) => e.event === 'notification' && e.data.notice.kind === 'poll.hide');
  assert.equal(told.data.notice.poll_id, poll.id);
  assert.equal(told.data.notice.reason, 'names people');
  assert.equal('post_id' in told.data.notice, false);
  const actionId = told.data.notice.action_id;

  // Gone for every pseudonym: not listed, not readable, no votes.
  const listed = async (conn) => {
    const out = [];
    let next = null;
    do {
      const pg = await conn.ok('polls', { channel: 'general', limit: 100, ...(next ? { before: next } : {}) });
      out.push(...pg.polls);
      next = pg.next;
    } while (next);
    return out;
  };
  assert.equal((await listed(v)).some((p) => p.id === poll.id), false);
  assert.equal((await listed(f)).some((p) => p.id === poll.id), false, 'nor for its author');
  assert.equal(await v.err('poll.get', { poll_id: poll.id }), 'not_found');
  assert.equal(await second.forum.err('poll.vote', signedVote(second.p, poll.id, 1)), 'not_found');
  // Staff still see it, marked, with its votes.
  const staffView = (await listed(admin)).find((p) => p.id === poll.id);
  assert.equal(staffView.hidden, true);
  assert.equal(staffView.votes, 1);
  assert.equal((await listed(admin)).filter((p) => !p.hidden).some((p) => 'hidden' in p), false);

  // The public log: the role, the reason, no question while hidden.
  let log = await v.ok('modlog', { limit: 5 });
  assert.equal(log.entries[0].id, actionId);
  assert.equal(log.entries[0].action, 'poll.hide');
  assert.equal(log.entries[0].target, poll.id);
  assert.equal(log.entries[0].reason, 'names people');
  assert.equal(log.entries[0].poll_state, 'hidden');
  assert.equal(log.entries[0].excerpt, null);
  assert.equal('post_state' in log.entries[0], false);
  assert.equal('actor' in log.entries[0], false);
  // A poll's hide is not appealed.
  const text = 'It was a joke';
  const sig = b64u(author.p.sign(utf8(`hearth/appeal/v1\n${server.issuer}\n${actionId}\n${text}`)));
  assert.equal(await f.err('appeal', { pseudonym_pk: author.p.pkB64, action_id: actionId, text, sig }), 'bad_request');

  assert.deepEqual(await admin.ok('poll.restore', { poll_id: poll.id, reason: 'reworded by its author offline' }),
    { poll_id: poll.id, hidden: false });
  await f.waitEvent((e) => e.event === 'notification' && e.data.notice.kind === 'poll.restore');
  const back = (await listed(v)).find((p) => p.id === poll.id);
  assert.ok(back, 'listed again');
  assert.equal('hidden' in back, false);
  assert.equal(back.votes, 1, 'its votes kept');
  await second.forum.ok('poll.vote', signedVote(second.p, poll.id, 1));
  log = await v.ok('modlog', { limit: 5 });
  assert.equal(log.entries[0].action, 'poll.restore');
  assert.equal(log.entries[0].poll_state, 'visible');
  assert.equal(log.entries[0].excerpt, 'Which manager is worst?');
  const audit = await admin.ok('audit', { limit: 10 });
  const actions = audit.entries.map((e) => `${e.action} ${e.target}`);
  assert.ok(actions.includes(`poll.hide ${poll.id}`) && actions.includes(`poll.restore ${poll.id}`), JSON.stringify(actions));
  for (const x of [author, voter, second]) x.forum.close();
});

test('subscribe with polls: true pushes a channel\'s new polls, their votes, hides and restores', async () => {
  await admin.ok('channels.add', { name: 'polls-live', description: 'live polls' });
  const author = await pseudonymOnForum(server, admin, 'live-author', 'live_author');
  const watcher = await pseudonymOnForum(server, admin, 'live-watcher', 'live_watcher');
  const plain = await pseudonymOnForum(server, admin, 'live-plain', 'live_plain');
  const w = watcher.forum;
  assert.equal(await w.err('subscribe', { channel: 'polls-live', polls: 'yes' }), 'bad_request');
  await w.ok('subscribe', { channel: 'polls-live', polls: true });
  await plain.forum.ok('subscribe', { channel: 'polls-live' });
  await plain.forum.ok('subscribe', { channel: 'general', polls: true });  // another channel's polls

  const { poll } = await author.forum.ok('poll.create', signedPoll(author.p, {
    channel: 'polls-live', question: 'Standup at ten?', options: ['Yes', 'No'], closes_at: aligned(now() + 3600), live: true }));
  let ev = await w.waitEvent((e) => e.event === 'poll');
  assert.equal(ev.data.id, poll.id);
  assert.equal(ev.data.question, 'Standup at ten?');
  assert.equal(ev.data.votes, 0);
  assert.equal('voted' in ev.data, false, 'whether one voted is each reader\'s own');

  const vote = signedVote(watcher.p, poll.id, 1);
  await w.ok('poll.vote', vote);
  ev = await w.waitEvent((e) => e.event === 'poll');
  assert.equal(ev.data.votes, 1);
  assert.equal('voted' in ev.data, false);
  await w.ok('poll.vote', vote);  // a retry changes nothing and pushes nothing

  await admin.ok('poll.hide', { poll_id: poll.id, reason: 'duplicate' });
  ev = await w.waitEvent((e) => e.event === 'poll_hidden');
  assert.deepEqual(ev.data, { poll_id: poll.id });
  await admin.ok('poll.restore', { poll_id: poll.id, reason: 'not a duplicate' });
  ev = await w.waitEvent((e) => e.event === 'poll');
  assert.equal(ev.data.id, poll.id);
  assert.equal(ev.data.votes, 1);
  assert.equal('hidden' in ev.data, false);

  // Subscribed again without polls: the poll events stop, posts go on.
  await w.ok('subscribe', { channel: 'polls-live' });
  await author.forum.ok('poll.create', signedPoll(author.p, {
    channel: 'polls-live', question: 'Lunch at noon?', options: ['Yes', 'No'], closes_at: aligned(now() + 3600) }));
  const post = (await author.forum.ok('post', signedPost(server, author.p, 'polls-live', 'after the polls'))).post;
  await w.waitEvent((e) => e.event === 'post' && e.data.id === post.id);
  await plain.forum.waitEvent((e) => e.event === 'post' && e.data.id === post.id);
  // Events of one channel arrive in order: nothing poll-like came before the post.
  assert.deepEqual(w.events.filter((e) => e.event.startsWith('poll')), [], 'the second poll was not pushed');
  assert.deepEqual(plain.forum.events.filter((e) => e.event.startsWith('poll')), [],
    'a subscriber without polls: true, or to another channel\'s polls, gets no poll events');

  // unsubscribe drops both.
  await w.ok('subscribe', { channel: 'polls-live', polls: true });
  await w.ok('unsubscribe', { channel: 'polls-live' });
  await author.forum.ok('poll.create', signedPoll(author.p, {
    channel: 'polls-live', question: 'Retro on Friday?', options: ['Yes', 'No'], closes_at: aligned(now() + 3600) }));
  await w.ok('subscribe', { channel: 'polls-live', polls: true });
  const last = await author.forum.ok('poll.create', signedPoll(author.p, {
    channel: 'polls-live', question: 'Demo on Monday?', options: ['Yes', 'No'], closes_at: aligned(now() + 3600) }));
  ev = await w.waitEvent((e) => e.event === 'poll');
  assert.equal(ev.data.id, last.poll.id, 'nothing was pushed while unsubscribed');
  for (const x of [author, watcher, plain]) x.forum.close();
});

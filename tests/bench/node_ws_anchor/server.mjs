// The Node `ws` anchor of bench_server: a minimal WebSocket server doing the
// work that hearth does for two figures, idle connection memory and fan-out of
// one post to every subscriber, so both can be measured beside hearth's in the
// same run on the same core.
//
//   node server.mjs [--port N]        prints "listening PORT" once it accepts
//
// Requests are JSON frames {id, op, ...}; every reply is {id, ok: true, result}.
//   challenge             -> {nonce}
//   login                 -> {} (remembers pseudonym_pk; the signature is not checked)
//   subscribe {channel}   -> {} (the connection now gets that channel's events)
//   post {channel, body, nonce, sig, parent}
//                         -> {post}; first the event {"event":"post","data":post}
//                            goes to every subscriber of the channel, one frame
//                            serialized once, as hearth does
//   anything else         -> {}
// The same broadcast can be triggered over HTTP, without a WebSocket author:
//   POST /broadcast?channel=general&nonce=N&body=TEXT   -> {"sent": subscribers}
//
// Unlike hearth, nothing is verified or stored: the anchor is the WebSocket
// part only (accept, hold, parse, serialize, send).
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { WebSocketServer } from 'ws';

const portArg = process.argv.indexOf('--port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;

const reactions = { '+1': 0, heart: 0, laugh: 0, sad: 0 };
const subscribers = new Map(); // channel -> Set of sockets
let postSeq = 0;
let handleSeq = 0;

function postView(channel, parent, author, body, nonce, sig) {
  return {
    id: (++postSeq).toString(16).padStart(16, '0'),
    channel,
    parent: parent ?? null,
    author,
    body,
    created_at: Date.now(),
    nonce,
    sig,
    reactions: { ...reactions },
    replies: 0,
  };
}

// One frame, serialized once, sent as text to every subscriber of the channel.
function publish(channel, view) {
  const set = subscribers.get(channel);
  if (!set) return 0;
  const frame = Buffer.from(JSON.stringify({ event: 'post', data: view }));
  let sent = 0;
  for (const ws of set) {
    if (ws.readyState !== ws.OPEN) continue;
    ws.send(frame, { binary: false });
    ++sent;
  }
  return sent;
}

function reply(ws, id, result) {
  ws.send(JSON.stringify({ id, ok: true, result }));
}

function fail(ws, id, code, message) {
  ws.send(JSON.stringify({ id, ok: false, error: { code, message } }));
}

// Listeners shared by all connections (`this` is the socket): no closures per connection.
function onMessage(data, isBinary) {
  let req;
  try {
    req = JSON.parse(isBinary ? data.toString('utf8') : data);
  } catch {
    return fail(this, null, 'bad_request', 'the frame is not JSON');
  }
  if (req === null || typeof req !== 'object') return fail(this, null, 'bad_request', 'the frame is not an object');
  const { id, op } = req;
  switch (op) {
    case 'challenge':
      this.nonce = randomBytes(24).toString('base64url');
      return reply(this, id, { nonce: this.nonce });
    case 'login':
      this.pk = String(req.pseudonym_pk ?? '');
      this.handle = `node_${++handleSeq}`;
      return reply(this, id, { handle: this.handle });
    case 'subscribe': {
      const channel = String(req.channel ?? '');
      let set = subscribers.get(channel);
      if (!set) subscribers.set(channel, (set = new Set()));
      set.add(this);
      (this.channels ??= []).push(channel);
      return reply(this, id, {});
    }
    case 'post': {
      const channel = String(req.channel ?? '');
      const view = postView(channel, req.parent, { handle: this.handle ?? '', pk: this.pk ?? '' }, String(req.body ?? ''),
        String(req.nonce ?? ''), String(req.sig ?? ''));
      publish(channel, view);
      return reply(this, id, { post: view });
    }
    default:
      return reply(this, id, {});
  }
}

function onClose() {
  for (const channel of this.channels ?? []) {
    const set = subscribers.get(channel);
    if (!set) continue;
    set.delete(this);
    if (set.size === 0) subscribers.delete(channel);
  }
}

function onError() {}

const http = createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (req.method === 'POST' && url.pathname === '/broadcast') {
    const channel = url.searchParams.get('channel') ?? 'general';
    const nonce = url.searchParams.get('nonce') ?? randomBytes(16).toString('base64url');
    const body = url.searchParams.get('body') ?? 'broadcast';
    const sent = publish(channel, postView(channel, null, { handle: 'http', pk: '' }, body, nonce, ''));
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ sent }));
  }
  res.writeHead(404);
  res.end();
});

const wss = new WebSocketServer({ server: http, maxPayload: 1 << 20, clientTracking: false });
wss.on('connection', (ws) => {
  ws.on('message', onMessage);
  ws.on('close', onClose);
  ws.on('error', onError);
});

http.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => {
  process.stdout.write(`listening ${http.address().port}\n`);
});

for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));

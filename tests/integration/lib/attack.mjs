// Helpers for the hardening tests: what an attacker does to a running server
// (raw HTTP, floods, stalled readers) and what the tests read back from the
// server process itself (/proc, /metrics).
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { execFileSync } from 'node:child_process';
import { sleep } from './harness.mjs';

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

// Resident memory of a process, in MiB (VmRSS of /proc/PID/status).
export function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) / 1024;
}

// CPU time (user + system) a process has used, in seconds.
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;  // utime, stime (fields 14 and 15)
}

// Whether a process runs under AddressSanitizer or ThreadSanitizer, whose
// allocators keep freed memory aside (ASan's quarantine) or map shadow memory
// as it goes (TSan), so resident memory says little about leaks there.
export function sanitized(pid) { return /lib[at]san/.test(readFileSync(`/proc/${pid}/maps`, 'utf8')); }

export function openDescriptors(pid) { return readdirSync(`/proc/${pid}/fd`).length; }

// Sets the open-file limit of a running process (soft and hard).
export function limitDescriptors(pid, n) { execFileSync('prlimit', ['--pid', String(pid), `--nofile=${n}:${n}`]); }

// The value of one unlabelled metric, or undefined when it is not exported.
export async function metric(server, name) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

export function hostPort(server) {
  const u = new URL(server.url);
  return { host: u.hostname, port: Number(u.port) };
}

// One raw TCP connection that can send bytes and collect what comes back.
export class RawConnection {
  static open(server, { timeoutMs = 5000 } = {}) {
    return new Promise((resolve, reject) => {
      const sock = connect(hostPort(server));
      const timer = setTimeout(() => { sock.destroy(); reject(new Error('connect timed out')); }, timeoutMs);
      sock.once('connect', () => { clearTimeout(timer); resolve(new RawConnection(sock)); });
      sock.once('error', (e) => { clearTimeout(timer); reject(e); });
    });
  }

  constructor(sock) {
    this.sock = sock;
    this.data = Buffer.alloc(0);
    this.ended = false;
    this.error = null;
    this.waiters = [];
    sock.on('data', (d) => { this.data = Buffer.concat([this.data, d]); this.wake(); });
    sock.on('end', () => { this.ended = true; this.wake(); });
    sock.on('close', () => { this.ended = true; this.wake(); });
    sock.on('error', (e) => { this.error = e; this.ended = true; this.wake(); });
  }

  wake() { for (const w of this.waiters.splice(0)) w(); }
  write(bytes) { this.sock.write(bytes); }

  // Waits until pred(data as latin1 text) holds or the connection ends; resolves with the text.
  async until(pred, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.data.toString('latin1');
      if (pred(text) || this.ended) return text;
      const left = deadline - Date.now();
      if (left <= 0) return text;
      await new Promise((r) => { this.waiters.push(r); setTimeout(r, left).unref(); });
    }
  }

  // Sends one HTTP request and waits for a whole response head (and its body
  // when it has a Content-Length). Resolves with {status, headers, body} or
  // null when nothing came back in time.
  async request(head, timeoutMs = 5000) {
    const start = this.data.length;
    this.write(head);
    const text = await this.until((t) => responseComplete(t.slice(start)), timeoutMs);
    return parseResponse(text.slice(start));
  }

  close() { this.sock.destroy(); }
}

function responseComplete(text) {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, end));
  return !m || text.length >= end + 4 + Number(m[1]);
}

function parseResponse(text) {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: text.slice(end + 4) };
}

export function httpGet(path, host = 'localhost', extra = '') {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;
}

// A WebSocket opening handshake with the given headers (an object), raw.
export function upgradeRequest(path, headers) {
  const all = { Host: 'localhost', Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers };
  return `GET ${path} HTTP/1.1\r\n${Object.entries(all).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}

// Answers to `count` requests made by `make(i)`, at most `window` in flight.
export async function pipelined(count, window, make) {
  const out = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await make(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, count) }, worker));
  return out;
}

// Polls fn until it returns a truthy value or timeoutMs passes; returns the last value.
export async function eventually(fn, timeoutMs = 5000, stepMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > deadline) return v;
    await sleep(stepMs);
  }
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// Restarts a server with a whole new config file (the harness's own one sets
// a fast Argon2id, which some tests must replace rather than extend).
export async function relaunchWith(server, configText, extraArgs = []) {
  await server.stop();
  writeFileSync(server.configFile, configText);
  await server.launch(extraArgs);
}

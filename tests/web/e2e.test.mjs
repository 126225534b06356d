// End-to-end: the real `hearth serve` (HEARTH_BIN) with fresh data, the built
// web client (web/dist), and Debian's Chromium driven by playwright-core.
//
// Story: the admin imports two employees and adds a moderator. Employee A
// enrolls, gets a pseudonym and is waiting in the feed; employee B does the
// same in another browser context; A posts (with HTML in the body) and B sees
// it arrive live, verified; B reacts, replies and flags it through the dialog;
// the moderator signs in at /staff and hides it, and both employee views drop
// it. The admin imports a roster CSV and rotates the key in the console; the
// short-lived key A was certified under lapses and A renews in the browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync, readFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const require = createRequire(join(root, 'web', 'package.json'));
const { chromium } = require('playwright-core');

const HEARTH = process.env.HEARTH_BIN || join(root, 'build', 'hearth');
const WEB = join(root, 'web', 'dist');
const SHOTS = join(root, 'tests', 'output', 'screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ADMIN_PASSWORD = 'admin-password-for-e2e';
const MOD_PASSWORD = 'moderator-pass-1';
// The key the employees are certified under lives this long (days): long
// enough to get both pseudonyms, short enough for the lapse to be waited out.
const SHORT_KEY_DAYS = 120 / 86400;
const FLAG_NOTE = 'Targets a named colleague, see the second sentence';

let data;
let server;
let base;
let browser;
const contexts = [];

function waitForLine(proc, re, ms) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`server did not print ${re} within ${ms} ms; got: ${buf}`)), ms);
    proc.stdout.on('data', (d) => {
      buf += d.toString();
      const m = buf.match(re);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening; stdout: ${buf}`));
    });
  });
}

/** A port free on `host` just now. */
function freePort(host) {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Initialises DIR with the admin password; extra arguments go to `hearth init`. Returns its stdout. */
function initData(dir, extra = []) {
  const pwFile = join(dirname(dir), `${dir.split('/').pop()}-admin-password`);
  writeFileSync(pwFile, ADMIN_PASSWORD + '\n');
  const init = spawnSync(HEARTH, ['init', '--data', dir, '--admin-password-file', pwFile, ...extra], { encoding: 'utf8' });
  assert.equal(init.status, 0, `hearth init failed: ${init.stdout}${init.stderr}`);
  return init.stdout;
}

/** Starts `hearth serve` on DIR at a free loopback port (or `listen`); resolves to { proc, url }. */
async function startServer(dir, extra = [], listen = '127.0.0.1:0') {
  const proc = spawn(HEARTH, ['serve', '--data', dir, '--listen', listen, '--web', WEB, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stderr.on('data', (d) => process.env.HEARTH_E2E_VERBOSE && process.stderr.write(d));
  const url = (await waitForLine(proc, /hearth listening on (http:\/\/[^\s]+)/, 20000))[1];
  return { proc, url };
}

async function stopServer(proc) {
  if (!proc || proc.exitCode !== null) return;
  proc.kill('SIGTERM');
  await new Promise((r) => {
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      r();
    }, 5000);
    proc.on('exit', () => {
      clearTimeout(t);
      r();
    });
  });
}

/** A staff WebSocket client speaking the §2 envelope. */
async function staffClient(username, password, at = base) {
  const ws = new WebSocket(at.replace(/^http/, 'ws') + '/v1/staff');
  await new Promise((res, rej) => {
    ws.onopen = res;
    ws.onerror = () => rej(new Error('staff websocket failed'));
  });
  let id = 0;
  const pending = new Map();
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(Object.assign(new Error(`${m.error.code}: ${m.error.message}`), { code: m.error.code }));
  };
  const call = (op, fields = {}) =>
    new Promise((resolve, reject) => {
      const i = ++id;
      pending.set(i, { resolve, reject });
      ws.send(JSON.stringify({ id: i, op, ...fields }));
    });
  await call('login', { username, password });
  return { call, close: () => ws.close() };
}

async function newPage(name, viewport = { width: 1200, height: 900 }) {
  const ctx = await browser.newContext({ viewport });
  contexts.push(ctx);
  const page = await ctx.newPage();
  openPages.push(page);
  page.__dialogs = [];
  page.__errors = [];
  page.on('dialog', (d) => {
    page.__dialogs.push(d.message());
    void d.accept();
  });
  page.on('pageerror', (e) => page.__errors.push(`${name}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') page.__errors.push(`${name} console: ${m.text()}`);
  });
  return page;
}

const openPages = [];

/** Runs a step; on failure, saves a screenshot of every open page for diagnosis. */
async function step(t, name, fn) {
  await t.test(name, async () => {
    try {
      await fn();
    } catch (e) {
      let i = 0;
      for (const p of openPages) await shot(p, `failed-${name.replace(/[^a-z0-9]+/gi, '-')}-${i++}`).catch(() => {});
      throw e;
    }
  });
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Screenshots the page at its width and at 375 px (a phone), then restores its size. */
async function shotBoth(page, name) {
  const size = page.viewportSize();
  await shot(page, `${name}-desktop`);
  await page.setViewportSize({ width: 375, height: 780 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await shot(page, `${name}-375`);
  await page.setViewportSize(size);
  assert.ok(overflow <= 0, `${name}: the page is ${overflow}px wider than a 375 px screen`);
}

/**
 * Opens the employee page at `url` and enrolls with the one-time code (the
 * password is pw-ID-long); `byEnter` submits with the Enter key.
 */
async function enroll(page, url, employeeId, code, { byEnter = false } = {}) {
  await page.goto(url + '/');
  await page.getByLabel('Employee ID').fill(employeeId);
  await page.getByLabel('Enrollment code').fill(code);
  const password = page.getByLabel('Password', { exact: true });
  await password.fill(`pw-${employeeId}-long`);
  if (byEnter) await password.press('Enter');
  else await page.getByRole('button', { name: 'Enroll', exact: true }).click();
  await page.getByText(/Signed in on the employer side/).waitFor();
}

/**
 * Enroll on the employee page and obtain a pseudonym, by default with no
 * unlinking delay. `byEnter` submits the forms with the Enter key.
 */
async function becomePseudonym(page, employeeId, code, handle, { byEnter = false, delay = 0, shotName = null, signedInShot = null } = {}) {
  await enroll(page, base, employeeId, code, { byEnter });
  await page.getByText(/0 of 1 used/).waitFor();
  // Signed in: the password is gone from the page, and so are Enroll and Sign in.
  assert.equal(await page.getByLabel('Password', { exact: true }).count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Enroll', exact: true }).count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Sign in', exact: true }).count(), 0);
  if (signedInShot) await shotBoth(page, signedInShot);
  await page.getByLabel('Handle').fill(handle);
  const delayField = page.getByRole('spinbutton', { name: 'Unlinking delay (seconds)' });
  await delayField.fill(String(delay));
  if (byEnter) await delayField.press('Enter');
  else await page.getByRole('button', { name: 'Get pseudonym' }).click();
  if (delay > 0) {
    // The wait between issue (connection closed) and certify is shown.
    await page.getByText(/Closed the employer connection/).waitFor();
    await page.getByText(/Waiting \d+ s before certifying/).waitFor();
    if (shotName) await shot(page, shotName);
  }
  await page.getByRole('region', { name: 'Feed' }).waitFor({ timeout: 30000 + delay * 1000 });
}

before(async () => {
  assert.ok(existsSync(HEARTH), `hearth binary missing: ${HEARTH}`);
  assert.ok(existsSync(join(WEB, 'index.html')) && existsSync(join(WEB, 'staff.html')), 'web/dist is not built');
  mkdirSync(SHOTS, { recursive: true });
  data = mkdtempSync(join(tmpdir(), 'hearth-web-e2e-'));
  initData(join(data, 'db'));
  // A twin of the fresh data directory: the same master key and directory
  // seq, so it can sign a different directory with the same seq (what a
  // server tagging one employee would show).
  cpSync(join(data, 'db'), join(data, 'db-twin'), { recursive: true });
  // The story lets a key live two minutes, to see a certification lapse and
  // be renewed: the server's floor on key windows (one day) is lowered for it.
  const conf = join(data, 'hearth.toml');
  writeFileSync(conf, '[keys]\nmin_window_days = 0\n');
  ({ proc: server, url: base } = await startServer(join(data, 'db'), ['--config', conf]));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close().catch(() => {});
  await stopServer(server);
  if (data) rmSync(data, { recursive: true, force: true });
});

test('pages are served with the CSP and load without errors', async () => {
  const res = await fetch(base + '/');
  assert.equal(res.status, 200);
  const csp = res.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self'/, `CSP header: ${csp}`);
  const staff = await fetch(base + '/staff');
  assert.equal(staff.status, 200);
  assert.match(await staff.text(), /staff console/);
  const keys = await (await fetch(base + '/v1/keys')).json();
  assert.equal(keys.keys.filter((k) => k.state === 'active').length, 1);
});

test('employee, moderator and admin story', { timeout: 600000 }, async (t) => {
  const admin = await staffClient('admin', ADMIN_PASSWORD);
  const { codes } = await admin.call('roster.import', { employees: ['emp-ann', 'emp-ben', 'emp-eve'] });
  await admin.call('staff.add', { username: 'mod1', role: 'moderator', password: MOD_PASSWORD });
  // A short-lived key: the pseudonyms certified under it lapse during this test.
  await admin.call('keys.rotate', { issue_days: SHORT_KEY_DAYS, accept_days: SHORT_KEY_DAYS, reason: 'e2e short key' });
  const shortKeyStart = Date.now();

  const a = await newPage('A');
  const b = await newPage('B');
  const body1 = `Hello from A <img src=x onerror="window.__pwned=1"> ${Date.now()}`;

  await step(t, 'A enrolls and gets a pseudonym', async () => {
    await a.goto(base + '/');
    await a.getByText('hidden among').waitFor();
    // The footer shows the active key's short id and epoch beside the master key fingerprint.
    const active = (await (await fetch(base + '/v1/keys')).json()).keys.find((k) => k.state === 'active');
    const foot = a.getByRole('contentinfo');
    await foot.getByText(`active key ${active.key_id.slice(0, 8)} (epoch ${active.epoch})`).waitFor();
    assert.match(await foot.innerText(), /master key fingerprint [0-9a-f]{4} /);
    await shot(a, '01-employee-setup');
    // Keyboard: the fields and buttons come in reading order.
    await a.getByLabel('Employee ID').focus();
    const order = [];
    for (let i = 0; i < 4; i++) {
      await a.keyboard.press('Tab');
      order.push(await a.evaluate(() => document.activeElement?.labels?.[0]?.textContent || document.activeElement?.textContent));
    }
    assert.deepEqual(order, ['Enrollment code', 'Password', 'Enroll', 'Sign in']);
    // The default delay is a random time of hours, shown as the moment the pseudonym will be ready.
    const delay = Number(await a.getByRole('spinbutton', { name: 'Unlinking delay (seconds)' }).inputValue());
    assert.ok(delay >= 3600 && delay < 24 * 3600, `default delay ${delay} s (U[1 h, 24 h))`);
    await a.getByText(/Your pseudonym will be ready at about .*\d\d?:\d\d/).waitFor();
    await shotBoth(a, 'ux-01-first-pseudonym-schedule');
    // Going faster is allowed, with a plain warning about the crowd.
    await a.getByRole('spinbutton', { name: 'Unlinking delay (seconds)' }).fill('0');
    await a.getByText(/Going faster makes it easier to match/).waitFor();
    await shotBoth(a, 'ux-02-going-faster-warning');
    await becomePseudonym(a, 'emp-ann', codes['emp-ann'], 'ann_w', { byEnter: true, signedInShot: 'ux-08-signed-in-by-enter' });
    // Focus moves to the feed when the forum appears.
    await a.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Feed');
    // Right after the pseudonym is made, the page asks for an encrypted backup, and says why.
    await a.getByRole('heading', { name: 'Back up your pseudonym now' }).waitFor();
    await a.getByText(/no voice here until the next key/).waitFor();
    await shotBoth(a, 'ux-03-backup-prompt');
    await a.getByRole('button', { name: 'Not now' }).click();
    await a.getByText('@ann_w').first().waitFor();
  });

  await step(t, 'a different directory shown on the signed-in issuer connection stops issuance (key tagging)', async () => {
    // The twin signs a directory with the same seq as the real one now has,
    // holding another key: the issuer connection is shown that one, frame by
    // frame, while GET /v1/keys stays the real one.
    const twin = await startServer(join(data, 'db-twin'));
    let tagged;
    try {
      const twinAdmin = await staffClient('admin', ADMIN_PASSWORD, twin.url);
      await twinAdmin.call('keys.rotate', { issue_days: 1, accept_days: 2, reason: 'e2e twin' });
      twinAdmin.close();
      tagged = await (await fetch(twin.url + '/v1/keys')).json();
    } finally {
      await stopServer(twin.proc);
    }
    const real = await (await fetch(base + '/v1/keys')).json();
    assert.equal(tagged.seq, real.seq);
    assert.equal(tagged.master_key, real.master_key);
    assert.notEqual(tagged.keys.at(-1).key_id, real.keys.at(-1).key_id);
    const e = await newPage('EVE');
    let swapped = 0;
    let issueSent = false;
    await e.routeWebSocket(/\/v1\/issuer$/, (ws) => {
      const srv = ws.connectToServer();
      const keysIds = new Set();
      ws.onMessage((m) => {
        const o = JSON.parse(String(m));
        if (o.op === 'keys') keysIds.add(o.id);
        if (o.op === 'issue') issueSent = true;
        srv.send(m);
      });
      srv.onMessage((m) => {
        const o = JSON.parse(String(m));
        if (keysIds.has(o.id) && o.ok) {
          swapped++;
          ws.send(JSON.stringify({ ...o, result: tagged }));
        } else ws.send(m);
      });
    });
    await enroll(e, base, 'emp-eve', codes['emp-eve']);
    await e.getByLabel('Handle').fill('eve_w');
    await e.getByRole('spinbutton', { name: 'Unlinking delay (seconds)' }).fill('0');
    await e.getByRole('button', { name: 'Get pseudonym' }).click();
    await e.getByText(/key tagging/).waitFor();
    assert.ok(swapped >= 1, 'the issuer connection was shown the twin directory');
    assert.equal(issueSent, false, 'nothing was sent to be signed');
    await shot(e, '01c-key-tagging');
    // No token was used: the quota for the active key is untouched.
    await e.getByLabel('Password', { exact: true }).fill('pw-emp-eve-long');
    await e.getByRole('button', { name: 'Sign in', exact: true }).click();
    await e.getByText(/0 of 1 used/).waitFor();
    await e.close();
  });

  await step(t, 'B gets a pseudonym in another context', async () => {
    await becomePseudonym(b, 'emp-ben', codes['emp-ben'], 'ben_w', { delay: 3, shotName: '01b-unlinking-delay' });
    const status = b.getByRole('status').filter({ hasText: 'hidden among' });
    await status.waitFor();
    assert.match(await status.innerText(), /hidden among \d+/);
  });

  await step(t, 'A posts; B sees it arrive live, verified, rendered as text', async () => {
    // Two pseudonyms under the key, fewer than min_crowd: the composer says what that means
    // (A's page counted one when it opened; it counts again on load).
    await a.reload();
    await a.getByText(/Only one other pseudonym shares your key with you/).waitFor();
    await shotBoth(a, 'ux-04-crowd-warning-two');
    await a.getByRole('textbox', { name: 'Write a post' }).fill(body1);
    await a.getByRole('button', { name: 'Post', exact: true }).click();
    const feedA = a.getByRole('region', { name: 'Feed' });
    await feedA.getByRole('article').filter({ hasText: body1 }).waitFor();
    assert.deepEqual(a.__dialogs, [], 'no native confirm() on posting');
    const postB = b.getByRole('region', { name: 'Feed' }).getByRole('article').filter({ hasText: body1 });
    await postB.waitFor({ timeout: 15000 });
    await postB.getByText('✓ signed').waitFor();
    assert.equal(await b.locator('article img').count(), 0);
    assert.equal(await b.evaluate(() => window.__pwned), undefined);
    await shot(a, '02-forum-feed');
  });

  await step(t, 'B reacts +1 and replies', async () => {
    const post = b.getByRole('region', { name: 'Feed' }).getByRole('article').filter({ hasText: body1 });
    await post.getByRole('button', { name: '+1', exact: true }).click();
    await post.getByRole('button', { name: '+1', exact: true }).and(b.locator('[aria-pressed="true"]')).waitFor();
    assert.match(await post.getByRole('button', { name: '+1', exact: true }).innerText(), /1/);
    // The button keeps its name, +1; screen readers get the count as its description.
    const description = await post.getByRole('button', { name: '+1', exact: true }).evaluate((el) => {
      const d = document.getElementById(el.getAttribute('aria-describedby') ?? '')?.cloneNode(true);
      d?.querySelectorAll('[aria-hidden="true"]').forEach((n) => n.remove());
      return d?.textContent?.trim();
    });
    assert.equal(description, '1 reaction');
    await shotBoth(b, 'ux-09-reaction-count');
    await post.getByRole('button', { name: 'Reply', exact: true }).click();
    await b.getByRole('textbox', { name: 'Write a post in reply' }).fill('A reply from B');
    await b.getByRole('button', { name: 'Post', exact: true }).click();
    await b.getByRole('region', { name: 'Thread' }).getByRole('article').filter({ hasText: 'A reply from B' }).waitFor();
    await shot(b, '03-thread');
    // A's feed counts the reply live.
    await a.getByRole('region', { name: 'Feed' }).getByRole('article').filter({ hasText: body1 }).getByText('1 reply').waitFor();
    await b.getByRole('button', { name: /Back to/ }).click();
  });

  await step(t, 'B flags the post through the dialog', async () => {
    const post = b.getByRole('region', { name: 'Feed' }).getByRole('article').filter({ hasText: body1 });
    await post.getByRole('button', { name: 'Flag', exact: true }).click();
    const dialog = b.getByRole('dialog');
    await dialog.waitFor();
    const options = await dialog.getByLabel('Reason').locator('option').allInnerTexts();
    assert.deepEqual(options, ['spam', 'harassment', 'doxxing', 'off_topic', 'other']);
    await dialog.getByLabel('Reason').selectOption('harassment');
    await dialog.getByLabel('Note for moderators (optional)').fill(FLAG_NOTE);
    await shot(b, '04-flag-dialog');
    await dialog.getByRole('button', { name: 'Send flag' }).click();
    await b.getByText('Flag sent to the moderators.').waitFor();
  });

  const mod = await newPage('MOD');
  await step(t, 'moderator hides it at /staff; both employee views update', async () => {
    await mod.goto(base + '/staff');
    await shot(mod, '05-staff-signin');
    await mod.getByLabel('Username').fill('mod1');
    await mod.getByLabel('Password').fill(MOD_PASSWORD);
    await mod.getByRole('button', { name: 'Sign in' }).click();
    const region = mod.getByRole('region', { name: 'Flagged posts' });
    const item = region.getByRole('article').filter({ hasText: body1 });
    await item.waitFor();
    await item.getByText('harassment: 1').waitFor();
    // The flagger's note, without who wrote it.
    await item.getByRole('list', { name: /Notes from flaggers/ }).getByRole('listitem').filter({ hasText: FLAG_NOTE }).waitFor();
    assert.doesNotMatch(await item.innerText(), /ben_w/);
    // The staff footer shows the same active key as the employees see.
    const active = (await (await fetch(base + '/v1/keys')).json()).keys.find((k) => k.state === 'active');
    await mod.getByRole('contentinfo').getByText(`active key ${active.key_id.slice(0, 8)} (epoch ${active.epoch})`).waitFor();
    await shot(mod, '06-flag-queue');
    await item.getByRole('button', { name: 'Hide' }).click();
    await item.waitFor({ state: 'detached' });
    await a.getByRole('region', { name: 'Feed' }).getByRole('article').filter({ hasText: body1 }).waitFor({ state: 'detached', timeout: 15000 });
    await b.getByRole('region', { name: 'Feed' }).getByRole('article').filter({ hasText: body1 }).waitFor({ state: 'detached', timeout: 15000 });
    await mod.getByRole('button', { name: 'Moderation log' }).click();
    await mod.getByText('hide', { exact: true }).first().waitFor();
    await shot(mod, '07-staff-modlog');
  });

  await step(t, 'the public moderation log shows the hide', async () => {
    await a.getByRole('button', { name: 'Moderation log' }).click();
    await a.getByText('hide', { exact: true }).first().waitFor();
    await shot(a, '08-public-modlog');
    await a.getByRole('button', { name: '#general' }).click();
  });

  await step(t, 'the moderator restores it from the log; it is back in the feed', async () => {
    await mod.getByRole('button', { name: 'Restore' }).first().click();
    await mod.getByText('Post restored.').waitFor();
    await mod.getByText('restore', { exact: true }).first().waitFor();
    await a.reload();
    await a.getByRole('region', { name: 'Feed' }).getByRole('article').filter({ hasText: body1 }).waitFor();
  });

  await step(t, 'A flags B’s reply; “Show thread” shows the moderator its parent', async () => {
    await a.getByRole('region', { name: 'Feed' }).getByRole('article').filter({ hasText: body1 }).getByRole('button', { name: 'Reply', exact: true }).click();
    const reply = a.getByRole('region', { name: 'Thread' }).getByRole('article').filter({ hasText: 'A reply from B' });
    await reply.getByRole('button', { name: 'Flag', exact: true }).click();
    await a.getByRole('dialog').getByLabel('Reason').selectOption('other');
    await a.getByRole('dialog').getByRole('button', { name: 'Send flag' }).click();
    await a.getByRole('dialog').waitFor({ state: 'detached' });
    await a.getByRole('button', { name: /Back to/ }).click();
    await mod.getByRole('button', { name: 'Flag queue' }).click();
    await mod.getByRole('button', { name: 'Refresh' }).click();
    const item = mod.getByRole('region', { name: 'Flagged posts' }).getByRole('article').filter({ hasText: 'A reply from B' });
    await item.waitFor();
    await item.getByText('(a reply)').waitFor();
    await item.getByRole('button', { name: 'Show thread' }).click();
    const ctx = item.getByRole('list', { name: /Thread of the post/ });
    const entries = ctx.getByRole('listitem');
    await entries.first().waitFor();
    assert.equal(await entries.count(), 2);
    // The parent comes first; the flagged reply is marked as such.
    assert.ok((await entries.nth(0).innerText()).includes(body1), 'the parent post is shown first');
    assert.doesNotMatch(await entries.nth(0).innerText(), /Flagged post/);
    await entries.nth(1).getByText('Flagged post').waitFor();
    assert.match(await entries.nth(1).innerText(), /A reply from B/);
    assert.equal(await entries.nth(1).getAttribute('aria-current'), 'true');
    await shot(mod, '06b-flag-thread');
    await item.getByRole('button', { name: 'Close thread' }).click();
    await ctx.waitFor({ state: 'detached' });
    await item.getByRole('button', { name: 'Dismiss' }).click();
    await item.waitFor({ state: 'detached' });
  });

  await step(t, 'profiles show a pseudonym’s public facts', async () => {
    await b.getByRole('region', { name: 'Feed' }).getByRole('article').first().getByRole('button', { name: '@ann_w' }).click();
    await b.getByRole('heading', { name: '@ann_w' }).waitFor();
    await b.getByText('Since key epoch').waitFor();
    await shot(b, '14-profile');
    await b.getByRole('button', { name: '#general' }).click();
  });

  await step(t, 'B flags another post; the moderator dismisses it and bans nobody', async () => {
    const body2 = `Second post by A ${Date.now()}`;
    await a.getByRole('textbox', { name: 'Write a post' }).fill(body2);
    await a.getByRole('button', { name: 'Post', exact: true }).click();
    const post = b.getByRole('region', { name: 'Feed' }).getByRole('article').filter({ hasText: body2 });
    await post.waitFor({ timeout: 15000 });
    await post.getByRole('button', { name: 'Flag', exact: true }).click();
    await b.getByRole('dialog').getByLabel('Reason').selectOption('off_topic');
    await b.getByRole('dialog').getByRole('button', { name: 'Send flag' }).click();
    await b.getByRole('dialog').waitFor({ state: 'detached' });
    await mod.getByRole('button', { name: 'Flag queue' }).click();
    const item = mod.getByRole('region', { name: 'Flagged posts' }).getByRole('article').filter({ hasText: body2 });
    await item.waitFor();
    await item.getByRole('button', { name: 'Dismiss' }).click();
    await item.waitFor({ state: 'detached' });
    assert.equal(await a.getByRole('region', { name: 'Feed' }).getByRole('article').filter({ hasText: body2 }).count(), 1);
  });

  await step(t, 'A flags B; the moderator bans B, whose browser is shut out', async () => {
    const body = `B says something ${Date.now()}`;
    await b.getByRole('textbox', { name: 'Write a post' }).fill(body);
    await b.getByRole('button', { name: 'Post', exact: true }).click();
    const post = a.getByRole('region', { name: 'Feed' }).getByRole('article').filter({ hasText: body });
    await post.waitFor({ timeout: 15000 });
    await post.getByRole('button', { name: 'Flag', exact: true }).click();
    await a.getByRole('dialog').getByLabel('Reason').selectOption('spam');
    await a.getByRole('dialog').getByRole('button', { name: 'Send flag' }).click();
    await a.getByRole('dialog').waitFor({ state: 'detached' });
    await mod.getByRole('button', { name: 'Refresh' }).click();
    const item = mod.getByRole('region', { name: 'Flagged posts' }).getByRole('article').filter({ hasText: body });
    await item.waitFor();
    await item.getByRole('button', { name: 'Ban author' }).click();
    const ban = mod.getByRole('dialog');
    await ban.getByLabel(/^Reason/).fill('spam, repeatedly');
    await ban.getByRole('button', { name: 'Ban now' }).click();
    await mod.getByText(/@ben_w banned until/).waitFor();
    await b.getByText(/This pseudonym is banned/).waitFor({ timeout: 20000 });
    await shot(b, '15-banned');
  });

  await step(t, 'the moderator unbans B from “Handled in this session”; B is back', async () => {
    const handled = mod.getByRole('region', { name: 'Handled in this session' });
    const entry = handled.getByRole('listitem').filter({ hasText: 'banned' }).filter({ hasText: '@ben_w' });
    await entry.getByRole('button', { name: 'Unban' }).click();
    await entry.getByText('unbanned').waitFor();
    await b.reload();
    await b.getByRole('textbox', { name: 'Write a post' }).waitFor({ timeout: 20000 });
    const body = `B is back ${Date.now()}`;
    await b.getByRole('textbox', { name: 'Write a post' }).fill(body);
    await b.getByRole('button', { name: 'Post', exact: true }).click();
    await a.getByRole('region', { name: 'Feed' }).getByRole('article').filter({ hasText: body }).waitFor({ timeout: 15000 });
    await shot(b, '15b-unbanned');
  });

  const adm = await newPage('ADMIN');
  let catCode = '';
  let danCode = '';
  await step(t, 'admin imports a roster CSV and sees the codes once', async () => {
    await adm.goto(base + '/staff');
    await adm.getByLabel('Username').fill('admin');
    await adm.getByLabel('Password').fill(ADMIN_PASSWORD);
    await adm.getByRole('button', { name: 'Sign in' }).click();
    await adm.getByRole('button', { name: 'Roster' }).click();
    await adm.getByLabel('Roster CSV file').setInputFiles({
      name: 'roster.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('employee_id,name\nemp-cat,Cat\nemp-dan,Dan\n'),
    });
    await adm.getByText('2 employee IDs ready').waitFor();
    await adm.getByRole('button', { name: 'Import roster' }).click();
    const table = adm.getByRole('table', { name: 'Enrollment codes' });
    await table.getByRole('cell', { name: 'emp-cat' }).waitFor();
    catCode = (await table.getByRole('row').filter({ hasText: 'emp-cat' }).getByRole('cell').nth(1).innerText()).trim();
    danCode = (await table.getByRole('row').filter({ hasText: 'emp-dan' }).getByRole('cell').nth(1).innerText()).trim();
    await shot(adm, '09-roster-codes');
    const [download] = await Promise.all([
      adm.waitForEvent('download'),
      adm.getByRole('button', { name: 'Download codes as CSV' }).click(),
    ]);
    const csv = readFileSync(await download.path(), 'utf8');
    assert.match(csv, /^employee_id,code\r\nemp-cat,/);
  });

  await step(t, 'admin rotates the key after a confirmation', async () => {
    // (The short key may have been replaced already by automatic rotation.)
    const before = (await (await fetch(base + '/v1/keys')).json()).keys.length;
    await adm.getByRole('button', { name: 'Keys' }).click();
    await adm.getByLabel('Reason (public log)').fill('scheduled rotation');
    await adm.getByRole('button', { name: 'Rotate key…' }).click();
    const dialog = adm.getByRole('dialog');
    await dialog.getByText(/retired/).waitFor();
    await shot(adm, '10-rotate-confirm');
    await dialog.getByRole('button', { name: 'Rotate now' }).click();
    await adm.getByText('Rotated. A new key is active.').waitFor();
    await shot(adm, '11-keys');
    await adm.getByRole('button', { name: 'Staff accounts' }).click();
    await adm.getByText('mod1').waitFor();
    await shot(adm, '16-staff-accounts');
    await adm.getByRole('button', { name: 'Channels' }).click();
    await adm.getByLabel('Channel name').fill('random');
    await adm.getByLabel('Description').fill('Anything else');
    await adm.getByRole('button', { name: 'Add channel' }).click();
    await adm.getByText('#random added.').waitFor();
    await adm.getByRole('button', { name: 'Audit log' }).click();
    await adm.getByRole('cell', { name: 'keys.rotate' }).first().waitFor();
    await shot(adm, '17-audit');
    const keys = await (await fetch(base + '/v1/keys')).json();
    assert.equal(keys.keys.length, before + 1);
    assert.equal(keys.keys.at(-1).state, 'active');
  });

  await step(t, 'a taken handle keeps the token; a reload during the delay resumes certification', async () => {
    const c = await newPage('C');
    await enroll(c, base, 'emp-cat', catCode);
    await c.getByLabel('Handle').fill('ANN_W'); // taken, case-insensitively
    await c.getByRole('spinbutton', { name: 'Unlinking delay (seconds)' }).fill('0');
    await c.getByRole('button', { name: 'Get pseudonym' }).click();
    await c.getByText(/is taken/).waitFor();
    await c.getByLabel('Handle').fill('cat_w');
    await c.getByRole('spinbutton', { name: 'Unlinking delay (seconds)' }).fill('4');
    await c.getByRole('button', { name: 'Get pseudonym' }).click();
    await c.getByText(/Waiting \d+ s before certifying/).waitFor();
    await c.reload();
    await c.getByText(/a signed token is waiting in this browser/).waitFor();
    await c.getByRole('region', { name: 'Feed' }).waitFor({ timeout: 20000 });
    await c.getByText('@cat_w').first().waitFor();
  });

  await step(t, 'a lost issue answer is asked for again without using another token', async () => {
    const d = await newPage('D');
    let dropped = false;
    // Lose the issuer's answer to the first `issue`, as a dropped connection would.
    await d.routeWebSocket(/\/v1\/issuer$/, (ws) => {
      const server = ws.connectToServer();
      let issueId = null;
      ws.onMessage((m) => {
        const o = JSON.parse(String(m));
        if (o.op === 'issue') issueId = o.id;
        server.send(m);
      });
      server.onMessage((m) => {
        const o = JSON.parse(String(m));
        if (!dropped && issueId !== null && o.id === issueId) {
          dropped = true;
          ws.close();
          server.close();
          return;
        }
        ws.send(m);
      });
    });
    await enroll(d, base, 'emp-dan', danCode);
    await d.getByLabel('Handle').fill('dan_w');
    await d.getByRole('spinbutton', { name: 'Unlinking delay (seconds)' }).fill('0');
    await d.getByRole('button', { name: 'Get pseudonym' }).click();
    await d.getByText(/connection was lost before the issuer's answer/).waitFor();
    assert.ok(dropped);
    await d.getByLabel('Password', { exact: true }).fill('pw-emp-dan-long');
    await d.getByRole('button', { name: 'Sign in', exact: true }).click();
    await d.getByText(/1 of 1 used/).waitFor(); // the unit was spent on the lost answer
    await d.getByRole('button', { name: 'Get pseudonym' }).click();
    await d.getByText(/Asking again for the signature/).waitFor();
    await d.getByRole('region', { name: 'Feed' }).waitFor({ timeout: 20000 });
    await d.getByText('@dan_w').first().waitFor();
  });

  await step(t, 'A’s certification lapses; A renews in the browser', async () => {
    const lapse = shortKeyStart + SHORT_KEY_DAYS * 86400 * 1000 + 2000 - Date.now();
    if (lapse > 0) await new Promise((r) => setTimeout(r, lapse));
    // The page knows the certification ended from its last login: it asks no
    // forum login first (which would sit right beside the issuer sign-in).
    const sockets = [];
    const seen = (ws) => sockets.push(ws.url());
    a.on('websocket', seen);
    await a.reload();
    await a.getByRole('heading', { name: /Renew @ann_w/ }).waitFor({ timeout: 20000 });
    await a.getByRole('button', { name: 'Check with the forum' }).waitFor();
    await shot(a, '12-renew');
    assert.deepEqual(sockets.filter((u) => u.endsWith('/v1/forum')), [], 'no forum connection before renewing');
    a.off('websocket', seen);
    await a.getByLabel('Employee ID').fill('emp-ann');
    await a.getByLabel('Password', { exact: true }).fill('pw-emp-ann-long');
    await a.getByRole('button', { name: 'Sign in' }).click();
    await a.getByText(/Signed in on the employer side/).waitFor();
    await a.getByRole('spinbutton', { name: 'Unlinking delay (seconds)' }).fill('0');
    await a.getByRole('button', { name: 'Renew pseudonym' }).click();
    await a.getByRole('region', { name: 'Feed' }).waitFor({ timeout: 30000 });
    const body3 = `A is back ${Date.now()}`;
    await a.getByRole('textbox', { name: 'Write a post' }).fill(body3);
    await a.getByRole('button', { name: 'Post', exact: true }).click();
    await a.getByRole('region', { name: 'Feed' }).getByRole('article').filter({ hasText: body3 }).waitFor();
  });

  await step(t, 'admin revokes the first key; the directory and public log show it', async () => {
    await adm.getByRole('button', { name: 'Keys' }).click();
    const row = adm.getByRole('row').filter({ has: adm.getByRole('cell', { name: '1', exact: true }) });
    await row.getByRole('button', { name: 'Revoke…' }).click();
    const dialog = adm.getByRole('dialog');
    await dialog.getByText(/can no longer be certified/).waitFor();
    await dialog.getByLabel('Reason (public log)').fill('old key no longer needed');
    await dialog.getByRole('button', { name: 'Revoke now' }).click();
    await adm.getByText('Key of epoch 1 revoked.').waitFor();
    const keys = await (await fetch(base + '/v1/keys')).json();
    assert.equal(keys.keys[0].state, 'revoked');
    await a.getByRole('button', { name: 'Moderation log' }).click();
    await a.getByText('keys.revoke', { exact: true }).first().waitFor();
    await a.getByText('old key no longer needed').waitFor();
  });

  await step(t, 'A posts in the channel the admin added', async () => {
    await a.reload();
    await a.getByRole('button', { name: '#random' }).click();
    await a.getByRole('heading', { name: /#random/ }).waitFor();
    await a.getByRole('textbox', { name: 'Write a post' }).fill('First post in random');
    await a.getByRole('button', { name: 'Post', exact: true }).click();
    const mine = a.getByRole('region', { name: 'Feed' }).getByRole('article').filter({ hasText: 'First post in random' });
    await mine.waitFor();
    // The author takes it back.
    await mine.getByRole('button', { name: 'Delete' }).click();
    await mine.getByRole('button', { name: 'Delete for good' }).click();
    await mine.waitFor({ state: 'detached' });
    await a.reload();
    await a.getByRole('button', { name: '#random' }).click();
    await a.getByText('No posts yet.').waitFor();
  });

  await step(t, 'A pages back through #random with “Load older”', async () => {
    // The client asks for pages of 30: 33 posts make two pages.
    const box = a.getByRole('textbox', { name: 'Write a post' });
    const feed = a.getByRole('region', { name: 'Feed' });
    for (let i = 1; i <= 33; i++) {
      await box.fill(`paging post ${i}.`);
      await a.getByRole('button', { name: 'Post', exact: true }).click();
      await feed.getByRole('article').filter({ hasText: `paging post ${i}.` }).waitFor();
      // The live event can show the post before its reply clears the composer.
      await a.waitForFunction(() => document.querySelector('textarea')?.value === '');
    }
    await a.reload();
    await a.getByRole('button', { name: '#random' }).click();
    await feed.getByRole('article').filter({ hasText: 'paging post 33.' }).waitFor();
    assert.equal(await feed.getByRole('article').count(), 30, 'the first page holds 30 posts');
    assert.equal(await feed.getByRole('article').filter({ hasText: 'paging post 1.' }).count(), 0);
    await a.getByRole('button', { name: 'Load older' }).click();
    await feed.getByRole('article').filter({ hasText: 'paging post 1.' }).waitFor();
    assert.equal(await feed.getByRole('article').count(), 33, 'the older page is added below, without repeats');
    const texts = await feed.getByRole('article').allInnerTexts();
    const order = texts.map((x) => Number(/paging post (\d+)\./.exec(x)?.[1]));
    assert.deepEqual(order, Array.from({ length: 33 }, (_, k) => 33 - k), 'newest first, across both pages');
    await a.getByRole('button', { name: 'Load older' }).waitFor({ state: 'detached' });  // nothing older
    await shot(a, '17b-load-older');
    await a.getByRole('button', { name: '#general' }).click();
  });

  await step(t, 'a long thread is read page by page with “Load more replies”', async () => {
    // 51 replies from a second pseudonym, sent by the integration tests' protocol client.
    const h = await import('../integration/lib/harness.mjs');
    const ws = base.replace(/^http/, 'ws');
    const srv = { url: base, ws, issuer: 'hearth-local', connect: (ep) => h.Client.open(`${ws}/v1/${ep}`) };
    const bot = await h.pseudonymOnForum(srv, { ok: (op, f) => admin.call(op, f) }, 'emp-bot', 'reply_bot');
    try {
      const top = `A long thread ${Date.now()}`;
      await a.getByRole('textbox', { name: 'Write a post' }).fill(top);
      await a.getByRole('button', { name: 'Post', exact: true }).click();
      const post = a.getByRole('region', { name: 'Feed' }).getByRole('article').filter({ hasText: top });
      await post.waitFor();
      const { posts } = await bot.forum.ok('feed', { channel: 'general', limit: 5 });
      const parent = posts.find((p) => p.body === top).id;
      for (let i = 1; i <= 51; i++) {
        for (;;) {
          const r = await bot.forum.call('post', h.signedPost(srv, bot.p, 'general', `reply ${i}.`, parent));
          if (r.ok) break;
          assert.equal(r.error.code, 'rate_limited', JSON.stringify(r.error));
          await h.sleep(200);
        }
      }
      await post.getByRole('button', { name: 'Reply', exact: true }).click();
      const thread = a.getByRole('region', { name: 'Thread' });
      await thread.getByRole('article').filter({ hasText: 'reply 50.' }).waitFor();
      assert.equal(await thread.getByRole('article').count(), 51, 'the post and the first page of 50 replies');
      assert.equal(await thread.getByRole('article').filter({ hasText: 'reply 51.' }).count(), 0);
      await shotBoth(a, 'ux-11-load-more-replies');
      await a.getByRole('button', { name: 'Load more replies' }).click();
      await thread.getByRole('article').filter({ hasText: 'reply 51.' }).waitFor();
      assert.equal(await thread.getByRole('article').count(), 52);
      const order = (await thread.getByRole('article').allInnerTexts()).slice(1).map((x) => Number(/reply (\d+)\./.exec(x)?.[1]));
      assert.deepEqual(order, Array.from({ length: 51 }, (_, k) => k + 1), 'replies oldest first, across both pages');
      await a.getByRole('button', { name: 'Load more replies' }).waitFor({ state: 'detached' });
      await a.getByRole('button', { name: /Back to/ }).click();
    } finally {
      bot.forum.close();
    }
  });

  let phone;
  await step(t, 'phone width: the forum is usable at 375 px', async () => {
    phone = await newPage('PHONE', { width: 375, height: 780 });
    // Move A's pseudonym to the phone through an encrypted backup file.
    await a.getByRole('button', { name: 'My pseudonym' }).click();
    await a.getByLabel('Passphrase for the file').fill('phone transfer passphrase');
    await a.getByLabel('Repeat the passphrase').fill('phone transfer passphrase');
    const [download] = await Promise.all([
      a.waitForEvent('download'),
      a.getByRole('button', { name: 'Export backup file' }).click(),
    ]);
    const file = readFileSync(await download.path(), 'utf8');
    assert.doesNotMatch(file, /"sk"/);
    // The file name is the same for everyone: nothing in a downloads folder names the pseudonym.
    assert.equal(download.suggestedFilename(), 'hearth-backup.hearthkey');
    await shot(a, '18-my-pseudonym');
    await phone.goto(base + '/');
    await phone.getByLabel('Backup file').setInputFiles({ name: 'a.hearthkey', mimeType: 'application/json', buffer: Buffer.from(file) });
    await phone.getByLabel('Backup passphrase').fill('phone transfer passphrase');
    await phone.getByRole('button', { name: 'Restore from backup' }).click();
    const feed = phone.getByRole('region', { name: 'Feed' });
    await feed.waitFor({ timeout: 20000 });
    await feed.getByRole('article').first().waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone screen`);
    await shot(phone, '13-phone-feed');
  });

  await step(t, 'a post altered in transit is marked unverifiable', async () => {
    // Rewrite the body of every post in forum answers, as a malicious server could.
    await phone.routeWebSocket(/\/v1\/forum$/, (ws) => {
      const server = ws.connectToServer();
      server.onMessage((msg) => {
        const m = JSON.parse(String(msg));
        for (const p of m.result?.posts ?? []) p.body = `TAMPERED ${p.body}`;
        ws.send(JSON.stringify(m));
      });
    });
    await phone.reload();
    const feed = phone.getByRole('region', { name: 'Feed' });
    const tampered = feed.getByRole('article').filter({ hasText: 'TAMPERED' }).first();
    await tampered.getByText('⚠ unverifiable').waitFor({ timeout: 20000 });
    assert.equal(await feed.getByText('✓ signed').count(), 0);
    await shot(phone, '21-unverifiable');
  });

  await step(t, 'the staff console works at phone width', async () => {
    await mod.setViewportSize({ width: 375, height: 780 });
    await mod.getByRole('button', { name: 'Flag queue' }).click();
    await mod.getByRole('region', { name: 'Flagged posts' }).waitFor();
    const overflow = await mod.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `staff page is ${overflow}px wider than the phone screen`);
    await shot(mod, '19-staff-phone');
  });

  await step(t, 'a key directory older than one already seen is refused', async () => {
    const c = await newPage('ROLLBACK');
    await c.goto(base + '/');
    await c.getByText(/key directory #\d+/).waitFor();
    const pin = await c.evaluate(() => JSON.parse(localStorage.getItem('hearth.directory.pin')));
    await c.evaluate((p) => localStorage.setItem('hearth.directory.pin', JSON.stringify({ ...p, seq: p.seq + 5 })), pin);
    await c.reload();
    await c.getByText(/older than #\d+ already seen here/).waitFor();
    await c.getByText('Key directory not verified.').waitFor();
    await shot(c, '20-directory-rollback');
  });

  await step(t, '“Forget this pseudonym” leaves nothing of it in the browser', async () => {
    // B's certification has lapsed by now: the renewal page offers to forget it.
    await b.reload();
    await b.getByRole('heading', { name: /Renew @ben_w/ }).waitFor();
    const pk = await b.evaluate(() => Object.keys(localStorage).find((k) => k.startsWith('hearth.reacted.'))?.slice('hearth.reacted.'.length));
    assert.ok(pk, 'B reacted earlier, so its reaction memory is there before forgetting');
    await b.getByRole('button', { name: /Forget this pseudonym/ }).click();
    await b.getByRole('button', { name: 'Get pseudonym' }).waitFor();
    const left = await b.evaluate(async (pk) => {
      const local = Object.keys(localStorage).filter((k) => k.includes(pk) || k.startsWith('hearth.reacted.') || localStorage.getItem(k).includes(pk));
      const db = await new Promise((res, rej) => {
        const r = indexedDB.open('hearth');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const keys = await new Promise((res) => {
        const req = db.transaction('kv').objectStore('kv').getAllKeys();
        req.onsuccess = () => res(req.result);
      });
      db.close();
      return { local, keys };
    }, pk);
    assert.deepEqual(left, { local: [], keys: [] });
  });

  await step(t, 'no page errors', () => {
    // The ban closes B's connection on purpose; Chromium logs that as a console error.
    const errors = openPages.flatMap((p) => p.__errors).filter((e) => !/WebSocket|status of 4\d\d/.test(e));
    assert.deepEqual(errors, []);
  });
  admin.close();
});

test('two origins: the issuer and the forum as two services', { timeout: 180000 }, async () => {
  // The issuer at 127.0.0.1, the forum at 127.0.0.2: two origins, as two
  // parties would run them. The page comes from the forum, learns the
  // issuer's address from GET /v1/config, signs in there, and certifies and
  // posts on the forum.
  const dir = mkdtempSync(join(tmpdir(), 'hearth-web-e2e-split-'));
  let issuer;
  let forum;
  let ctx;
  try {
    const forumPort = await freePort('127.0.0.2');
    const forumOrigin = `http://127.0.0.2:${forumPort}`;
    const conf = join(dir, 'issuer.toml');
    writeFileSync(conf, `[server]\nallowed_origins = [${JSON.stringify(forumOrigin)}]\n`);
    initData(join(dir, 'issuer'), ['--role', 'issuer']);
    issuer = await startServer(join(dir, 'issuer'), ['--config', conf]);
    const { master_key } = await (await fetch(issuer.url + '/v1/keys')).json();
    initData(join(dir, 'forum'), ['--role', 'forum', '--issuer-url', issuer.url, '--master-key', master_key]);
    forum = await startServer(join(dir, 'forum'), [], `127.0.0.2:${forumPort}`);
    assert.equal(forum.url, forumOrigin);
    const config = await (await fetch(forum.url + '/v1/config')).json();
    assert.equal(config.role, 'forum');
    assert.equal(config.issuer, issuer.url.replace(/^http/, 'ws') + '/v1/issuer');

    const admin = await staffClient('admin', ADMIN_PASSWORD, issuer.url);
    const { codes } = await admin.call('roster.import', { employees: ['emp-two'] });
    admin.close();

    ctx = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const sockets = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await enroll(page, forum.url, 'emp-two', codes['emp-two']);
    await page.getByLabel('Handle').fill('two_origins');
    await page.getByRole('spinbutton', { name: 'Unlinking delay (seconds)' }).fill('0');
    await page.getByRole('button', { name: 'Get pseudonym' }).click();
    await page.getByRole('region', { name: 'Feed' }).waitFor({ timeout: 30000 });
    const body = `posted across two origins ${Date.now()}`;
    await page.getByRole('textbox', { name: 'Write a post' }).fill(body);
    await page.getByRole('button', { name: 'Post', exact: true }).click();
    await page.getByRole('region', { name: 'Feed' }).getByRole('article').filter({ hasText: body }).getByText('✓ signed').waitFor();
    await shotBoth(page, 'split-01-forum-after-issuer-sign-in');
    // Employer sign-in went to the issuer's origin, everything pseudonymous to the forum's.
    assert.ok(sockets.some((u) => u === config.issuer), `no connection to the issuer: ${sockets}`);
    assert.ok(sockets.filter((u) => u.endsWith('/v1/forum')).every((u) => u.startsWith('ws://127.0.0.2:')), `forum sockets: ${sockets}`);
    assert.ok(!sockets.some((u) => u.startsWith('ws://127.0.0.2:') && u.endsWith('/v1/issuer')), 'no issuer connection to the forum');
    assert.deepEqual(errors, []);
  } finally {
    await ctx?.close().catch(() => {});
    await stopServer(forum?.proc);
    await stopServer(issuer?.proc);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('header (SSO proxy) mode: Get pseudonym needs no Employee ID or password', { timeout: 120000 }, async () => {
  // A second server whose issuer trusts the identity header from loopback, as
  // behind a company sign-in proxy; the browser context sends that header.
  const dir = mkdtempSync(join(tmpdir(), 'hearth-web-e2e-sso-'));
  let srv;
  let ctx;
  try {
    const conf = join(dir, 'hearth.toml');
    writeFileSync(conf, '[issuer]\nauth = "header"\ntrusted_proxies = ["127.0.0.1"]\n');
    initData(join(dir, 'db'));
    let url;
    ({ proc: srv, url } = await startServer(join(dir, 'db'), ['--config', conf]));
    ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, extraHTTPHeaders: { 'X-Forwarded-User': 'erin@corp.example' } });
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url + '/');
    await page.getByText(/company sign-in already identifies you/).waitFor();
    await page.getByText('0 of 1 used').waitFor();
    assert.equal(await page.getByLabel('Employee ID').count(), 0);
    assert.equal(await page.getByLabel('Password', { exact: true }).count(), 0);
    await page.getByLabel('Handle').fill('erin_sso');
    await page.getByRole('spinbutton', { name: 'Unlinking delay (seconds)' }).fill('0');
    await shot(page, '22-header-mode-setup');
    await page.getByRole('button', { name: 'Get pseudonym' }).click();
    await page.getByRole('region', { name: 'Feed' }).waitFor({ timeout: 30000 });
    await page.getByText('@erin_sso').first().waitFor();

    // Alone under the key: the composer says so plainly.
    await page.getByText(/effectively posting under your own name/).waitFor();
    await shotBoth(page, 'ux-05-crowd-of-one');

    // A rotation: erin is told she is still covered, and until when; "Renew"
    // is one click (the sign-in proxy identifies the browser) and fetches the
    // token now, to be spent days later.
    const admin = await staffClient('admin', ADMIN_PASSWORD, url);
    const old = (await (await fetch(url + '/v1/keys')).json()).keys.find((k) => k.state === 'active');
    await admin.call('keys.rotate', { reason: 'e2e: header-mode rotation' });
    await page.reload();
    await page.getByText(/A new key \(epoch \d+\) is active\. You are still covered until/).waitFor({ timeout: 20000 });
    await page.getByRole('status').filter({ hasText: 'hidden among' }).filter({ hasText: 'covers you until' }).waitFor();
    assert.equal(await page.getByText(/below the minimum/).count(), 0, 'no alarm about the new key’s empty crowd');
    await shotBoth(page, 'ux-06-still-covered');
    await page.getByRole('button', { name: 'Renew', exact: true }).click();
    await page.getByText(/Your token for key epoch \d+ is in this browser/).waitFor();
    await page.getByText(/renewed with it on its own at about/).waitFor();
    await shotBoth(page, 'ux-07-renewal-scheduled');

    // PROTOCOL.md §8: My pseudonym → Renew certification → Renew pseudonym.
    // The held token is spent now, as the employee chooses to go faster.
    await page.getByRole('button', { name: 'My pseudonym' }).click();
    await page.getByRole('button', { name: 'Renew certification' }).click();
    await page.getByRole('heading', { name: /Renew @erin_sso/ }).waitFor({ timeout: 20000 });
    await page.getByText(/already in this browser: no sign-in is needed/).waitFor();
    assert.equal(await page.getByLabel('Employee ID').count(), 0, 'no employer sign-in in header mode');
    const days = Number(await page.getByRole('spinbutton', { name: 'Unlinking delay (seconds)' }).inputValue());
    assert.ok(days >= 2 * 86400 - 1, `a scheduled renewal waits days by default (${days} s)`);
    await page.getByRole('spinbutton', { name: 'Unlinking delay (seconds)' }).fill('0');
    await page.getByText(/Going faster makes it easier to match/).waitFor();
    await shotBoth(page, 'ux-10-renew-pseudonym');
    await page.getByRole('button', { name: 'Renew pseudonym' }).click();
    await page.getByRole('region', { name: 'Feed' }).waitFor({ timeout: 30000 });

    // The old key is revoked: erin, renewed under the new one, carries on.
    await admin.call('keys.revoke', { key_id: old.key_id, reason: 'e2e: header-mode renewal' });
    admin.close();
    await page.reload();
    await page.getByRole('region', { name: 'Feed' }).waitFor({ timeout: 30000 });
    const body = `erin renewed ${Date.now()}`;
    await page.getByRole('textbox', { name: 'Write a post' }).fill(body);
    await page.getByRole('button', { name: 'Post', exact: true }).click();
    const mine = page.getByRole('region', { name: 'Feed' }).getByRole('article').filter({ hasText: body });
    await mine.waitFor();
    await mine.getByText('@erin_sso').waitFor();
    assert.deepEqual(errors, []);
  } finally {
    await ctx?.close().catch(() => {});
    await stopServer(srv);
    rmSync(dir, { recursive: true, force: true });
  }
});

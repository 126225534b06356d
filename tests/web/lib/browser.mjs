// Browser-test helpers: Debian's Chromium through playwright-core (from
// web/node_modules), pages that collect script errors, screenshots at desktop
// width and at 375 px, and a web client built from the current sources.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const WEB_DIST = join(root, 'web', 'dist');
const { chromium } = createRequire(join(root, 'web', 'package.json'))('playwright-core');

export const DESKTOP = { width: 1200, height: 900 };
export const PHONE = { width: 375, height: 800 };

/** Where a test writes its screenshots: $HEARTH_SHOTS, else tests/output/NAME (not committed). */
export function shotsDir(name) {
  const dir = process.env.HEARTH_SHOTS ? join(process.env.HEARTH_SHOTS, name) : join(root, 'tests', 'output', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function newestMtime(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((n) => newestMtime(join(path, n))));
}

/** Builds web/dist when it is missing or older than any source (as tests/web/run.sh does for the e2e). */
export function ensureWebBuilt() {
  const web = join(root, 'web');
  const built = join(WEB_DIST, 'staff.html');
  const sources = ['src', 'index.html', 'staff.html', 'vite.config.ts'].map((p) => join(web, p));
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(...sources.map(newestMtime))) return;
  const r = spawnSync('npm', ['run', 'build', '--silent', '--', '--logLevel', 'warn'], { cwd: web, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`web build failed:\n${r.stdout}${r.stderr}`);
}

/**
 * Installs the integration tests' Node packages when they are missing: a
 * browser test that borrows their protocol client (tests/integration/lib)
 * imports it only after this.
 */
export function ensureIntegrationDeps() {
  const dir = join(root, 'tests', 'integration');
  if (existsSync(join(dir, 'node_modules', 'ws'))) return;
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm ci in tests/integration failed:\n${r.stdout}${r.stderr}`);
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A page in a fresh context. `page.errors` collects uncaught script errors and
 * console errors; a test asserts it is empty. Native dialogs are a bug here:
 * they are recorded as errors and dismissed.
 */
export async function openPage(browser, name, viewport = DESKTOP) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(`${name}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') page.errors.push(`${name} console: ${m.text()}`);
  });
  page.on('dialog', (d) => {
    page.errors.push(`${name}: native dialog "${d.message()}"`);
    void d.dismiss();
  });
  return page;
}

/** How far the page is wider than its viewport (0: nothing is cut off or scrolls sideways). */
export function horizontalOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** A `shotBoth` check: the page does not scroll sideways at that width. */
export const noOverflow = (page) => async (width) => {
  assert.equal(await horizontalOverflow(page), 0, `the page scrolls sideways at ${width} px`);
};

/** Enrolls on the employee page at `base` and gets a pseudonym at once (unlinking delay 0). */
/** Signs `username` in at `base`/staff and waits for the console's navigation. */
export async function staffSignIn(page, base, username, password) {
  await page.goto(`${base}/staff`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Console' }).waitFor();
}

export async function becomePseudonym(page, base, employeeId, code, handle) {
  await page.goto(base + '/');
  await page.getByLabel('Employee ID').fill(employeeId);
  await page.getByLabel('Enrollment code').fill(code);
  await page.getByLabel('Password', { exact: true }).fill(`pw-${employeeId}-long`);
  await page.getByRole('button', { name: 'Enroll', exact: true }).click();
  await page.getByText(/Signed in on the employer side/).waitFor();
  await page.getByLabel('Handle').fill(handle);
  await page.getByRole('spinbutton', { name: 'Unlinking delay (seconds)' }).fill('0');
  await page.getByRole('button', { name: 'Get pseudonym' }).click();
  await page.getByRole('region', { name: 'Feed' }).waitFor({ timeout: 30000 });
  const notNow = page.getByRole('button', { name: 'Not now' });
  if (await notNow.count()) await notNow.click();
}

/**
 * Screenshots of the page at desktop width and at 375 px (NAME-desktop.png,
 * NAME-375.png); `check(width)` runs at each width before its screenshot. The
 * page is left at desktop width.
 */
export async function shotBoth(page, dir, name, check = async () => {}) {
  for (const [viewport, suffix] of [
    [DESKTOP, 'desktop'],
    [PHONE, '375'],
  ]) {
    await page.setViewportSize(viewport);
    await check(viewport.width);
    await page.screenshot({ path: join(dir, `${name}-${suffix}.png`), fullPage: true });
  }
  await page.setViewportSize(DESKTOP);
}

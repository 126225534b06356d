#!/usr/bin/env node
// hearth's linkage test: simulated employees drive the real server, then
// three adversaries try to link employees to pseudonyms. See README.md.
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, HEARTH_BIN } from '../integration/lib/harness.mjs';
import { Rng } from './lib/rng.mjs';
import { scheduleByName, schedules } from './lib/schedules.mjs';
import { simulate, truth, epoch } from './lib/simulate.mjs';
import { copyStores, readStores, ROCKS_DUMP } from './lib/files.mjs';
import { storeEvidence, databaseReader, logReader, proxyOperator } from './lib/adversaries.mjs';
import { accuracy } from './lib/matching.mjs';
import { chanceBound, familyQuantile } from './lib/stats.mjs';

const HELP = `usage: node tests/linkage/run.mjs [options]

Simulated employees (like the web client) drive the real \`hearth serve\`;
then three adversaries each give their best employee -> pseudonym matching
(maximum likelihood under the known delay distribution, Hungarian algorithm):
  (1) files    a reader of copies of DIR/issuer and DIR/forum (RocksDB
               sequence numbers, SST files and their times, info logs,
               file names and mtimes)
  (2) logs     the same plus the server's stdout/stderr and /metrics
               scraped every (simulated) second
  (3) proxy    an operator at the proxy who sees when each employee signed
               in and when each certify arrived (ms resolution), no
               addresses: "window" treats the delay as its distribution,
               "comb" also fits a whole-second offset (whole-second delays)
Time is compressed: operations run against the server in simulated-time
order as fast as it answers.

options:
  --n N               employees per run (default 50)
  --gap-minutes M     mean gap between arrivals, simulated (default 10)
  --seeds S           runs per configuration, seeds base..base+S-1 (default 3)
  --seed-base B       first seed (default 1)
  --schedule LIST     client schedules, comma-separated: ${Object.keys(schedules).join(', ')}
                      (default: default,old)
  --no-scrub          copy the stores without scrubbing them first
  --no-renewals       only first pseudonyms (by default the key also rotates
                      and every employee renews under the next key)
  --ids arrival|random  employee ids sort in arrival order (default) or not
  --control           the control run: zero delay, no scrub; fails unless
                      adversaries (1) and (3) link at least 80 %
  --table             the table: N = 20, 50, 200 x gaps 1, 10, 60 minutes,
                      default schedule, scrubbed unless --no-scrub (--seeds
                      runs each)
  --ci                the bounded configuration the test suite runs: a
                      control (N 30), then N 50, scrubbed: default schedule
                      at 10-minute gaps (3 runs), old schedule at 10-minute
                      gaps (2 runs) and, first pseudonyms only, at 10-second
                      gaps (2 runs)
  --keep              keep the temporary data directories
  --verbose           print each run and the findings in the files
  -h, --help          this text

Exit status: 1 if adversary (1) or (2) links more than chance plus a margin
after a scrub, or if a control run does not link; 0 otherwise. The margin
is a quantile of Binomial(runs x N, 1/N), chosen so that an adversary
without information exceeds any of the invocation's margins (two per
scrubbed configuration) at most once in a thousand invocations: with K
checks, each uses the 1 - 0.001/K quantile.
Environment: HEARTH_BIN (the server), HEARTH_ROCKS_DUMP (tests/linkage's dump tool).`;

const { values: opt } = parseArgs({
  options: {
    n: { type: 'string', default: '50' },
    'gap-minutes': { type: 'string', default: '10' },
    seeds: { type: 'string', default: '3' },
    'seed-base': { type: 'string', default: '1' },
    schedule: { type: 'string', default: 'default,old' },
    'no-scrub': { type: 'boolean', default: false },
    'no-renewals': { type: 'boolean', default: false },
    ids: { type: 'string', default: 'arrival' },
    control: { type: 'boolean', default: false },
    table: { type: 'boolean', default: false },
    ci: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (opt.help) {
  console.log(HELP);
  process.exit(0);
}

function positive(name, value, integer = true) {
  const v = Number(value);
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    console.error(`--${name} must be a positive ${integer ? 'integer' : 'number'}, not '${value}'`);
    process.exit(2);
  }
  return v;
}
if (!['arrival', 'random'].includes(opt.ids)) {
  console.error(`--ids must be arrival or random, not '${opt.ids}'`);
  process.exit(2);
}

// The server's default [forum] min_crowd, which the client's crowd rule uses.
const MIN_CROWD = 5;

// ------------------------------------------------------------ the scrub

const serverHelp = execFileSync(HEARTH_BIN, ['--help'], { encoding: 'utf8' });
const hasScrubCommand = /^\s+scrub\b/m.test(serverHelp);

// Scrubs the running server's stores: `hearth scrub` asks the running server
// to scrub now; without it, a restart (the stores scrub when they open).
async function scrub(server, obs) {
  if (hasScrubCommand) {
    execFileSync(HEARTH_BIN, ['scrub', '--data', server.data], { encoding: 'utf8' });
    return;
  }
  await server.stop();
  await server.launch();
  obs.rewatch();
}

// ------------------------------------------------------------- one run

async function oneRun({ n, gapMinutes, schedule, seed, scrubbed, ids, renewals }) {
  const rng = new Rng(seed);
  const server = await Server.start();
  const snapshot = mkdtempSync(join(tmpdir(), 'hearth-linkage-'));
  try {
    const obs = await simulate({ server, n, gapMs: gapMinutes * 60000, schedule, rng: rng.fork(), ids, minCrowd: MIN_CROWD, renewals });
    if (scrubbed) await scrub(server, obs);
    // The reader copies the stores from under the running server.
    copyStores(server.data, snapshot);
    await server.stop();
    const stores = readStores(snapshot);

    const knowledge = { gapMs: gapMinutes * 60000, schedule, minCrowd: MIN_CROWD, epoch };
    const truthMap = truth(obs);
    const score = (guess) => {
      let right = 0;
      for (const [e, p] of truthMap) if (guess.get(e) === p) right++;
      return right;
    };
    const evidence = storeEvidence(stores);
    const a1 = databaseReader({ evidence, knowledge, rng: rng.fork() });
    const handles = new Map(obs.employees.map((e) => [e.pk, e.handle]));
    const a2 = logReader({ evidence, scrapes: obs.scrapes, logs: obs.logs, handles, knowledge, rng: rng.fork() });
    const seenBy = (session, certify) => ({
      sessions: new Map(obs.employees.filter((e) => e[session] !== undefined).map((e) => [e.id, e[session]])),
      certifies: new Map(obs.employees.filter((e) => e[certify] !== undefined).map((e) => [e.pk, e[certify]])),
    });
    const phases = [seenBy('sessionEnd', 'certify'), seenBy('renewSessionEnd', 'renewCertify')];
    const a3w = proxyOperator({ phases, knowledge, rng: rng.fork(), comb: false });
    const a3c = proxyOperator({ phases, knowledge, rng: rng.fork(), comb: true });
    return {
      n,
      right: { files: score(a1.guess), logs: score(a2.guess), window: score(a3w.guess), comb: score(a3c.guess) },
      used: { files: a1.used, logs: a2.used },
      comb: a3c.fit,
      findings: evidence.findings,
    };
  } finally {
    await server.stop();
    if (opt.keep) console.log(`  kept ${server.dir} and ${snapshot}`);
    else { server.cleanup(); rmSync(snapshot, { recursive: true, force: true }); }
  }
}

// ------------------------------------------------------ configurations

const pct = (x) => `${(100 * x).toFixed(1).padStart(5)} %`;
const gapText = (minutes) => (minutes < 1 ? `${Math.round(minutes * 60)} s` : `${minutes} min`);

// Runs `seeds` runs of one configuration and pools them. `checks`: the
// chance checks the whole invocation makes (two per scrubbed configuration),
// whose margins share one false-alarm budget.
async function configuration({ n, gapMinutes, scheduleName, seeds, seedBase, scrubbed, ids, checks, renewals = !opt['no-renewals'] }) {
  const schedule = scheduleByName(scheduleName);
  const runs = [];
  for (let s = 0; s < seeds; s++) {
    const r = await oneRun({ n, gapMinutes, schedule, seed: seedBase + s, scrubbed, ids, renewals });
    runs.push(r);
    if (opt.verbose) {
      console.log(`  seed ${seedBase + s}: files ${r.right.files}/${n} (${r.used.files}), logs ${r.right.logs}/${n} (${r.used.logs}), ` +
        `proxy window ${r.right.window}/${n}, comb ${r.right.comb}/${n}` +
        (r.comb ? ` (offset ${r.comb.offsetMs.toFixed(1)} ms, spread ${r.comb.spreadMs.toFixed(1)} ms, z ${r.comb.z.toFixed(0)})` : ''));
      for (const f of r.findings) console.log(`    ${f}`);
    }
  }
  const trials = n * seeds;
  const pooled = (k) => runs.reduce((a, r) => a + r.right[k], 0);
  return {
    n, gapMinutes, scheduleName, seeds, scrubbed, trials, renewals,
    right: { files: pooled('files'), logs: pooled('logs'), window: pooled('window'), comb: pooled('comb') },
    bound: chanceBound(trials, n, familyQuantile(checks)),
    findings: [...new Set(runs.flatMap((r) => r.findings))],
    used: [...new Set(runs.flatMap((r) => [r.used.files, r.used.logs]))],
  };
}

function report(c) {
  const acc = (k) => c.right[k] / c.trials;
  console.log(`N ${c.n}, arrivals ${gapText(c.gapMinutes)} apart, schedule ${c.scheduleName}, ` +
    `${c.renewals ? 'with renewals' : 'first pseudonyms only'}, ` +
    `${c.scrubbed ? 'scrubbed' : 'not scrubbed'}, ${c.seeds} run(s): chance ${pct(1 / c.n)}, ` +
    `margin ${pct(c.bound / c.trials)} (${c.bound}/${c.trials})`);
  console.log(`  (1) files ${pct(acc('files'))}   (2) files+logs+metrics ${pct(acc('logs'))}   ` +
    `(3) proxy: window ${pct(acc('window'))}, comb ${pct(acc('comb'))}`);
}

const failures = [];

function checkScrubbed(c) {
  const leaked = [['files', '(1) files'], ['logs', '(2) files+logs+metrics']].filter(([k]) => c.right[k] > c.bound);
  for (const [k, label] of leaked) {
    failures.push(`${label} linked ${c.right[k]}/${c.trials} after a scrub (N ${c.n}, ${gapText(c.gapMinutes)}, ` +
      `${c.scheduleName}), more than chance allows (${c.bound}), from: ${c.used.join('; ')}`);
  }
  if (leaked.length) {
    console.log('  what the copied stores hold that orders or dates (over all runs):');
    for (const f of c.findings) console.log(`    ${f}`);
  }
}

function checkControl(c) {
  for (const [k, label] of [['files', '(1) files'], ['window', '(3) proxy']]) {
    if (c.right[k] < 0.8 * c.trials) {
      failures.push(`control: ${label} linked only ${c.right[k]}/${c.trials} with zero delay and no scrub: ` +
        `the adversary cannot find a link that is there`);
    }
  }
}

async function main() {
  console.log(`hearth linkage test. Time is compressed: the simulated employees' operations run against ` +
    `the real server in simulated-time order, as fast as it answers.`);
  console.log(`server ${HEARTH_BIN}; dump tool ${ROCKS_DUMP}; scrub by ` +
    `${hasScrubCommand ? '`hearth scrub` on the running server' : 'restarting the server (the stores scrub at open)'}`);
  const seeds = positive('seeds', opt.seeds);
  const seedBase = Number(opt['seed-base']);
  const ids = opt.ids;

  if (opt.ci) {
    // Arrivals minutes apart under both schedules, and seconds apart under
    // the old one without renewals (where the whole-second comb is what
    // links: the old client's renewals alone would name everyone).
    const scrubbedRuns = [['default', 10, 3, true], ['old', 10, 2, true], ['old', 1 / 6, 2, false]];
    const checks = 2 * scrubbedRuns.length;
    const control = await configuration({ n: 30, gapMinutes: 10, scheduleName: 'zero', seeds: 1, seedBase, scrubbed: false, ids, checks });
    report(control);
    checkControl(control);
    for (const [scheduleName, gapMinutes, runs, renewals] of scrubbedRuns) {
      const c = await configuration({ n: 50, gapMinutes, scheduleName, seeds: runs, seedBase, scrubbed: true, ids, checks, renewals });
      report(c);
      checkScrubbed(c);
    }
  } else if (opt.table) {
    const sizes = [20, 50, 200], gaps = [1, 10, 60];
    const checks = opt['no-scrub'] ? 1 : 2 * sizes.length * gaps.length;
    const rows = [];
    for (const n of sizes) {
      for (const gapMinutes of gaps) {
        const c = await configuration({ n, gapMinutes, scheduleName: 'default', seeds, seedBase, scrubbed: !opt['no-scrub'], ids, checks });
        report(c);
        if (c.scrubbed) checkScrubbed(c);
        rows.push(c);
      }
    }
    console.log(`\nDefault client schedule (${schedules.default.describe}), stores ${opt['no-scrub'] ? 'not ' : ''}scrubbed, ${seeds} run(s) each:\n`);
    console.log('| N | gap | chance | margin | (1) files | (2) files+logs+metrics | (3) proxy, window | (3) proxy, comb |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const c of rows) {
      const acc = (k) => pct(c.right[k] / c.trials).trim();
      console.log(`| ${c.n} | ${c.gapMinutes} min | ${pct(1 / c.n).trim()} | ${pct(c.bound / c.trials).trim()} | ` +
        `${acc('files')} | ${acc('logs')} | ${acc('window')} | ${acc('comb')} |`);
    }
  } else if (opt.control) {
    const c = await configuration({ n: positive('n', opt.n), gapMinutes: positive('gap-minutes', opt['gap-minutes'], false),
      scheduleName: 'zero', seeds, seedBase, scrubbed: false, ids, checks: 1 });
    report(c);
    checkControl(c);
  } else {
    const n = positive('n', opt.n);
    const gapMinutes = positive('gap-minutes', opt['gap-minutes'], false);
    const scrubbed = !opt['no-scrub'];
    const scheduleNames = opt.schedule.split(',').filter(Boolean);
    const checks = scrubbed ? 2 * scheduleNames.length : 1;
    for (const scheduleName of scheduleNames) {
      const c = await configuration({ n, gapMinutes, scheduleName, seeds, seedBase, scrubbed, ids, checks });
      report(c);
      if (scrubbed) checkScrubbed(c);
    }
  }

  if (failures.length) {
    console.log('\nFAILED:');
    for (const f of failures) console.log(`- ${f}`);
    process.exit(1);
  }
  console.log('\nok');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

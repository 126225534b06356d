// What a reader of the data directory has: a copy of DIR/issuer and
// DIR/forum taken while the server runs, every file's name, size and mtime,
// the text of RocksDB's info logs, and (through rocks_dump) every key
// version with its sequence number and every SST file's properties.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export const ROCKS_DUMP = process.env.HEARTH_ROCKS_DUMP
  ?? new URL('../../../build/tests/linkage/hearth_rocks_dump', import.meta.url).pathname;

const STORES = ['issuer', 'forum'];

export function copyStores(dataDir, dest) {
  for (const s of STORES) if (existsSync(join(dataDir, s))) cpSync(join(dataDir, s), join(dest, s), { recursive: true });
}

function listFiles(dir, prefix = '') {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...listFiles(p, `${prefix}${name}/`));
    else out.push({ name: `${prefix}${name}`, path: p, size: st.size, mtimeMs: st.mtimeMs });
  }
  return out;
}

// Parses rocks_dump's JSON lines into versions, files and file members.
export function dumpStore(dbDir) {
  let text;
  try {
    text = execFileSync(ROCKS_DUMP, [dbDir], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`${ROCKS_DUMP} ${dbDir} failed (${e.status ?? e.code}): ${String(e.stderr ?? '').trim()}`);
  }
  const versions = [], files = [], members = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line);
    if (r.kind === 'version') {
      versions.push({ cf: r.cf, key: Buffer.from(r.key, 'hex'), value: Buffer.from(r.value, 'hex'), seq: r.seq, type: r.type });
    } else if (r.kind === 'file') {
      files.push(r);
    } else if (r.kind === 'member') {
      members.push({ file: r.file, key: Buffer.from(r.key, 'hex') });
    }
  }
  return { versions, files, members };
}

// Everything a reader of the copied stores can gather.
export function readStores(copyDir) {
  const out = {};
  for (const s of STORES) {
    const dir = join(copyDir, s);
    if (!existsSync(dir)) continue;
    const listing = listFiles(dir);
    const infoLogs = listing.filter((f) => /^LOG(\.old\..*)?$/.test(f.name))
      .map((f) => ({ name: f.name, text: readFileSync(f.path, 'utf8') }));
    out[s] = { listing, infoLogs, ...dumpStore(dir) };
  }
  return out;
}

import { defineConfig } from 'vitest/config';
import { resolve } from 'node:path';

// Two pages: the employee client (served at /) and the staff console (served
// at /staff). Assets use absolute /assets/ paths so both locations resolve.
// The dev server forwards the API to a running `hearth serve` (HEARTH_URL).
const backend = process.env.HEARTH_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    target: 'es2022',
    modulePreload: { polyfill: false },
    sourcemap: false,
    rolldownOptions: {
      input: {
        index: resolve(import.meta.dirname, 'index.html'),
        staff: resolve(import.meta.dirname, 'staff.html'),
      },
      // sjcl (inside @cloudflare/blindrsa-ts) asks for Node's `crypto` only
      // where `module` exists, never in a browser (there it uses
      // crypto.getRandomValues), so Vite's stand-in is never reached: that one
      // notice is dropped, every other one is kept.
      onLog(level, log, handler) {
        if (log.plugin === 'rolldown:vite-resolve' && log.message.includes('Module "crypto" has been externalized') && log.message.includes('/sjcl/')) return;
        handler(level, log);
      },
    },
  },
  server: {
    proxy: {
      '/v1': { target: backend, ws: true, changeOrigin: true },
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});

// Vite builds the UI for /ui/ (the path the ckron binary serves it at);
// Vitest runs the component tests in jsdom.
import { gzipSync } from 'node:zlib';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

// Writes `<file>.gz` beside each text file where it saves bytes, so the
// server sends precompressed files without compressing on each request.
function precompress(): Plugin {
  let outDir = 'dist';
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
  return {
    name: 'ckron-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      for (const file of walk(outDir)) {
        if (!/\.(js|css|html|svg|json)$/.test(file)) continue;
        const raw = readFileSync(file);
        const gz = gzipSync(raw, { level: 9 });
        if (raw.length > 512 && gz.length < raw.length * 0.9) writeFileSync(`${file}.gz`, gz);
      }
    },
  };
}

export default defineConfig({
  base: '/ui/',
  plugins: [react(), precompress()],
  build: { target: 'es2020', sourcemap: false, reportCompressedSize: false },
  server: { proxy: { '/v1': process.env.CKRON_API ?? 'http://127.0.0.1:8080' } },
  test: { environment: 'jsdom', include: ['src/**/*.test.{ts,tsx}'], testTimeout: 20000 },
});

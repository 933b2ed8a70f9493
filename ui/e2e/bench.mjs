// The jobs page with many jobs (issue #7's benchmark): one real node with
// N jobs (default 100,000, created through /v1/restore in batches), then
// Chromium measures, from navigation, the time until the first page of
// the jobs list is on screen, and from a click on "Next", the time until
// the second page is. Prints JSON lines (median of 5 tries each).
//
//   node e2e/bench.mjs <ckron binary> [jobs]
import { chromium } from 'playwright-core';
import { startNode } from './node.mjs';

const [bin, jobsArg] = process.argv.slice(2);
const jobs = Number(jobsArg ?? 100000);
const node = await startNode(bin, 'ui-bench');
const name = (i) => `job-${String(i).padStart(6, '0')}`;
const line = (metric, value, unit) =>
  console.log(JSON.stringify({ bench: 'ui', metric, value, unit, peer: null, peer_value: null }));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

let browser;
try {
  const t0 = Date.now();
  // Restores of 500 jobs, 16 at a time: each restore proposes its jobs one
  // after another, and concurrent ones share Raft's group commits.
  const batch = 500;
  const batches = [];
  for (let start = 0; start < jobs; start += batch) batches.push(start);
  const restore = async (start) => {
    const list = [];
    for (let i = start; i < Math.min(jobs, start + batch); i++) {
      list.push({ name: name(i), schedule: '@every 24h', executor: 'shell', executor_config: { command: 'true' }, tags: { role: 'bench' } });
    }
    const form = new FormData();
    form.append('file', new Blob([JSON.stringify(list)], { type: 'application/json' }), 'jobs.json');
    const r = await fetch(`${node.base}/v1/restore`, { method: 'POST', body: form });
    if (r.status !== 200) throw new Error(`restore: ${r.status} ${await r.text()}`);
  };
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (batches.length) await restore(batches.shift());
    }),
  );
  const total = Number((await fetch(`${node.base}/v1/jobs?_start=0&_end=0`)).headers.get('x-total-count'));
  if (total !== jobs) throw new Error(`expected ${jobs} jobs, the node has ${total}`);
  console.error(`bench: ${jobs} jobs created in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  const first = [];
  const next = [];
  for (let i = 0; i < 5; i++) {
    const a = performance.now();
    await page.goto(`${node.base}/ui/jobs`);
    await page.getByRole('link', { name: name(0), exact: true }).waitFor({ timeout: 60000 });
    first.push(performance.now() - a);
    const b = performance.now();
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.getByRole('link', { name: name(25), exact: true }).waitFor({ timeout: 60000 });
    next.push(performance.now() - b);
  }
  line(`jobs_page_first_render_${jobs}_jobs`, Math.round(median(first)), 'ms');
  line(`jobs_page_next_page_${jobs}_jobs`, Math.round(median(next)), 'ms');
} finally {
  await browser?.close().catch(() => undefined);
  await node.stop();
}

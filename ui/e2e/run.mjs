// End-to-end test of the embedded UI: starts a real `ckron agent --server`
// (one node, temp data dir, free ports), drives Debian's Chromium headless
// through playwright-core, and saves a screenshot of every screen; then the
// same with auth on against a second node (e2e/auth.mjs). CKRON_E2E_ONLY=auth
// runs only that one.
//
//   node e2e/run.mjs <ckron binary> <artifacts dir>
//
// For UI work against a binary built without the UI: CKRON_UI_DIST=<vite
// build dir> serves that build at /ui/ from this script, everything else
// proxied to the node.
//
// Exit 0: all steps passed; 1: a step failed (the node's log is printed);
// 77: Chromium is not installed (CTest reports the test as skipped).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { authScenario } from './auth.mjs';
import { freePort, startNode } from './node.mjs';

const [bin, artifactsArg] = process.argv.slice(2);
const artifacts = resolve(artifactsArg ?? 'e2e-artifacts');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
if (!bin || !existsSync(bin)) {
  console.error(`usage: node e2e/run.mjs <ckron binary> <artifacts dir> (got ${bin})`);
  process.exit(2);
}
if (!existsSync(chromiumPath)) {
  console.error(`skip: ${chromiumPath} not found (tools/setup.sh installs chromium)`);
  process.exit(77);
}
mkdirSync(artifacts, { recursive: true });

const node = await startNode(bin);
let base = node.base;

// Dev only (CKRON_UI_DIST): serve a vite build at /ui/, proxy the rest to the node.
async function serveDist(distDir, nodePort) {
  const { createServer: createHttp, request } = await import('node:http');
  const port = await freePort();
  const types = { html: 'text/html', js: 'text/javascript', css: 'text/css', svg: 'image/svg+xml' };
  const server = createHttp((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/ui' || path.startsWith('/ui/')) {
      let file = join(distDir, path.slice(4));
      if (!existsSync(file) || path.endsWith('/')) file = join(distDir, 'index.html');
      res.writeHead(200, { 'Content-Type': types[file.split('.').pop()] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
      return;
    }
    const up = request({ host: '127.0.0.1', port: nodePort, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  server.unref();
  return `http://127.0.0.1:${port}`;
}

let browser;
let failed = false;
async function cleanup() {
  await browser?.close().catch(() => undefined);
  if (failed) {
    console.error('----- node log (tail) -----');
    console.error(node.logTail());
  }
  await node.stop();
}

let n = 0;
let currentPage = null;
async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    console.log(`ok ${++n} - ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    console.log(`not ok ${++n} - ${name}\n  ${String(e?.stack ?? e).split('\n').slice(0, 6).join('\n  ')}`);
    failed = true;
    await currentPage?.screenshot({ path: join(artifacts, `failed-step-${n}.png`), fullPage: true }).catch(() => undefined);
    throw e;
  }
}

const WAIT = { timeout: 20000 };
const uiBase = (n) => (process.env.CKRON_UI_DIST ? serveDist(resolve(process.env.CKRON_UI_DIST), n.http) : n.base);
const only = process.env.CKRON_E2E_ONLY ?? '';
try {
  base = await uiBase(node);
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu'] });
  if (only !== 'auth') await mainScenario();
  await authScenario({ bin, browser, step, artifacts, wait: WAIT, uiBase, setPage: (p) => (currentPage = p) });
  console.log(`screenshots in ${artifacts}`);
} catch {
  failed = true;
} finally {
  await cleanup();
}
process.exit(failed ? 1 : 0);

async function mainScenario() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  currentPage = page;
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('dialog', (d) => d.accept());
  const shot = (name) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
  const heading = (text) => page.getByRole('heading', { level: 1, name: text }).waitFor(WAIT);

  await step('GET / redirects to the UI and the dashboard shows the leader', async () => {
    if (!process.env.CKRON_UI_DIST) {
      const r = await fetch(`${base}/`, { redirect: 'manual' });
      if (r.status !== 302 || r.headers.get('location') !== '/ui/') throw new Error(`GET / → ${r.status} ${r.headers.get('location')}`);
    }
    await page.goto(process.env.CKRON_UI_DIST ? `${base}/ui/` : `${base}/`);
    await heading('Dashboard');
    await page.locator('.tile', { hasText: 'Leader' }).getByText('ui-e2e').waitFor(WAIT);
    await page.getByRole('img', { name: /Executions per day/ }).waitFor(WAIT);
    await shot('dashboard');
  });

  await step('cluster page lists the member, the leader and the Raft peers', async () => {
    await page.getByRole('link', { name: 'Cluster' }).click();
    await heading('Cluster');
    await page.getByRole('cell', { name: /ui-e2e/ }).first().waitFor(WAIT);
    await page.getByText('alive').first().waitFor(WAIT);
    await page.getByRole('table', { name: 'Raft peers' }).getByRole('row', { name: /ui-e2e.*leader/ }).waitFor(WAIT);
    await shot('cluster');
  });

  await step('the form shows the API validation error beside the schedule', async () => {
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await heading('Jobs');
    await page.getByRole('link', { name: 'New job' }).click();
    await heading('New job');
    await page.getByLabel('Name', { exact: true }).fill('e2e-job');
    await page.getByLabel('Schedule', { exact: true }).fill('not a schedule');
    await page.getByLabel('Executor config value 1').fill('echo hello; sleep 3; echo bye');
    await page.getByRole('button', { name: 'Add to Executor config' }).click();
    await page.getByLabel('Executor config key 2').fill('shell');
    await page.getByLabel('Executor config value 2').fill('true');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('.field.invalid', { has: page.getByLabel('Schedule', { exact: true }) }).locator('.field-error').waitFor(WAIT);
    const invalid = await page.getByLabel('Schedule', { exact: true }).getAttribute('aria-invalid');
    if (invalid !== 'true') throw new Error('schedule not marked invalid');
    await page.getByText(/No tags: this job will run on every alive node/).waitFor(WAIT);
    await shot('job-form-error');
  });

  await step('creating the job opens its page', async () => {
    await page.getByLabel('Schedule', { exact: true }).fill('@every 1h');
    await page.getByRole('button', { name: 'Create' }).click();
    await heading(/e2e-job/);
    await page.getByText('every 1h').first().waitFor(WAIT);
    await page.getByText(/This job has no tags/).waitFor(WAIT);
    const fires = page.getByRole('list', { name: 'Next fire times of e2e-job' });
    await fires.getByText(/ · in \d+ (min|h)$/).first().waitFor(WAIT);
    const n = await fires.getByRole('listitem').count();
    if (n !== 5) throw new Error(`${n} next fire times`);
    await shot('job');
  });

  await step('run now: the execution appears, its output arrives while it runs, then it succeeds', async () => {
    await page.getByRole('button', { name: 'Run now' }).click();
    const row = page.locator('tbody tr', { hasText: 'ui-e2e' }).first();
    await row.waitFor(WAIT);
    await row.getByRole('button', { name: 'Output' }).click();
    const out = page.locator('pre.output').first();
    await out.getByText('hello').waitFor(WAIT);
    const sawRunning = (await page.locator('.badge-running').count()) > 0;
    await shot('job-running');
    await out.getByText('bye').waitFor(WAIT);
    await page.locator('tbody .badge-success').first().waitFor(WAIT);
    console.log(`  # output seen while running: ${sawRunning}`);
    await shot('job-execution');
  });

  await step('edit the job', async () => {
    await page.getByRole('link', { name: 'Edit' }).click();
    await heading('Edit e2e-job');
    await shot('job-edit');
    await page.getByLabel('Display name').fill('E2E job');
    await page.getByRole('button', { name: 'Save' }).click();
    await heading(/E2E job/);
  });

  await step('disable the job', async () => {
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('button', { name: 'Enable' }).waitFor(WAIT);
    await page.getByText('Next run: none (disabled)').waitFor(WAIT);
  });

  await step('jobs list shows it, filtered by the server', async () => {
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await heading('Jobs');
    await page.getByRole('link', { name: 'E2E job' }).waitFor(WAIT);
    await page.getByLabel('Enabled').selectOption('false');
    await page.getByText('No jobs match.').waitFor(WAIT);
    await page.getByLabel('Enabled').selectOption('true');
    await page.getByRole('link', { name: 'E2E job' }).waitFor(WAIT);
    await shot('jobs');
  });

  await step('running and settings pages; pause and unpause', async () => {
    await page.getByRole('link', { name: 'Running' }).click();
    await heading('Running executions');
    await shot('busy');
    await page.getByRole('link', { name: 'Settings' }).click();
    await heading('Settings');
    await page.getByRole('button', { name: 'Pause submissions' }).click();
    await page.getByRole('button', { name: 'Unpause submissions' }).waitFor(WAIT);
    await shot('settings-paused');
    await page.getByRole('button', { name: 'Unpause submissions' }).click();
    await page.getByRole('button', { name: 'Pause submissions' }).waitFor(WAIT);
  });

  await step('delete the job after confirming', async () => {
    await page.goto(`${base}/ui/jobs/e2e-job`);
    await heading(/E2E job/);
    await page.getByRole('button', { name: 'Delete' }).click();
    await heading('Jobs');
    await page.getByText('No jobs match.').waitFor(WAIT);
    const r = await fetch(`${base}/v1/jobs/e2e-job`);
    if (r.status !== 404) throw new Error(`job still there: ${r.status}`);
  });

  await step('dark mode and a phone-sized screen', async () => {
    await page.getByRole('button', { name: 'Dark mode' }).click();
    await page.goto(`${base}/ui/`);
    await heading('Dashboard');
    await shot('dashboard-dark');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await heading('Jobs');
    await shot('jobs-phone');
  });

  await step('no uncaught errors in the page', async () => {
    if (consoleErrors.length) throw new Error(consoleErrors.join('\n'));
  });
  await context.close();
}

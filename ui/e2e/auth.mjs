// The end-to-end scenario with auth on (run by e2e/run.mjs, same browser):
// a second real node started with `auth-users` (the hash made by the real
// `ckron hash-secret`). The UI's files load without credentials; its first
// API call gets 401 and the sign-in dialog; a wrong password is refused
// with the server's message; the right one shows the dashboard, whose
// live event stream is read with the basic credentials; then the jobs list (tag filter), a job's next fire times, the form's live preview
// and the cluster's Raft peers all work with the stored credentials.
import { join } from 'node:path';
import { hashSecret, startNode } from './node.mjs';

const USER = 'alice';
const PASSWORD = 'wonder-land';
const NODE = 'ui-e2e-auth';

/**
 * Runs the scenario. `ctx`: { bin, browser, step, artifacts, wait, uiBase }
 * where step(name, fn) reports one step and uiBase(node) gives the URL the
 * UI is served from for that node (the node itself, or a dev proxy).
 */
export async function authScenario({ bin, browser, step, artifacts, wait, uiBase, setPage }) {
  const node = await startNode(bin, NODE, ['--auth-users', `${USER}:${hashSecret(bin, PASSWORD)}`]);
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  try {
    const base = await uiBase(node);
    const page = await context.newPage();
    setPage(page);
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // Answers to the event stream: with basic auth the UI reads it with
    // fetch() and the Authorization header (EventSource cannot send one).
    const streams = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/v1/events') streams.push({ status: r.status(), type: r.headers()['content-type'] ?? '' });
    });
    const shot = (name) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
    const heading = (text) => page.getByRole('heading', { level: 1, name: text }).waitFor(wait);
    const dialog = page.getByRole('dialog', { name: 'Sign in to ckron' });
    const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

    await step('auth on: the API refuses anonymous calls, the UI files load', async () => {
      const anon = await fetch(`${node.base}/v1/jobs`);
      if (anon.status !== 401) throw new Error(`GET /v1/jobs without credentials → ${anon.status}`);
      const ui = await fetch(`${node.base}/ui/`);
      if (ui.status !== 200) throw new Error(`GET /ui/ → ${ui.status}`);
      // A job to find later, created with the right credentials.
      const r = await fetch(`${node.base}/v1/jobs`, {
        method: 'POST',
        headers: { Authorization: basic, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          name: 'auth-job',
          schedule: '0 0 9 * * *',
          timezone: 'Asia/Tokyo',
          tags: { role: 'web:1' },
          executor: 'shell',
          executor_config: { command: 'true' },
        }),
      });
      if (r.status !== 201) throw new Error(`creating auth-job → ${r.status} ${await r.text()}`);
    });

    await step('auth on: the sign-in dialog appears', async () => {
      await page.goto(`${base}/ui/`);
      await dialog.waitFor(wait);
      await dialog.getByText(/credentials required/).waitFor(wait);
      await shot('auth-login');
    });

    await step('auth on: a wrong password is refused with a message', async () => {
      await page.getByLabel('User', { exact: true }).fill(USER);
      await page.getByLabel('Password', { exact: true }).fill('not-the-password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await dialog.getByText(/invalid user name or password/).waitFor(wait);
      await shot('auth-login-refused');
    });

    await step('auth on: the right password shows the dashboard', async () => {
      await page.getByLabel('User', { exact: true }).fill(USER);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await dialog.waitFor({ ...wait, state: 'detached' });
      await heading('Dashboard');
      await page.locator('.tile', { hasText: 'Leader' }).getByText(NODE).waitFor(wait);
      await shot('auth-dashboard');
    });

    await step('auth on: live updates stream with basic credentials', async () => {
      const deadline = Date.now() + (wait.timeout ?? 15000);
      while (!streams.some((r) => r.status === 200) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const ok = streams.find((r) => r.status === 200);
      if (!ok) throw new Error(`no 200 answer to /v1/events after sign-in: ${JSON.stringify(streams)}`);
      if (!ok.type.startsWith('text/event-stream')) throw new Error(`/v1/events answered ${ok.type}`);
    });

    await step('auth on: the jobs page lists and filters by tag', async () => {
      await page.getByRole('link', { name: 'Jobs', exact: true }).click();
      await heading('Jobs');
      await page.getByRole('link', { name: 'auth-job' }).waitFor(wait);
      await page.getByLabel('Tags').fill('role=db');
      await page.getByText('No jobs match.').waitFor(wait);
      await page.getByLabel('Tags').fill('role=web');
      await page.getByRole('link', { name: 'auth-job' }).waitFor(wait);
      if (!page.url().includes('tags=role%3Dweb')) throw new Error(`tag filter not in the URL: ${page.url()}`);
      await shot('auth-jobs-tag-filter');
    });

    await step('auth on: the job page shows its next 5 fire times in its zone', async () => {
      await page.getByRole('link', { name: 'auth-job' }).click();
      await heading(/auth-job/);
      const list = page.getByRole('list', { name: 'Next fire times of auth-job' });
      await list.waitFor(wait);
      const items = await list.getByRole('listitem').allTextContents();
      if (items.length !== 5) throw new Error(`${items.length} fire times: ${items.join(' | ')}`);
      for (const t of items) if (!/ 09:00:00 .* · in /.test(t)) throw new Error(`not 09:00 in Tokyo: ${t}`);
      await shot('auth-job-next-fires');
    });

    await step('auth on: the form previews the schedule and names a bad time zone', async () => {
      await page.goto(`${base}/ui/jobs/new`);
      await heading('New job');
      await page.getByLabel('Schedule', { exact: true }).fill('0 30 2 * * *');
      await page.getByLabel('Time zone').fill('America/New_York');
      const preview = page.getByRole('list', { name: 'Next fire times of this schedule' });
      await preview.getByText(/02:30:00/).first().waitFor(wait);
      await page.getByLabel('Time zone').fill('Mars/Olympus');
      await page.locator('.field.invalid', { has: page.getByLabel('Time zone') }).getByText(/unknown time zone "Mars\/Olympus"/).waitFor(wait);
      await shot('auth-job-form-preview');
    });

    await step('auth on: the cluster page shows the Raft peers, leader marked', async () => {
      await page.getByRole('link', { name: 'Cluster' }).click();
      await heading('Cluster');
      const peers = page.getByRole('table', { name: 'Raft peers' });
      await peers.getByRole('row', { name: new RegExp(`${NODE}.*leader`) }).waitFor(wait);
      await peers.getByText('voter').waitFor(wait);
      await shot('auth-cluster');
      if (errors.length) throw new Error(errors.join('\n'));
    });
  } catch (e) {
    console.error('----- auth node log (tail) -----');
    console.error(node.logTail());
    throw e;
  } finally {
    await context.close().catch(() => undefined);
    await node.stop();
  }
}

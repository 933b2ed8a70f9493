// Starts one real `ckron agent --server` for the browser tests and the
// benchmark: free ports, a temporary data directory, stopped by its PID.
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/**
 * Starts the node and waits until it knows a leader (GET /ready is 200; it
 * stays open with auth on). `extraArgs` go after the usual flags (e.g.
 * ['--auth-users', 'alice:<hash>']).
 */
export async function startNode(bin, name = 'ui-e2e', extraArgs = []) {
  const dir = mkdtempSync(join(tmpdir(), 'ckron-ui-'));
  const [gossip, rpc, raft, http] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const logPath = join(dir, 'node.log');
  const log = createWriteStream(logPath);
  const child = spawn(
    bin,
    ['agent', '--server', '--node-name', name, '--bind-addr', `127.0.0.1:${gossip}`, '--rpc-port', String(rpc),
      '--raft-port', String(raft), '--http-addr', `127.0.0.1:${http}`, '--data-dir', join(dir, 'data'),
      '--profile', 'local', '--bootstrap-expect', '1', ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const base = `http://127.0.0.1:${http}`;
  const node = {
    base,
    http,
    logTail: () => readFileSync(logPath, 'utf8').slice(-6000),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const exited = await Promise.race([
          new Promise((r) => child.once('exit', () => r(true))),
          new Promise((r) => setTimeout(() => r(false), 10000)),
        ]);
        if (!exited) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) {
      const tail = node.logTail();
      await node.stop();
      throw new Error(`ckron exited with ${child.exitCode}:\n${tail}`);
    }
    try {
      if ((await fetch(`${base}/ready`)).status === 200) return node;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const tail = node.logTail();
  await node.stop();
  throw new Error(`the node never became ready:\n${tail}`);
}

/** `ckron hash-secret` of `secret` at the lowest cost it accepts (tests only). */
export function hashSecret(bin, secret) {
  return execFileSync(bin, ['hash-secret', '--iterations', '1000'], { input: `${secret}\n` }).toString().trim();
}

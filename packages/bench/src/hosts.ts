/**
 * Processes on simulated hosts (netns.ts), for the tests and benches that run tutti across them:
 * each started process's output is kept (for checks, and for a failure's message), a wait names what
 * it waited for with the last lines of every process, and stopAll ends them all (SIGTERM, then
 * SIGKILL after a grace), also when a check failed.
 */
import { type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { curveKeyPair } from 'zeromq';
import type { Network } from './netns.js';

export interface HostProcess {
  host: string;
  child: ChildProcess;
  /** Every line it wrote, stdout and stderr. */
  output: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class HostProcesses {
  readonly all: HostProcess[] = [];
  #net: Network;
  #cwd: string;

  constructor(net: Network, cwd: string) {
    this.#net = net;
    this.#cwd = cwd;
  }

  start(host: string, command: string, args: string[]): HostProcess {
    const child = this.#net.spawn(host, command, args, { cwd: this.#cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const entry: HostProcess = { host, child, output: [] };
    // Lines whole: a long one (a JSON log line with a plan in it) may arrive over several chunks.
    const lines = () => {
      let partial = '';
      return (chunk: Buffer) => {
        const parts = (partial + chunk.toString()).split('\n');
        partial = parts.pop()!;
        entry.output.push(...parts.filter(Boolean));
      };
    };
    child.stdout!.on('data', lines());
    child.stderr!.on('data', lines());
    this.all.push(entry);
    return entry;
  }

  /** Every line written on `host`, by all its processes so far. */
  output(host: string): string[] {
    return this.all.filter((p) => p.host === host).flatMap((p) => p.output);
  }

  /** Waits for `condition`, or throws naming `what` with the last lines of every process. */
  async until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) {
        const tails = this.all.map((p) => `--- ${p.host}\n${p.output.slice(-15).join('\n')}`).join('\n');
        throw new Error(`timed out waiting for ${what}\n${tails}`);
      }
      await sleep(200);
    }
  }

  /** GET `url` from inside `host`'s namespace: the status, a newline, then the body ('' if it failed). */
  async fetch(host: string, url: string): Promise<string> {
    const script = `fetch(${JSON.stringify(url)}).then(async (r) => process.stdout.write(r.status + '\\n' + (await r.text())))`;
    const child = this.#net.spawn(host, process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
    await new Promise((resolve) => child.once('close', resolve));
    return text;
  }

  /** SIGTERM to every process still running, SIGKILL to those still there after `graceMs`. */
  async stopAll(graceMs = 15_000): Promise<void> {
    for (const { child } of this.all) child.kill('SIGTERM');
    await Promise.all(
      this.all.map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
  }
}

/** A CurveZMQ key pair per name, as `tutti keys` writes them: NAME.key (JSON, mode 600) and NAME.pub. */
export function writeCurveKeys(dir: string, names: readonly string[]): void {
  for (const name of names) {
    const pair = curveKeyPair();
    writeFileSync(join(dir, `${name}.key`), JSON.stringify(pair), { mode: 0o600 });
    writeFileSync(join(dir, `${name}.pub`), `${pair.publicKey}\n`);
  }
}

/**
 * `tutti serve` arguments of a head on simulated hosts: `endpoint` for clients, agents joining at
 * `agents` with the keys writeCurveKeys put in `dir` (the head's, and each agent's public key), no
 * workers of its own, JSON logs (the callers read its join lines).
 */
export function headArgs(options: {
  ensemble: string;
  endpoint: string;
  agents: string;
  dir: string;
  agentNames: readonly string[];
}): string[] {
  const { ensemble, endpoint, agents, dir, agentNames } = options;
  return [
    'serve',
    ensemble,
    '--endpoint',
    endpoint,
    '--agents',
    agents,
    '--agent-key',
    join(dir, 'head.key'),
    '--allow-agent',
    ...agentNames.map((name) => join(dir, `${name}.pub`)),
    '--no-local-workers',
    '--log-format',
    'json',
  ];
}

/** `tutti agent` arguments of agent `name` joining the head at `join`, with its keys and a cache of its own in `dir`. */
export function agentArgs(options: { name: string; join: string; dir: string }): string[] {
  const { name, dir } = options;
  return [
    'agent',
    '--join',
    options.join,
    '--key',
    join(dir, `${name}.key`),
    '--head-key',
    join(dir, 'head.pub'),
    '--cache',
    join(dir, `cache-${name}`),
    '--name',
    name,
    '--log-format',
    'json',
  ];
}

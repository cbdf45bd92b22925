/** Runs the `tutti` command as a real process, from the repository root, the way a user runs it. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TUTTI = path.join(ROOT, 'packages/cli/bin/tutti.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `timeoutMs`: past it the command is stopped (SIGTERM; its server's children follow it), so a hung run leaves nothing behind. */
export function runTutti(args: string[], env: Record<string, string> = {}, timeoutMs = 170_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TUTTI, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
      timeout: timeoutMs,
      killSignal: 'SIGTERM',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The custom rule module: it is code the server imports and runs, so it must be a file inside the
 * ensemble folder. A manifest must not be able to point it elsewhere (`../../x.js`, an absolute
 * path, or a symlink out of the folder): copying an ensemble folder around should never make the
 * server run code from outside it.
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { IssueCollector } from './issues.js';
import { show } from './messages.js';

/** True when `child` is strictly inside `folder` (both absolute). */
export function isInside(folder: string, child: string): boolean {
  const relative = path.relative(folder, child);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

/** Checks `rule.module`; returns the module's real absolute path, or undefined after adding an issue. */
export async function resolveRuleModule(module: string, dir: string, issues: IssueCollector): Promise<string | undefined> {
  const at = ['rule', 'module'];
  const outside = 'a custom rule is code the server runs, so it must live inside the ensemble folder';
  const resolved = path.resolve(dir, module);
  if (!isInside(dir, resolved)) {
    issues.add(at, `${show(module)} resolves to ${resolved}, outside the ensemble folder ${dir}; ${outside}`);
    return undefined;
  }
  let real: string;
  try {
    real = await realpath(resolved);
  } catch {
    issues.add(at, `rule module ${show(module)} not found (looked for ${resolved})`);
    return undefined;
  }
  // Lexically inside, but a symlink (of the file or of a folder on the way) may still lead out.
  if (!isInside(await realpath(dir), real)) {
    issues.add(at, `${show(module)} is a link to ${real}, outside the ensemble folder ${dir}; ${outside}`);
    return undefined;
  }
  if (!(await stat(real)).isFile()) {
    issues.add(at, `rule module ${show(module)} is not a file`);
    return undefined;
  }
  return real;
}

/** Loading an ensemble folder: the manifest's text, then its files, then the resolved Ensemble. */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { toEnsemble, type Ensemble } from './ensemble.js';
import { resolveRuleModule } from './files.js';
import { ManifestError, type ManifestIssue } from './issues.js';
import { checkMembers, type MemberAt } from './models.js';
import { analyseText } from './parse.js';
import { inputSchema, MANIFEST_FILE, memberSchema, outputSchema, ruleSchema, type ManifestDocument } from './schema.js';
import type { EnsembleIO } from './signature.js';

export interface LoadOptions {
  /**
   * Generate members' missing zoo models (`generate:` in the manifest) before checking them. Default
   * false: loading writes no file unless asked (the `tutti` commands that serve or measure ask).
   */
  generate?: boolean;
  /**
   * Check the members' model files and signatures. Default true; false skips them (and generation)
   * for callers that only need the manifest's settings, such as a client reading the endpoint.
   */
  checkModels?: boolean;
}

export type ValidationResult = { ok: true; ensemble: Ensemble } | { ok: false; source: string; issues: readonly ManifestIssue[] };

/** manifest.yaml inside a folder, or the file itself. */
async function findManifest(dirOrFile: string): Promise<string> {
  const target = path.resolve(dirOrFile);
  const found = await stat(target).catch(() => undefined);
  if (!found) throw new ManifestError(target, [{ path: '', message: `no such file or folder: ${target}` }]);
  if (!found.isDirectory()) return target;
  const manifestPath = path.join(target, MANIFEST_FILE);
  if (!(await stat(manifestPath).catch(() => undefined))?.isFile()) {
    throw new ManifestError(manifestPath, [{ path: '', message: `no ${MANIFEST_FILE} in ${target}` }]);
  }
  return manifestPath;
}

interface UsableParts {
  io: EnsembleIO | undefined;
  members: MemberAt[];
  rule: ManifestDocument['rule'] | undefined;
}

/** A member with other problems still names a model file worth checking, unless it is to be generated. */
function modelFileOnly(entry: unknown): MemberAt['member'] | undefined {
  const member = z.looseObject({ name: z.string(), path: z.string().min(1), generate: z.undefined().optional() }).safeParse(entry).data;
  return member && { name: member.name, path: member.path, weight: 1 };
}

/**
 * The sections that are valid on their own even when the manifest as a whole is not, so that file
 * and model problems are reported in the same run as schema problems.
 */
function usableParts(raw: unknown, document: ManifestDocument | undefined): UsableParts {
  if (document) {
    return { io: document, members: document.members.map((member, index) => ({ index, member })), rule: document.rule };
  }
  const fields = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const inputs = z.array(inputSchema).safeParse(fields.inputs).data;
  const outputs = z.array(outputSchema).safeParse(fields.outputs).data;
  const members = Array.isArray(fields.members) ? fields.members : [];
  return {
    io: inputs && outputs ? { inputs, outputs } : undefined,
    members: members.flatMap((entry, index) => {
      const member = memberSchema.safeParse(entry).data ?? modelFileOnly(entry);
      return member ? [{ index, member }] : [];
    }),
    rule: ruleSchema.safeParse(fields.rule).data,
  };
}

/**
 * Loads and checks an ensemble (its folder or its manifest file): the manifest, the custom rule
 * module, and every member's model file and signature. Throws ManifestError listing every problem.
 */
export async function loadManifest(dirOrFile: string, options: LoadOptions = {}): Promise<Ensemble> {
  const manifestPath = await findManifest(dirOrFile);
  const dir = path.dirname(manifestPath);
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (error) {
    throw new ManifestError(manifestPath, [{ path: '', message: `cannot read: ${(error as Error).message}` }]);
  }
  const { raw, document, issues } = analyseText(text, manifestPath);
  const parts = usableParts(raw, document);
  const rulePath = typeof parts.rule === 'object' ? await resolveRuleModule(parts.rule.module, dir, issues) : undefined;
  if (options.checkModels ?? true) {
    await checkMembers(parts.members, { dir, generate: options.generate ?? false, io: parts.io }, issues);
  }
  if (!document || issues.size > 0) throw new ManifestError(manifestPath, issues.issues);
  return toEnsemble(document, manifestPath, rulePath);
}

/** loadManifest for callers that report rather than throw (the CLI): problems come back as data. */
export async function validateEnsemble(dirOrFile: string, options: LoadOptions = {}): Promise<ValidationResult> {
  try {
    return { ok: true, ensemble: await loadManifest(dirOrFile, options) };
  } catch (error) {
    if (error instanceof ManifestError) return { ok: false, source: error.source, issues: error.issues };
    throw error;
  }
}

/**
 * The members' model files: generated from the zoo when asked for and missing, present, readable as
 * ONNX, and with a signature that fits the ensemble's inputs and outputs.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { readSignature } from '@tutti/onnx';
import { ensureZooModel } from '@tutti/zoo';
import type { IssueCollector } from './issues.js';
import type { ManifestDocument } from './schema.js';
import { compareSignature, type EnsembleIO } from './signature.js';

type Member = ManifestDocument['members'][number];

export interface MemberAt {
  /** Position in the manifest's members list. */
  index: number;
  member: Member;
}

export interface MemberCheckOptions {
  dir: string;
  /** Generate missing zoo models now; when false, a missing generated model is not a problem yet. */
  generate: boolean;
  /** The ensemble's tensors, when they passed the schema; without them signatures are only read. */
  io: EnsembleIO | undefined;
}

async function isFile(file: string): Promise<boolean | undefined> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return undefined;
  }
}

async function checkMember({ index, member }: MemberAt, options: MemberCheckOptions, issues: IssueCollector): Promise<void> {
  const report = (message: string) => issues.add(['members', index], message, member.name);
  const file = path.resolve(options.dir, member.path);
  if (member.generate && options.generate) {
    try {
      await ensureZooModel(member.generate, file);
    } catch (error) {
      report(`could not generate ${member.path} from its zoo spec: ${(error as Error).message}`);
      return;
    }
  }
  const exists = await isFile(file);
  if (exists === false) return report(`${member.path} is not a file (${file})`);
  if (exists === undefined) {
    if (member.generate) return; // generated on first use
    return report(`model file ${member.path} not found (looked for ${file})`);
  }
  let signature;
  try {
    signature = await readSignature(file);
  } catch (error) {
    return report(`cannot read ${member.path} as an ONNX model: ${(error as Error).message}`);
  }
  if (options.io) for (const problem of compareSignature(options.io, signature, member.path)) report(problem);
}

/** One member after another: generating zoo models is CPU-bound, and two members may share a file. */
export async function checkMembers(members: readonly MemberAt[], options: MemberCheckOptions, issues: IssueCollector): Promise<void> {
  for (const member of members) await checkMember(member, options, issues);
}

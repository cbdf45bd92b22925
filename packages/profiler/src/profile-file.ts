/**
 * Profile files: profiles measured on other hardware (or saved by `tutti profile --profiles`),
 * brought in to override measurement and the cost model. JSON:
 *
 *   { "version": 1, "profiles": [ { member, modelSha256, deviceName, source, memoryBytes, points }, ... ] }
 *
 * A profile applies to a member and device when its deviceName is the device's name and its
 * modelSha256 is the member's model (or, failing any such, its member name is the member's).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import type { MemberProfile } from '@tutti/allocator';
import { TuttiError } from '@tutti/protocol';
import { memberProfileSchema } from './profile-schema.js';

const fileSchema = z.strictObject({ version: z.literal(1), profiles: z.array(memberProfileSchema) });

/** Profiles keyed by member, then device id: what profileEnsemble returns. */
export type EnsembleProfiles = Record<string, Record<string, MemberProfile>>;

function flatten(profiles: EnsembleProfiles | readonly MemberProfile[]): MemberProfile[] {
  if (Array.isArray(profiles)) return [...profiles];
  const all = Object.values(profiles as EnsembleProfiles).flatMap((byDevice) => Object.values(byDevice));
  // Several devices of one name (4 identical GPUs) share one profile: keep it once.
  const seen = new Set<string>();
  return all.filter((profile) => {
    const key = `${profile.member}\u0000${profile.deviceName}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function parseProfileFile(text: string, source = 'profile file'): MemberProfile[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TuttiError('INVALID_OPTION', `${source}: not JSON: ${(error as Error).message}`);
  }
  const result = fileSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  - ${issue.path.map(String).join('.') || '(file)'}: ${issue.message}`);
    throw new TuttiError('INVALID_OPTION', `${source}: ${problems.length} problem(s):\n${problems.join('\n')}`);
  }
  return result.data.profiles;
}

export async function loadProfileFile(path: string): Promise<MemberProfile[]> {
  const text = await readFile(path, 'utf8').catch((error: Error) => {
    throw new TuttiError('INVALID_OPTION', `cannot read profile file ${path}: ${error.message}`);
  });
  return parseProfileFile(text, path);
}

/** Writes profiles (as profileEnsemble returns them, or a list) in the format loadProfileFile reads. */
export async function saveProfileFile(path: string, profiles: EnsembleProfiles | readonly MemberProfile[]): Promise<void> {
  await writeFile(path, `${JSON.stringify({ version: 1, profiles: flatten(profiles) }, null, 2)}\n`);
}

/** The profile in `candidates` for a member's model on a device name, by content first, then by member name. */
export function findProfile(
  candidates: readonly MemberProfile[],
  member: string,
  modelSha256: string,
  deviceName: string,
): MemberProfile | undefined {
  const onDevice = candidates.filter((profile) => profile.deviceName === deviceName);
  return onDevice.find((profile) => profile.modelSha256 === modelSha256) ?? onDevice.find((profile) => profile.member === member);
}

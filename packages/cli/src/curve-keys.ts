/**
 * Key files for CurveZMQ. `NAME.key` holds the key pair as JSON (keep it secret, mode 600);
 * `NAME.pub` holds the public key alone, the file to hand to the other side.
 */
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TuttiError } from '@tutti/protocol';

export interface KeyPair {
  publicKey: string;
  secretKey: string;
}

const Z85_KEY = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

export async function readKeyPair(path: string): Promise<KeyPair> {
  let pair: KeyPair;
  try {
    pair = JSON.parse(await readFile(path, 'utf8')) as KeyPair;
  } catch (error) {
    throw new TuttiError('INVALID_OPTION', `cannot read key pair ${path}: ${(error as Error).message} (make one with tutti keys)`);
  }
  if (!Z85_KEY.test(pair.publicKey ?? '') || !Z85_KEY.test(pair.secretKey ?? '')) {
    throw new TuttiError('INVALID_OPTION', `${path} is not a key pair from tutti keys (publicKey and secretKey, 40 Z85 characters each)`);
  }
  return pair;
}

export async function readPublicKey(path: string): Promise<string> {
  const key = (await readFile(path, 'utf8')).trim();
  if (!Z85_KEY.test(key)) throw new TuttiError('INVALID_OPTION', `${path} does not hold a public key (40 Z85 characters)`);
  return key;
}

/** Public keys from .pub files, or from every .pub file in the folders given. */
export async function readAllowList(paths: readonly string[]): Promise<string[]> {
  const keys: string[] = [];
  for (const path of paths) {
    if ((await stat(path)).isDirectory()) {
      for (const name of (await readdir(path)).filter((n) => n.endsWith('.pub')).sort()) keys.push(await readPublicKey(join(path, name)));
    } else keys.push(await readPublicKey(path));
  }
  return keys;
}

export async function writeKeyPair(dir: string, name: string, pair: KeyPair): Promise<{ keyFile: string; pubFile: string }> {
  const keyFile = join(dir, `${name}.key`);
  const pubFile = join(dir, `${name}.pub`);
  await writeFile(keyFile, `${JSON.stringify(pair, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await writeFile(pubFile, `${pair.publicKey}\n`, { flag: 'wx' });
  return { keyFile, pubFile };
}

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** sha256 of a file, in hex: profiles are cached and matched by model content, not by path. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

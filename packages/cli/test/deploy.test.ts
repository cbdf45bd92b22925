import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { kubernetesInvariantViolations, validateObjects, type KubeObject } from '@tutti/deploy';
import { runTutti } from './run-tutti.js';

describe('tutti deploy kubernetes', () => {
  it('writes objects that are valid and fit together, with the keys apart and private', { timeout: 60_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'tutti-deploy-'));
    try {
      const { code, stdout, stderr } = await runTutti([
        'deploy',
        'kubernetes',
        'ensembles/digits',
        '--out',
        out,
        '--namespace',
        'ml',
        '--agents',
        '3',
      ]);
      expect(code, stderr).toBe(0);
      expect(stdout).toMatch(/wrote 9 objects/);
      const read = (file: string) => parseAllDocuments(readFileSync(join(out, file), 'utf8')).map((d) => d.toJS() as KubeObject);
      const secrets = read('secrets.yaml');
      const objects = [...secrets, ...read('tutti.yaml')];
      expect(secrets.map((s) => s.kind)).toEqual(['Secret', 'Secret']);
      expect(statSync(join(out, 'secrets.yaml')).mode & 0o777).toBe(0o600);
      expect(() => validateObjects(objects)).not.toThrow();
      expect(kubernetesInvariantViolations(objects)).toEqual([]);
      expect(objects.every((o) => o.metadata.namespace === 'ml')).toBe(true);
      const agents = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'digits-agent') as KubeObject & {
        spec: { replicas: number };
      };
      expect(agents.spec.replicas).toBe(3);
      // The agents hold the head's public key, the head the agents': the pairs made now match.
      const data = (name: string) =>
        (secrets.find((s) => s.metadata.name === name) as KubeObject & { stringData: Record<string, string> }).stringData;
      expect(data('digits-agent-keys')['head.pub']!.trim()).toBe(JSON.parse(data('digits-head-keys')['head.key']!).publicKey);
      expect(data('digits-head-keys')['agent.pub']!.trim()).toBe(JSON.parse(data('digits-agent-keys')['agent.key']!).publicKey);
      expect(readFileSync(join(out, 'Dockerfile'), 'utf8')).toMatch(/ENTRYPOINT \["node", "\/app\/packages\/cli\/bin\/tutti.js"\]/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

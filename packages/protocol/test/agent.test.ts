import { describe, expect, it } from 'vitest';
import { AGENT_PROTOCOL_VERSION, decodeAgentMessage, encodeAgentMessage, type AgentMessage } from '../src/index.js';

const SHA = 'a'.repeat(64);

describe('agent messages', () => {
  it('round-trip every kind', () => {
    const messages: AgentMessage[] = [
      {
        kind: 'join',
        protocol: AGENT_PROTOCOL_VERSION,
        host: 'box-1',
        cores: 8,
        memoryBytes: 2 ** 34,
        devices: [{ id: 'cpu', kind: 'cpu', cores: 8 }],
        cached: [SHA],
      },
      { kind: 'profile', ensemble: { name: 'e' }, models: [{ member: 'a', sha256: SHA, bytes: 10 }], batchSizes: [1, 2, 4] },
      { kind: 'profiles', profiles: { a: { cpu: { member: 'a', points: [] } } } },
      { kind: 'profiles', error: 'no profiler' },
      {
        kind: 'assign',
        workers: [{ role: 'worker', shard: 'a', instance: 1 }],
        ports: { batches: 5001, results: 5002 },
        models: [{ member: 'a', sha256: SHA, bytes: 10 }],
      },
      { kind: 'fetch', sha256: SHA },
      { kind: 'model', sha256: SHA, bytes: new Uint8Array([1, 2, 3]) },
      { kind: 'beat', workers: 2 },
      { kind: 'rejoin' },
      { kind: 'refused', reason: 'why' },
    ];
    for (const message of messages) {
      const back = decodeAgentMessage(encodeAgentMessage(message));
      if (message.kind === 'model') expect([...(back as typeof message).bytes]).toEqual([1, 2, 3]);
      else expect(back).toEqual(message);
    }
  });

  it('refuses, naming the problem, what is not a well-formed agent message', () => {
    const bad: [unknown, RegExp][] = [
      [{ kind: 'nope' }, /unknown kind nope/],
      [{ kind: 'join', protocol: 'one', host: 'h', cores: 1, cached: [] }, /join message: no protocol version/],
      [{ kind: 'join', protocol: AGENT_PROTOCOL_VERSION, host: '', cores: 1, cached: [] }, /join message: no host/],
      [{ kind: 'join', protocol: AGENT_PROTOCOL_VERSION, host: 'h', cores: 1, cached: ['x'] }, /cached is not a list of sha256/],
      [{ kind: 'join', protocol: AGENT_PROTOCOL_VERSION, host: 'h', cores: 1, cached: [], devices: [{}] }, /devices is not a list/],
      [{ kind: 'profile', ensemble: {}, models: [], batchSizes: [0] }, /profile message: batchSizes is not a list/],
      [{ kind: 'profiles' }, /profiles message: neither profiles nor an error/],
      [{ kind: 'fetch', sha256: '../etc/passwd' }, /fetch message: sha256 is not a sha256/],
      [{ kind: 'assign', workers: [], models: [], ports: {} }, /assign message: ports missing/],
      [{ kind: 'model', sha256: SHA }, /model message: sha256 or bytes missing/],
    ];
    for (const [message, error] of bad) expect(() => decodeAgentMessage(encodeAgentMessage(message as AgentMessage))).toThrow(error);
    expect(() => decodeAgentMessage(new Uint8Array([0x81]))).toThrow(/does not decode/);
  });
});

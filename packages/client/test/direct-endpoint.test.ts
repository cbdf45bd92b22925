import { describe, expect, it } from 'vitest';
import { directReplyEndpoint } from '../src/client.js';

describe('directReplyEndpoint', () => {
  it('keeps the host the client reached the server by, and takes the advertised port', () => {
    expect(directReplyEndpoint('tcp://10.0.0.7:5555', 'tcp://0.0.0.0:5556')).toBe('tcp://10.0.0.7:5556');
    expect(directReplyEndpoint('tcp://server.example:5555', 'tcp://127.0.0.1:40123')).toBe('tcp://server.example:40123');
  });

  it('uses an ipc endpoint as advertised', () => {
    expect(directReplyEndpoint('ipc:///tmp/t.sock', 'ipc:///tmp/t.sock.replies')).toBe('ipc:///tmp/t.sock.replies');
  });
});

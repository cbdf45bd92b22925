import { describe, expect, it } from 'vitest';
import { decodeHeader, type ReplyHeader } from '@tutti/protocol';
import { replyMessage, splitReply } from '../../src/shared/replies.js';

describe('REPLY messages', () => {
  it('carry several parts with envelopes of different lengths, and split back exactly', () => {
    const answers = [
      { index: 0, frames: [Buffer.from('client-a'), Buffer.from('reply-0')] },
      { index: 3, frames: [Buffer.from('router-hop'), Buffer.from('client-b'), Buffer.alloc(0), Buffer.from('reply-3')] },
    ];
    const [head, ...frames] = replyMessage(9, answers, true);
    const header = decodeHeader(head!) as ReplyHeader;
    expect(header).toMatchObject({ batch: 9, parts: [0, 3], frames: [2, 4], last: true });
    const split = splitReply(header.parts, header.frames, frames);
    expect(split.map(([part, f]) => [part, f.map(String)])).toEqual([
      [0, ['client-a', 'reply-0']],
      [3, ['router-hop', 'client-b', '', 'reply-3']],
    ]);
  });
});

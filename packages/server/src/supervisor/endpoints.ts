/**
 * Endpoints derived from others, as pure string logic (no sockets: the supervisor uses it without
 * loading ZeroMQ).
 */
import { TuttiError } from '@tutti/protocol';

/**
 * Where the combiner binds for clients, from the client endpoint: the next tcp port (so a firewall
 * opens two fixed ports), any free port when the client port is chosen by the system, or the ipc
 * path with `.replies` added.
 */
export function replyEndpointOf(clientEndpoint: string): string {
  const tcp = /^tcp:\/\/(.+):(\d+|\*)$/.exec(clientEndpoint);
  if (tcp) {
    const port = tcp[2] === '*' ? 0 : Number(tcp[2]);
    if (port === 0) return `tcp://${tcp[1]}:*`;
    if (port >= 65_535)
      throw new TuttiError(
        'INVALID_OPTION',
        `client endpoint ${clientEndpoint}: its port + 1 (for direct replies) is not a port; choose a lower one`,
      );
    return `tcp://${tcp[1]}:${port + 1}`;
  }
  if (clientEndpoint.startsWith('ipc://')) return `${clientEndpoint}.replies`;
  throw new TuttiError('INVALID_OPTION', `client endpoint ${clientEndpoint}: expected tcp://host:port or ipc://path`);
}

/**
 * CurveZMQ on the client endpoint: the batcher's ROUTER is a CURVE server, and a ZAP handler lets in
 * only clients whose public key is on the allow-list (keys made with `tutti keys`). Refused clients
 * are counted and logged; to them the server simply does not answer (CURVE gives no error channel),
 * so clients keep their own timeouts.
 */
import { Router, type Socket } from 'zeromq';
import { refusedClientsTotal } from './metrics.js';
import { processLog } from './log.js';

export interface CurveConfig {
  /** The server's key pair, Z85 text (40 characters each). */
  publicKey: string;
  secretKey: string;
  /** Z85 public keys of the clients allowed in. */
  allowedClients: string[];
}

const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';

/** Z85 text of bytes whose length is a multiple of 4 (ZeroMQ RFC 32). */
export function z85Encode(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 4) {
    let value = ((bytes[i]! << 24) >>> 0) + (bytes[i + 1]! << 16) + (bytes[i + 2]! << 8) + bytes[i + 3]!;
    const chunk: string[] = [];
    for (let k = 0; k < 5; k++) {
      chunk.unshift(Z85[value % 85]!);
      value = Math.floor(value / 85);
    }
    out += chunk.join('');
  }
  return out;
}

const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';

/**
 * Answers libzmq's authentication requests (ZAP, RFC 27) in this process: CURVE clients whose key is
 * allowed get 200, everyone else 400. Must run before the CURVE socket binds.
 */
export class ZapHandler {
  #socket = new Router({ linger: 0 });
  #allowed: Set<string>;
  #onRefused: (clientKey: string, address: string) => void;
  refused = 0;

  constructor(allowedClients: readonly string[], onRefused: (clientKey: string, address: string) => void) {
    this.#allowed = new Set(allowedClients);
    this.#onRefused = onRefused;
  }

  async start(): Promise<void> {
    await this.#socket.bind(ZAP_ENDPOINT);
    void this.#loop();
  }

  async #loop(): Promise<void> {
    for await (const [routing, empty, version, requestId, , address, , mechanism, credential] of this.#socket) {
      const key = mechanism?.toString() === 'CURVE' && credential?.length === 32 ? z85Encode(credential) : '';
      const allowed = key !== '' && this.#allowed.has(key);
      if (!allowed) {
        this.refused++;
        this.#onRefused(key || `(${mechanism?.toString() ?? 'no'} mechanism)`, address?.toString() ?? '?');
      }
      await this.#socket.send([
        routing!,
        empty!,
        version!,
        requestId!,
        allowed ? '200' : '400',
        allowed ? 'OK' : 'client key not allowed',
        allowed ? key : '',
        '',
      ]);
    }
  }

  close(): void {
    this.#socket.close();
  }
}

/** Socket options that make a ROUTER a CURVE server, its clients checked by this process's ZAP handler. */
export function curveServerOptions(curve: CurveConfig): {
  curveServer: true;
  curvePublicKey: string;
  curveSecretKey: string;
  zapDomain: string;
} {
  return { curveServer: true, curvePublicKey: curve.publicKey, curveSecretKey: curve.secretKey, zapDomain: 'tutti' };
}

/**
 * Starts this process's ZAP handler for `curve`'s allow-list; each refusal is counted
 * (tutti_refused_clients_total) and logged as `<where>: refused client key ...`.
 */
export async function startZap(curve: CurveConfig, where: string): Promise<ZapHandler> {
  const zap: ZapHandler = new ZapHandler(curve.allowedClients, (key, address) => {
    refusedClientsTotal.inc();
    processLog().warn(
      { key, address, refused: zap.refused },
      `${where}: refused client key ${key} from ${address} (${zap.refused} refused so far)`,
    );
  });
  await zap.start();
  return zap;
}

/**
 * CurveZMQ between tutti's own processes when they talk over tcp (over ipc, the socket files sit in
 * a directory only the server's user can open). Keys are made per server at start and reach the
 * children over their IPC channel only: a process that does not hold them cannot complete the
 * handshake, so nothing it sends reaches a batcher, combiner or worker. Where a process also runs a
 * ZAP handler for clients, the internal client key is on its allow-list.
 */
export interface InternalCurve {
  serverPublicKey: string;
  serverSecretKey: string;
  clientPublicKey: string;
  clientSecretKey: string;
}

/** A socket that binds an internal endpoint: a CURVE server with the internal keys (no-op without them). Before bind(). */
export function internalCurveServer(socket: Socket, keys: InternalCurve | undefined): void {
  if (!keys) return;
  socket.curveServer = true;
  socket.curvePublicKey = keys.serverPublicKey;
  socket.curveSecretKey = keys.serverSecretKey;
  socket.zapDomain = 'tutti-internal';
}

/** A socket that connects to an internal endpoint: a CURVE client with the internal keys (no-op without them). Before connect(). */
export function internalCurveClient(socket: Socket, keys: InternalCurve | undefined): void {
  if (!keys) return;
  socket.curveServerKey = keys.serverPublicKey;
  socket.curvePublicKey = keys.clientPublicKey;
  socket.curveSecretKey = keys.clientSecretKey;
}

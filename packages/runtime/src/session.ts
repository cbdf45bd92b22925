/**
 * One loaded model on one device. Inputs and outputs are wire tensors (datatype, shape, little-endian
 * bytes), so a worker moves bytes from its socket to onnxruntime and back without per-element work.
 *
 * `run()` blocks the calling JS thread for the whole inference (onnxruntime-node's promise is only a
 * setImmediate around a synchronous call): callers that must stay responsive run it in a worker thread.
 */
import * as ort from 'onnxruntime-node';
import { TuttiError, bytesOf, datatypeInfo, datatypeOfOrt, viewAs, type WireTensor } from '@tutti/core';
import { sessionSettings, type SessionSettings } from './device.js';
import { providerFix } from './providers.js';

export class ModelSession {
  readonly path: string;
  readonly settings: SessionSettings;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  #session: ort.InferenceSession;

  private constructor(path: string, settings: SessionSettings, session: ort.InferenceSession) {
    this.path = path;
    this.settings = settings;
    this.#session = session;
    this.inputNames = session.inputNames;
    this.outputNames = session.outputNames;
  }

  static async load(path: string, options: Partial<SessionSettings> = {}): Promise<ModelSession> {
    const settings = sessionSettings(options);
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: settings.device.kind === 'gpu' ? [{ name: 'cuda', deviceId: settings.device.index }] : ['cpu'],
      intraOpNumThreads: settings.intraOpThreads,
      interOpNumThreads: settings.interOpThreads,
      graphOptimizationLevel: 'all',
      extra: {
        session: {
          intra_op: { allow_spinning: settings.spinning ? '1' : '0' },
          inter_op: { allow_spinning: settings.spinning ? '1' : '0' },
        },
      },
    };
    try {
      const session = await ort.InferenceSession.create(path, sessionOptions);
      return new ModelSession(path, settings, session);
    } catch (error) {
      const message = (error as Error).message;
      // On a GPU, the usual cause is the provider, not the model: say how to get it (never fall back to the CPU).
      const fix = settings.device.kind === 'gpu' ? `; ${providerFix('cuda', message)}` : '';
      throw new TuttiError('MODEL_ERROR', `cannot load ${path} on ${describeDevice(settings)}: ${message}${fix}`, { cause: error });
    }
  }

  /** Runs the model; output bytes are views over onnxruntime's result buffers (no copy). */
  async run(inputs: readonly WireTensor[]): Promise<WireTensor[]> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of inputs) {
      const info = datatypeInfo(input.datatype);
      feeds[input.name] = new ort.Tensor(
        info.ort as ort.Tensor.Type,
        viewAs(input.datatype, input.data) as ort.Tensor.DataType,
        input.shape,
      );
    }
    const results = await this.#session.run(feeds);
    return this.outputNames.map((name) => {
      const tensor = results[name]!;
      const datatype = datatypeOfOrt(tensor.type);
      if (!datatype)
        throw new TuttiError('MODEL_ERROR', `${this.path}: output "${name}" has type ${tensor.type}, which the protocol cannot carry`);
      return { name, datatype, shape: [...tensor.dims], data: bytesOf(tensor.data as ArrayBufferView) };
    });
  }

  async close(): Promise<void> {
    await this.#session.release();
  }
}

export function describeDevice(settings: SessionSettings): string {
  const where = settings.device.kind === 'cpu' ? 'cpu' : `gpu:${settings.device.index}`;
  return `${where} with ${settings.intraOpThreads} intra-op thread(s)`;
}

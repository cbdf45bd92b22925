import * as ort from 'onnxruntime-node';

/** Fails unless onnxruntime accepts the model: every model a test writes must be a valid one. */
export async function expectLoads(bytes: Uint8Array): Promise<void> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  await session.release();
}

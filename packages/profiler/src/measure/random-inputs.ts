/**
 * Input batches for measuring: random values of each input's datatype, the first (batch) axis set
 * to the batch size. Values are small and non-negative so that integer inputs used as indices or
 * token ids stay in range of most models.
 */
import { TuttiError, datatypeInfo, elementCount, type Datatype, type TensorSpec, type WireTensor } from '@tutti/protocol';

/** FP16 bit patterns 0x0000..0x3bff are the non-negative halves below 1: never NaN or infinite. */
const LARGEST_HALF_BELOW_ONE = 0x3bff;

function randomValues(datatype: Datatype, count: number): Uint8Array {
  const info = datatypeInfo(datatype);
  const bytes = new Uint8Array(count * info.bytes);
  switch (datatype) {
    case 'FP32':
    case 'FP64': {
      const values = new info.array!(bytes.buffer, 0, count) as Float32Array | Float64Array;
      for (let i = 0; i < count; i++) values[i] = Math.random();
      break;
    }
    case 'FP16': {
      const values = new Uint16Array(bytes.buffer, 0, count);
      for (let i = 0; i < count; i++) values[i] = Math.floor(Math.random() * LARGEST_HALF_BELOW_ONE);
      break;
    }
    case 'INT64':
    case 'UINT64': {
      const values = new info.array!(bytes.buffer, 0, count) as BigInt64Array | BigUint64Array;
      for (let i = 0; i < count; i++) values[i] = BigInt(Math.floor(Math.random() * 10));
      break;
    }
    default: {
      // BOOL and the narrower integers: 0 or 1 for BOOL, 0..9 for the rest.
      const values = info.array ? new info.array(bytes.buffer, 0, count) : bytes;
      const range = datatype === 'BOOL' ? 2 : 10;
      for (let i = 0; i < count; i++) values[i] = Math.floor(Math.random() * range);
    }
  }
  return bytes;
}

/** The concrete shape of an input for `batch` rows; the batch axis comes first (as manifests require). */
export function batchShape(spec: TensorSpec, batch: number): number[] {
  const shape = [batch, ...spec.shape.slice(1)];
  if (shape.some((dim) => !Number.isInteger(dim) || dim < 1)) {
    throw new TuttiError(
      'INVALID_OPTION',
      `input "${spec.name}" has shape [${spec.shape.join(', ')}]: only the first (batch) axis may be dynamic to profile it`,
    );
  }
  return shape;
}

export function randomInputs(specs: readonly TensorSpec[], batch: number): WireTensor[] {
  return specs.map((spec) => {
    const shape = batchShape(spec, batch);
    return { name: spec.name, datatype: spec.datatype, shape, data: randomValues(spec.datatype, elementCount(shape)) };
  });
}

/** The first `batch` rows of larger inputs, as views (the batch axis is first and rows are contiguous). */
export function firstRows(inputs: readonly WireTensor[], batch: number): WireTensor[] {
  return inputs.map((input) => {
    const rowBytes = input.data.byteLength / input.shape[0]!;
    return { ...input, shape: [batch, ...input.shape.slice(1)], data: input.data.subarray(0, batch * rowBytes) };
  });
}

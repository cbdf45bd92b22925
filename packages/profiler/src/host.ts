/** This host in one line, for the header of every measurement (benchmarks, bench JSON). */
import { cpus, totalmem } from 'node:os';
import * as ort from 'onnxruntime-node';

/** One line naming the machine a measurement ran on. */
export function hardwareLine(): string {
  const cpu = cpus();
  return `${cpu[0]?.model.trim()} x ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, onnxruntime-node ${ort.env.versions.node}`;
}

/**
 * The commands, in the order `tutti --help` lists them: each one's description, and how to load its
 * module. Only the command being run is loaded (with onnxruntime, ZeroMQ and the server behind it):
 * `tutti --help` and `tutti keys` do not pay for `tutti serve`.
 */
import type { Command } from 'commander';

interface CommandEntry {
  description: string;
  load: () => Promise<Command>;
}

export const COMMANDS: Record<string, CommandEntry> = {
  validate: {
    description: "check an ensemble's manifest and model files, and print what would be served",
    load: async () => (await import('./validate.js')).validateCommand(),
  },
  serve: {
    description: 'serve an ensemble: one batching process, prediction workers as the plan lays them out, one combination process',
    load: async () => (await import('./serve.js')).serveCommand(),
  },
  predict: {
    description: 'send one inference request to a running server and print the answer',
    load: async () => (await import('./predict.js')).predictCommand(),
  },
  demo: {
    description: 'serve ensembles/digits, query it with the held-out digits from concurrent clients, report accuracy and speed, stop',
    load: async () => (await import('./demo.js')).demoCommand(),
  },
  profile: {
    description: "measure each member's batch latency and memory on this host (cached), or model it for declared devices",
    load: async () => (await import('./profile.js')).profileCommand(),
  },
  allocate: {
    description: "place the members' instances on devices (worst-fit, then greedy tuning of instances, batch sizes and threads)",
    load: async () => (await import('./allocate.js')).allocateCommand(),
  },
  calibrate: {
    description: "run every member once on labelled rows and write the cascade's calibration: each stage's accuracy at each exit score",
    load: async () => (await import('./calibrate.js')).calibrateCommand(),
  },
  agent: {
    description: 'run prediction workers on this host for a head on another one (tutti serve --agents)',
    load: async () => (await import('./agent.js')).agentCommand(),
  },
  deploy: {
    description: 'render what a cluster needs to serve an ensemble: Kubernetes objects, checked against the schemas, and a Dockerfile',
    load: async () => (await import('./deploy.js')).deployCommand(),
  },
  doctor: {
    description: "what this host offers: CPU, NVIDIA GPUs, and which of onnxruntime's execution providers load (with fixes)",
    load: async () => (await import('./doctor.js')).doctorCommand(),
  },
  keys: {
    description: 'make a CurveZMQ key pair: NAME.key (secret, keep it) and NAME.pub (public, give it to the other side)',
    load: async () => (await import('./keys.js')).keysCommand(),
  },
  bench: {
    description: 'measure tutti against a naive server and the paper baseline, same inputs and hardware, through the real protocol',
    load: async () => (await import('./bench.js')).benchCommand(),
  },
};

/** The one description of `name`, for its command module and for the list in `tutti --help`. */
export function descriptionOf(name: keyof typeof COMMANDS): string {
  return COMMANDS[name]!.description;
}

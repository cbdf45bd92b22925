/**
 * Simulated hosts for tests and benches: Linux network namespaces joined by one bridge, as machines on one
 * switch. The bridge lives in a namespace of its own (the switch); each host gets a veth pair with
 * one end in its namespace (an address 10.213.N.k/24) and the other on the bridge; this process's
 * namespace joins the switch too (address .254), so a test's own client can reach every host. A
 * host is cut off by setting its port on the switch down, and comes back by setting it up.
 *
 * Needs root and `ip` (iproute2). Everything made here carries a prefix of its own and is removed
 * by remove(), which its user calls when done (it also runs on process exit).
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** Whether this process may make namespaces (root, with `ip netns`). */
export function namespacesAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export class Network {
  readonly #prefix: string;
  readonly #subnet: string;
  readonly #hosts: string[];
  #removed = false;
  readonly #onExit = () => this.remove();

  private constructor(hosts: string[]) {
    const tag = process.pid % 10_000;
    this.#prefix = `tt${tag}`;
    this.#subnet = `10.213.${tag % 250}`;
    this.#hosts = hosts;
  }

  /** Makes the switch and one namespace per host name. */
  static create(hosts: string[]): Network {
    const net = new Network(hosts);
    process.once('exit', net.#onExit);
    try {
      net.#build();
    } catch (error) {
      net.remove();
      throw error;
    }
    return net;
  }

  #ns(host: string): string {
    return `${this.#prefix}-${host}`;
  }

  #port(index: number): string {
    return `${this.#prefix}b${index}`;
  }

  #build(): void {
    const sw = this.#ns('switch');
    ip('netns', 'add', sw);
    ip('netns', 'exec', sw, 'ip', 'link', 'set', 'lo', 'up');
    ip('netns', 'exec', sw, 'ip', 'link', 'add', 'br0', 'type', 'bridge');
    ip('netns', 'exec', sw, 'ip', 'link', 'set', 'br0', 'up');
    this.#hosts.forEach((host, index) => {
      const ns = this.#ns(host);
      const inside = `${this.#prefix}h${index}`;
      ip('netns', 'add', ns);
      ip('link', 'add', inside, 'type', 'veth', 'peer', 'name', this.#port(index));
      ip('link', 'set', inside, 'netns', ns);
      ip('link', 'set', this.#port(index), 'netns', sw);
      ip('netns', 'exec', sw, 'ip', 'link', 'set', this.#port(index), 'master', 'br0', 'up');
      ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${this.address(host)}/24`, 'dev', inside);
      ip('netns', 'exec', ns, 'ip', 'link', 'set', inside, 'up');
      ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
    });
    // This process's own port on the switch: the test's client is one more host.
    const here = `${this.#prefix}r`;
    ip('link', 'add', here, 'type', 'veth', 'peer', 'name', `${this.#prefix}rb`);
    ip('link', 'set', `${this.#prefix}rb`, 'netns', sw);
    ip('netns', 'exec', sw, 'ip', 'link', 'set', `${this.#prefix}rb`, 'master', 'br0', 'up');
    ip('addr', 'add', `${this.#subnet}.254/24`, 'dev', here);
    ip('link', 'set', here, 'up');
  }

  /** The host's address on the switch. */
  address(host: string): string {
    const index = this.#hosts.indexOf(host);
    if (index < 0) throw new Error(`no host ${host} in this network`);
    return `${this.#subnet}.${index + 1}`;
  }

  /** Runs a command on `host` (in its namespace). */
  spawn(host: string, command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.#ns(host), command, ...args], options);
  }

  /** Cuts `host` off the switch (its cable pulled), or plugs it back. */
  setLink(host: string, up: boolean): void {
    ip('netns', 'exec', this.#ns('switch'), 'ip', 'link', 'set', this.#port(this.#hosts.indexOf(host)), up ? 'up' : 'down');
  }

  /** Removes every namespace and link made here. Safe to call twice. */
  remove(): void {
    if (this.#removed) return;
    this.#removed = true;
    process.off('exit', this.#onExit);
    for (const name of [...this.#hosts, 'switch'].map((h) => this.#ns(h))) {
      try {
        ip('netns', 'del', name);
      } catch {
        // Not made (a failure half-way through create).
      }
    }
    try {
      ip('link', 'del', `${this.#prefix}r`);
    } catch {
      // Gone with its peer's namespace already.
    }
  }
}

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { freePort } from '@audit/embedded';
import { waitFor } from './wait-for';

/** One server of a {@link TestNatsCluster}. */
export interface TestNatsNode {
  /** Its `server_name`, as JetStream reports leaders (`n1`, `n2`, …). */
  name: string;
  url: string;
  port: number;
  /** SIGKILL: the node is lost without a goodbye to its peers; `start` brings it back on its store. */
  kill(): Promise<void>;
  start(): Promise<void>;
  isRunning(): boolean;
}

export interface TestNatsCluster {
  nodes: TestNatsNode[];
  /** Every node's client URL, comma-separated. */
  urls: string;
  node(name: string): TestNatsNode;
  destroy(): Promise<void>;
}

/**
 * A JetStream cluster of `size` nats-servers on loopback ports, each with its own store, joined by
 * cluster routes: enough for R3 streams whose leaders move when a node is lost or steps down. Resolves
 * once JetStream answers through every node (a meta leader is elected).
 */
export async function startTestNatsCluster(size = 3): Promise<TestNatsCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'audit-nats-cluster-'));
  // One after another: free ports asked for at once could be handed out twice.
  const ports: Array<{ client: number; route: number }> = [];
  for (let i = 0; i < size; i++) ports.push({ client: await freePort(), route: await freePort() });
  const routes = ports.map((p) => `nats-route://127.0.0.1:${p.route}`).join(', ');
  const nodes = ports.map((p, i) => {
    const name = `n${i + 1}`;
    const store = path.join(dir, name);
    mkdirSync(store, { recursive: true });
    const config = path.join(dir, `${name}.conf`);
    writeFileSync(
      config,
      [
        `server_name: ${name}`,
        `listen: 127.0.0.1:${p.client}`,
        `jetstream { store_dir: "${store}" }`,
        `cluster { name: audit-test, listen: 127.0.0.1:${p.route}, routes: [${routes}] }`,
      ].join('\n'),
    );
    return new ClusterNode(name, p.client, config);
  });
  try {
    await Promise.all(nodes.map((n) => n.start()));
    for (const node of nodes) await waitForJetStream(node.url);
  } catch (error) {
    await Promise.all(nodes.map((n) => n.kill()));
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    nodes,
    urls: nodes.map((n) => n.url).join(','),
    node: (name) => {
      const found = nodes.find((n) => n.name === name);
      if (!found) throw new Error(`no node ${name} in the cluster (${nodes.map((n) => n.name).join(', ')})`);
      return found;
    },
    destroy: async () => {
      await Promise.all(nodes.map((n) => n.kill()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

class ClusterNode implements TestNatsNode {
  readonly url: string;
  private child?: ChildProcess;
  private exited: Promise<void> = Promise.resolve();
  private stderr = '';

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly config: string,
  ) {
    this.url = `nats://127.0.0.1:${port}`;
  }

  isRunning(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    const child = spawn(process.env.NATS_SERVER_BIN ?? 'nats-server', ['-c', this.config], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4_000)));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await waitFor(
      `nats-server ${this.name} to listen on ${this.port}`,
      async () => {
        if (!this.isRunning()) throw new Error(`nats-server ${this.name} exited: ${this.stderr.trim() || 'no output'}`);
        const nc = await connect({ servers: this.url, reconnect: false, timeout: 1_000 });
        await nc.close();
        return true;
      },
      15_000,
      100,
    );
  }

  async kill(): Promise<void> {
    if (this.isRunning()) this.child?.kill('SIGKILL');
    await this.exited;
  }
}

/** Waits until JetStream answers through `url`: the cluster has a meta leader and this node knows it. */
async function waitForJetStream(url: string): Promise<void> {
  const nc = await connect({ servers: url, timeout: 2_000 });
  try {
    await waitFor(
      `JetStream to answer through ${url}`,
      async () => {
        const jsm = await jetstreamManager(nc, { timeout: 2_000 });
        await jsm.getAccountInfo();
        return true;
      },
      30_000,
      250,
    );
  } finally {
    await nc.close();
  }
}

/** The `server_name` of the node leading a stream, or one of its consumers when `consumer` is given. */
export async function jetStreamLeader(jsm: JetStreamManager, stream: string, consumer?: string): Promise<string | undefined> {
  const info = consumer === undefined ? await jsm.streams.info(stream) : await jsm.consumers.info(stream, consumer);
  return info.cluster?.leader;
}

/**
 * Steps the leaders of `stream` and of its `consumers` down until `node` leads every one of them, so that
 * losing that one node moves them all at once. A step-down elects a random peer: each is retried.
 */
export async function moveLeadersTo(nc: NatsConnection, jsm: JetStreamManager, node: string, stream: string, consumers: string[]): Promise<void> {
  const targets: Array<string | undefined> = [undefined, ...consumers];
  for (const consumer of targets) {
    const subject =
      consumer === undefined ? `$JS.API.STREAM.LEADER.STEPDOWN.${stream}` : `$JS.API.CONSUMER.LEADER.STEPDOWN.${stream}.${consumer}`;
    const what = consumer === undefined ? `stream ${stream}` : `consumer ${consumer}`;
    for (let attempt = 0; ; attempt++) {
      const leader = await waitFor(`a leader of ${what}`, () => jetStreamLeader(jsm, stream, consumer), 20_000, 100);
      if (leader === node) break;
      if (attempt >= 30) throw new Error(`${what} is still led by ${leader} after ${attempt} step-downs, not by ${node}`);
      await nc.request(subject, undefined, { timeout: 5_000 }).catch(() => undefined);
      await waitFor(`${what} to elect a leader other than ${leader}`, async () => {
        const next = await jetStreamLeader(jsm, stream, consumer).catch(() => undefined);
        return next !== undefined && next !== leader;
      }, 20_000, 100);
    }
  }
}

import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { PipelinedPublisher } from '@audit/jetstream-publish';
import { HealthRegistry } from '@audit/platform';
import { MESSAGING_CONFIG, type MessagingConfig } from './config';
import { natsConnectOptions } from './nats-connect-options';
import { provisionStreams, verifyStreams } from './streams';

/**
 * The process's one NATS connection: reconnects forever, provisions (or, without the right to, checks) the streams once connected,
 * and drains on shutdown so in-flight publishes and acks are flushed.
 */
@Injectable()
export class JetStreamConnection implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(JetStreamConnection.name);
  private connection?: NatsConnection;
  private client?: JetStreamClient;
  private manager?: JetStreamManager;
  private pipelined?: PipelinedPublisher;

  constructor(
    @Inject(MESSAGING_CONFIG) private readonly config: MessagingConfig,
    private readonly health: HealthRegistry,
  ) {}

  async onModuleInit(): Promise<void> {
    this.connection = await connect({
      ...natsConnectOptions(this.config.nats),
      name: 'audit-trail',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
      waitOnFirstConnect: true,
      // Async stack traces cost ~40% of publish throughput; errors still carry their own stack.
      noAsyncTraces: true,
    });
    this.logger.log({ msg: 'connected to NATS', server: this.connection.getServer() });
    void this.watchStatus(this.connection);
    this.manager = await jetstreamManager(this.connection);
    this.client = jetstream(this.connection);
    // Acks come back under the configured inbox prefix, the only one the user may be allowed to read.
    this.pipelined = new PipelinedPublisher(this.connection, { inboxPrefix: this.config.nats.inboxPrefix, timeoutMs: this.config.publishTimeoutMs });
    if (this.config.provisionStreams) await provisionStreams(this.manager, this.config);
    else await verifyStreams(this.manager, this.config);
    this.health.register('nats', () => (this.isConnected() ? undefined : 'NATS connection is down'));
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.connection && !this.connection.isClosed()) await this.connection.drain();
    this.pipelined?.close();
  }

  get js(): JetStreamClient {
    if (!this.client) throw new Error('JetStream used before the connection was opened');
    return this.client;
  }

  /** Publishes without a request per message (see PipelinedPublisher): the hot path of ingest. */
  get publisher(): PipelinedPublisher {
    if (!this.pipelined) throw new Error('JetStream used before the connection was opened');
    return this.pipelined;
  }

  get jsm(): JetStreamManager {
    if (!this.manager) throw new Error('JetStream used before the connection was opened');
    return this.manager;
  }

  get nc(): NatsConnection {
    if (!this.connection) throw new Error('NATS used before the connection was opened');
    return this.connection;
  }

  isConnected(): boolean {
    return this.connection !== undefined && !this.connection.isClosed() && this.connected;
  }

  private connected = true;

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        this.connected = false;
        this.logger.warn({ msg: 'NATS disconnected' });
      } else if (status.type === 'reconnect') {
        this.connected = true;
        this.logger.log({ msg: 'NATS reconnected' });
      }
    }
  }
}

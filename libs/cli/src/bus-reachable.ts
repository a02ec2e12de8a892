import { connect } from '@nats-io/transport-node';
import { describe, natsConnectOptions, readMessagingConfig } from '@audit/messaging';

/** How long a command that records its changes waits for the bus before refusing. */
const BUS_WAIT_MS = 10_000;

/**
 * Refuses, before anything is written, a command whose changes must be recorded on the bus when the bus
 * cannot be reached. The services' own connection waits for the bus forever (right for a service that
 * should come up once NATS does), which would leave an operator's command hanging instead.
 */
export async function assertBusReachable(what: string): Promise<void> {
  const config = readMessagingConfig();
  try {
    const nc = await connect({ ...natsConnectOptions(config.nats), timeout: BUS_WAIT_MS, reconnect: false });
    await nc.close();
  } catch (error) {
    throw new Error(`the bus (NATS at ${config.nats.servers.join(', ')}) cannot be reached (${describe(error)}): ${what} records each change before making it, so nothing was changed`);
  }
}

import { dlqSubject, ingestSubject, STREAMS, SUBJECTS } from './subjects';

/** What one NATS user may publish and subscribe to: the `permissions` block of a nats-server user. */
export interface BusPermissions {
  publish: { allow: string[]; deny?: string[] };
  subscribe: { allow: string[]; deny?: string[] };
}

/** The services that connect to the bus, each with the durable consumers it runs. */
export const SERVICE_CONSUMERS = {
  ingest: [{ stream: STREAMS.ingest, durable: 'ingest' }],
  writer: [{ stream: STREAMS.events, durable: 'writer' }],
  projector: [{ stream: STREAMS.events, durable: 'projector' }],
  sealer: [{ stream: STREAMS.events, durable: 'sealer' }],
  exporter: [
    ...['sink-stdout', 'sink-datadog', 'sink-webhook'].map((durable) => ({ stream: STREAMS.events, durable })),
    // Ships the sealer's checkpoints to the same receivers.
    { stream: STREAMS.checkpoints, durable: 'sink-checkpoints' },
  ],
  query: [],
  retention: [],
  // Its consumers are made at run time, one per organization stream: see STREAMS_SERVICE_CONSUMERS.
  streams: [],
} as const satisfies Record<string, ReadonlyArray<{ stream: string; durable: string }>>;

export type BusService = keyof typeof SERVICE_CONSUMERS;
export const BUS_SERVICES = Object.keys(SERVICE_CONSUMERS) as BusService[];

/**
 * The streams service's consumers on AUDIT_EVENTS are named at run time (`stream-<id>`, `replay-<id>`); a
 * subject token cannot be matched by prefix, so it may use any consumer name of that stream except the
 * other services' (denied by name), delete its consumers when their stream is deleted, and list them to
 * find those of streams deleted while it was down. It reads single messages of AUDIT_EVENTS (the oldest
 * event a stream has not delivered, for its lag): no more than its consumers already read.
 */
export function streamsServicePermissions(): { allow: string[]; deny: string[] } {
  const events = STREAMS.events;
  const allow = [
    `$JS.API.CONSUMER.INFO.${events}.*`,
    `$JS.API.CONSUMER.CREATE.${events}.*`,
    `$JS.API.CONSUMER.CREATE.${events}.*.>`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${events}.*`,
    `$JS.API.CONSUMER.MSG.NEXT.${events}.*`,
    `$JS.API.CONSUMER.DELETE.${events}.*`,
    `$JS.API.CONSUMER.LIST.${events}`,
    `$JS.API.STREAM.MSG.GET.${events}`,
    `$JS.ACK.${events}.*.>`,
    'audit.dlq.*',
  ];
  const others = Object.values(SERVICE_CONSUMERS).flatMap((consumers) => consumers.map((c) => c.durable));
  const deny = others.flatMap((durable) => [
    `$JS.API.CONSUMER.*.${events}.${durable}`,
    `$JS.API.CONSUMER.*.${events}.${durable}.>`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${events}.${durable}`,
    `$JS.ACK.${events}.${durable}.>`,
    dlqSubject(durable),
  ]);
  return { allow, deny };
}

/**
 * Services that publish canonical events: ingest (every accepted event) and those that record the
 * platform's own activity (reads, exports, retention and stream changes) through ActivityRecorder. The writer,
 * the projector and emitters cannot.
 */
const PUBLISHES_EVENTS: ReadonlySet<BusService> = new Set(['ingest', 'query', 'exporter', 'retention', 'streams']);

/**
 * The live tail (`GET /v1/events/stream`, query service): ordered ephemeral consumers on AUDIT_EVENTS,
 * each filtered on one organization's events. A consumer's name is one subject token the server lets any
 * value fill, so the JetStream API subjects are allowed for every name, with the filter pinned to
 * `audit.events.<org>.>` on creation, and every service's durable denied by name: the query service can
 * never create, read from, inspect or delete the writer's, the projector's or a sink's consumer.
 */
export function liveTailPermissions(): { allow: string[]; deny: string[] } {
  const stream = STREAMS.events;
  const durables = [...new Set(BUS_SERVICES.flatMap((service) => SERVICE_CONSUMERS[service].filter((c) => c.stream === stream).map((c) => c.durable)))];
  return {
    allow: [
      `$JS.API.CONSUMER.CREATE.${stream}.*.audit.events.*.>`,
      `$JS.API.CONSUMER.MSG.NEXT.${stream}.*`,
      `$JS.API.CONSUMER.INFO.${stream}.*`,
      `$JS.API.CONSUMER.DELETE.${stream}.*`,
    ],
    deny: durables.flatMap((durable) => [
      `$JS.API.CONSUMER.CREATE.${stream}.${durable}.>`,
      `$JS.API.CONSUMER.MSG.NEXT.${stream}.${durable}`,
      `$JS.API.CONSUMER.INFO.${stream}.${durable}`,
      `$JS.API.CONSUMER.DELETE.${stream}.${durable}`,
    ]),
  };
}

/**
 * The sealer's reads for the `received-through` time it signs (libs/sealer received-through-bound.ts): one
 * ephemeral consumer per signing pass over AUDIT_EVENTS past its ack floor (the whole stream: its durable
 * reads every event anyway), and one over its own dead letters in AUDIT_DLQ, headers only (the organization
 * is in the original subject a dead letter carries), the filter pinned to `audit.dlq.sealer` on creation
 * so it reads no other consumer's dead letters. A consumer's name is one subject token any value fills, so
 * every other service's durable on those streams is denied by name, as for the live tail.
 */
export function sealerScanPermissions(): { allow: string[]; deny: string[] } {
  const { events, dlq } = STREAMS;
  const scanned: ReadonlySet<string> = new Set([events, dlq]);
  const others = BUS_SERVICES.filter((service) => service !== 'sealer').flatMap((service) =>
    SERVICE_CONSUMERS[service].filter((c) => scanned.has(c.stream)),
  );
  return {
    allow: [
      `$JS.API.CONSUMER.CREATE.${events}.*.${SUBJECTS.eventsAll}`,
      `$JS.API.CONSUMER.MSG.NEXT.${events}.*`,
      `$JS.API.CONSUMER.DELETE.${events}.*`,
      `$JS.API.CONSUMER.CREATE.${dlq}.*.${dlqSubject('sealer')}`,
      `$JS.API.CONSUMER.MSG.NEXT.${dlq}.*`,
      `$JS.API.CONSUMER.DELETE.${dlq}.*`,
    ],
    deny: others.flatMap(({ stream, durable }) => [
      `$JS.API.CONSUMER.CREATE.${stream}.${durable}.>`,
      `$JS.API.CONSUMER.MSG.NEXT.${stream}.${durable}`,
      `$JS.API.CONSUMER.DELETE.${stream}.${durable}`,
    ]),
  };
}

/** Services that run live tails. */
const TAILS_EVENTS: ReadonlySet<BusService> = new Set(['query']);

/** Where an emitter of `organizationId` receives its replies (JetStream acks): its own, so it cannot read another client's. */
export const emitterInboxPrefix = (organizationId: string): string => `_INBOX_${organizationId}`;

/** The nats-server user name of an organization's emitters, and of each service. */
export const emitterUser = (organizationId: string): string => `emitter-${organizationId}`;

/** Creating, changing or deleting streams, and everything else: the operator's provisioning user, nobody else. */
export function provisionerPermissions(): BusPermissions {
  return { publish: { allow: ['>'] }, subscribe: { allow: ['>'] } };
}

/** An emitting service of one organization: it publishes raw events on `audit.ingest.<org>` and reads its acks, nothing else. */
export function emitterPermissions(organizationId: string): BusPermissions {
  return {
    publish: { allow: [ingestSubject(organizationId)] },
    subscribe: { allow: [`${emitterInboxPrefix(organizationId)}.>`] },
  };
}

/**
 * What one service needs: the JetStream API for its own durable consumers (create, update, info, pull)
 * and their acks, its dead letters, stream info (it checks the streams at start), canonical events only
 * where it publishes them, and its reply inbox. No stream is created, changed, purged or deleted.
 */
export function servicePermissions(service: BusService): BusPermissions {
  const publish = ['$JS.API.INFO', ...Object.values(STREAMS).map((stream) => `$JS.API.STREAM.INFO.${stream}`)];
  for (const { stream, durable } of SERVICE_CONSUMERS[service]) {
    publish.push(
      `$JS.API.CONSUMER.INFO.${stream}.${durable}`,
      `$JS.API.CONSUMER.CREATE.${stream}.${durable}`,
      `$JS.API.CONSUMER.CREATE.${stream}.${durable}.>`,
      `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.${durable}`,
      `$JS.API.CONSUMER.MSG.NEXT.${stream}.${durable}`,
      `$JS.ACK.${stream}.${durable}.>`,
      dlqSubject(durable),
    );
  }
  if (PUBLISHES_EVENTS.has(service)) publish.push(SUBJECTS.eventsAll);
  // Only the sealer signs checkpoints, so only it may publish them. It reads AUDIT_EVENTS past its ack floor
  // (their receivedAt bounds the received-through time it signs: what its consumer reads) and its own dead letters.
  if (service === 'sealer') {
    const scan = sealerScanPermissions();
    publish.push(SUBJECTS.checkpointsAll);
    return { publish: { allow: [...publish, ...scan.allow], deny: scan.deny }, subscribe: { allow: ['_INBOX.>'] } };
  }
  if (service === 'streams') {
    const streams = streamsServicePermissions();
    return { publish: { allow: [...publish, ...streams.allow], deny: streams.deny }, subscribe: { allow: ['_INBOX.>'] } };
  }
  if (TAILS_EVENTS.has(service)) {
    const tail = liveTailPermissions();
    return { publish: { allow: [...publish, ...tail.allow], deny: tail.deny }, subscribe: { allow: ['_INBOX.>'] } };
  }
  return { publish: { allow: publish }, subscribe: { allow: ['_INBOX.>'] } };
}

/** Every service in one process (`npm start`, the standalone app): the union of their permissions. */
export function platformPermissions(): BusPermissions {
  const publish = new Set<string>();
  for (const service of BUS_SERVICES) for (const subject of servicePermissions(service).publish.allow) publish.add(subject);
  // The platform user runs the durables itself, so nothing is denied to it: its live tails are
  // filtered on one organization by the code that opens them.
  return { publish: { allow: [...publish] }, subscribe: { allow: ['_INBOX.>'] } };
}

/** A user of the platform's bus: its name and permissions (the password comes from wherever the deployment keeps it). */
export interface BusUser {
  user: string;
  permissions: BusPermissions;
}

/**
 * Every user of the platform's bus, for the organizations given: the provisioner, the all-in-one platform
 * user (`npm start`), one user per service, and one emitter user per organization. The embedded server,
 * the tests' servers, docker/nats-server.conf and the Helm values are all derived from this list.
 */
export function busUsers(emitterOrganizations: readonly string[]): BusUser[] {
  return [
    { user: 'provisioner', permissions: provisionerPermissions() },
    { user: 'platform', permissions: platformPermissions() },
    ...BUS_SERVICES.map((service) => ({ user: service, permissions: servicePermissions(service) })),
    ...emitterOrganizations.map((org) => ({ user: emitterUser(org), permissions: emitterPermissions(org) })),
  ];
}

/**
 * CPU per event of `decodeCanonicalEvent`, the first step of every message the writer, the projector and
 * the sinks consume (the hot path): `npm run bench:decode`. Prints µs per event for a small event and for
 * a query run with a few KB of metadata; no services are started.
 */
import { validateEvent, type AuditEvent, type AuditEventInput } from '@audit/contracts';
import { decodeCanonicalEvent, eventsSubject } from '@audit/messaging';
import { BenchResults } from './results';

const ROUNDS = Number(process.env.BENCH_DECODE_ROUNDS ?? 200_000);
const results = new BenchResults('decode');

function canonical(input: AuditEventInput, now: Date): AuditEvent {
  const result = validateEvent(input, { now });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.event;
}

function measure(label: string, event: AuditEvent): void {
  const data = new TextEncoder().encode(JSON.stringify(event));
  const envelope = { subject: eventsSubject(event.organizationId, event.actionType), storedAtMs: Date.parse(event.receivedAt) + 5 };
  const decode = decodeCanonicalEvent as (data: Uint8Array, envelope: unknown) => AuditEvent;
  for (let i = 0; i < ROUNDS / 10; i++) decode(data, envelope);
  // CPU time, not wall time: the figure should not depend on what else the shared machine runs.
  const started = process.cpuUsage();
  for (let i = 0; i < ROUNDS; i++) decode(data, envelope);
  const used = process.cpuUsage(started);
  const micros = (used.user + used.system) / ROUNDS;
  console.log(`${label}: ${micros.toFixed(2)} µs CPU per event (${data.length} bytes, ${ROUNDS} rounds)`);
  results.figure(`decodeCanonicalEvent, ${label} (${data.length} bytes)`, Math.round(micros * 100) / 100, 'µs CPU/event');
}

const now = new Date();
measure(
  'small event',
  canonical({ organizationId: 'acme', actionType: 'LOGIN', userId: 'u-1', user: { email: 'a@acme.test', userName: 'ann' }, ipAddress: '10.0.0.1', metadata: {} }, now),
);
measure(
  'query run, ~2 KB metadata',
  canonical(
    {
      organizationId: 'acme',
      actionType: 'QUERY_RUN',
      userId: 'u-1',
      ipAddress: '2001:db8::1',
      responseTimeMs: 42,
      pageName: 'Orders',
      queryName: 'listOrders',
      resourceName: 'orders_db',
      metadata: {
        query: 'select * from orders where customer_id = {{ id }} and created_at > {{ since }} order by created_at desc limit 100',
        parameters: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`p${i}`, `value number ${i} of the query`])),
        headers: Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`x-header-${i}`, `header value ${i} with some length`])),
      },
    },
    now,
  ),
);
results.note(`${ROUNDS} rounds per event, CPU time of this process`);
results.write();

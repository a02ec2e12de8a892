import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { runCliProcess, startServiceStack, waitFor, type ServiceStack, type TestDatabase } from '@audit/testing';

export { STACK_JWT_SECRET as JWT_SECRET, type ServiceStack as Stack } from '@audit/testing';

export const startStack = (extraEnv: Record<string, string> = {}): Promise<ServiceStack> => startServiceStack('standalone', extraEnv);

/** Runs the CLI as a user would and fails with its output if it did not exit 0. */
export async function cli(env: Record<string, string>, args: string[]): Promise<string> {
  const result = await runCliProcess(args, env);
  if (result.code !== 0) throw new Error(`cli ${args.join(' ')} exited with ${result.code}:\n${result.stderr}\n${result.stdout}`);
  return result.stdout;
}

/** `keys create --org <org> --json` → the key and its id. */
export async function createKey(env: Record<string, string>, org: string): Promise<{ key: string; id: string }> {
  const out = JSON.parse(await cli(env, ['keys', 'create', '--org', org, '--json'])) as { key: string; id: string; organizationId: string };
  if (out.organizationId !== org || !/^audk_/.test(out.key)) throw new Error(`unexpected keys create output: ${JSON.stringify(out)}`);
  return { key: out.key, id: out.id };
}

/** Waits until the writer stored the record of a key's creation, so counters sampled afterwards hold still. */
export async function waitForKeyRecord(db: TestDatabase, keyId: string): Promise<void> {
  await waitFor(
    `the record of key ${keyId}'s creation`,
    async () => (await db.query(`SELECT 1 FROM audit_trail_events WHERE "actionType" = 'UPDATE_ORGANIZATION' AND metadata->>'keyId' = $1`, [keyId])).length > 0,
    20_000,
    100,
  );
}

export interface HttpResult {
  status: number;
  body: {
    ids?: string[];
    error?: { code: string; message: string; details?: Array<{ path: string; reason: string; index: number }> };
  };
}

/** POST /v1/events with a JSON value (or a raw string body) and an optional ingest key. */
export async function postEvents(url: string, key: string | undefined, body: unknown, raw = false): Promise<HttpResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== undefined) headers['authorization'] = `Bearer ${key}`;
  const res = await fetch(`${url}/v1/events`, { method: 'POST', headers, body: raw ? (body as string) : JSON.stringify(body) });
  const text = await res.text();
  let parsed: HttpResult['body'];
  try {
    parsed = JSON.parse(text) as HttpResult['body'];
  } catch {
    throw new Error(`POST /v1/events answered ${res.status} with a body that is not JSON: ${text.slice(0, 500)}`);
  }
  return { status: res.status, body: parsed };
}

/** The ids of an accepted POST; fails with the answer if it was not a 202. */
export function idsOf(result: HttpResult): string[] {
  if (result.status !== 202 || !result.body.ids) throw new Error(`expected 202 with ids, got ${result.status}: ${JSON.stringify(result.body)}`);
  return result.body.ids;
}

/** Waits until the rows with these ids are in Postgres: the writer has caught up with everything published before them. */
export async function waitForRow(db: TestDatabase, ids: string | string[], timeoutMs = 20_000): Promise<void> {
  const wanted = [...new Set(Array.isArray(ids) ? ids : [ids])];
  await waitFor(
    `${wanted.length === 1 ? `event ${wanted[0]}` : `${wanted.length} events`} in audit_trail_events`,
    async () =>
      (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_trail_events WHERE id = ANY($1::uuid[])', [wanted]))[0].n === wanted.length,
    timeoutMs,
  );
}

/**
 * SQL: not one of the platform's own records of a change made with the CLI (a key created or revoked, a
 * redaction rule), which the tests' CLI calls add beside the events the tests send.
 */
export const NOT_CLI_RECORD = `NOT ("actionType" = 'UPDATE_ORGANIZATION' AND metadata->>'via' = 'cli')`;

/** The organization's stored events that were sent to it (the CLI's own records aside). */
export async function countRows(db: TestDatabase, organizationId: string): Promise<number> {
  return (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_trail_events WHERE "organizationId" = $1 AND ${NOT_CLI_RECORD}`, [organizationId]))[0].n;
}

/** Every message of a stream (subject and payload as text), read directly from JetStream. */
export async function readStream(natsUrl: string, stream: string): Promise<Array<{ seq: number; subject: string; data: string }>> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const { state } = await jsm.streams.info(stream);
    const messages: Array<{ seq: number; subject: string; data: string }> = [];
    if (state.messages === 0) return messages;
    for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
      const message = await jsm.streams.getMessage(stream, { seq });
      if (message) messages.push({ seq, subject: message.subject, data: new TextDecoder().decode(message.data) });
    }
    if (messages.length !== state.messages) throw new Error(`read ${messages.length} messages of ${stream}, expected ${state.messages}`);
    return messages;
  } finally {
    await nc.close();
  }
}

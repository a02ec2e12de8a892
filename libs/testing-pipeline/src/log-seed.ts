import type { AuditEvent } from '@audit/contracts';
import { TransparencyLogRepository, type Database, type StoredCheckpoint } from '@audit/persistence';
import { LogAppender } from '@audit/sealer';
import { parseSignerKey, signCheckpoint } from '@audit/transparency';

/**
 * Seals events straight into an organization's log in Postgres through the sealer's own appender (no
 * bus, no sealer app), in the order given, and signs a checkpoint of the tree as it then stands, with
 * `extensions` after its root hash (e.g. a `received-through` line at a time of the test's choosing, as the sealer signs one).
 */
export async function sealDirectly(database: Database, organizationId: string, events: readonly AuditEvent[], signerKey: string, extensions: string[] = []): Promise<StoredCheckpoint> {
  const log = new TransparencyLogRepository(database);
  await new LogAppender(log).append(organizationId, events);
  const signer = parseSignerKey(signerKey);
  const checkpoint = await log.signCheckpoint(organizationId, 0, (head) =>
    signCheckpoint({ origin: `audit-trail/log/${organizationId}`, size: head.size, rootHash: head.rootHash, extensions }, [signer]),
  );
  if (checkpoint === null) throw new Error(`nothing new to sign in the log of ${organizationId}`);
  return checkpoint;
}

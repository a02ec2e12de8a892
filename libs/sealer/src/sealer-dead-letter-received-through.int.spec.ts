import { eventJson, type AuditEvent } from '@audit/contracts';
import { dlqSubject, eventsSubject, MessagingModule, STREAMS } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { canonicalEvent, startTestPipeline, waitFor, type TestPipeline } from '@audit/testing';
import { generateNoteKey, parseCheckpoint, receivedThroughOf } from '@audit/transparency';
import { SealerModule } from './sealer.module';

jest.setTimeout(180_000);

const HURT = 'dl_hurt';
const FINE = 'dl_fine';

/**
 * The running sealer dead-letters a message on one organization's subject; that organization's checkpoints
 * then state no received-through time while the dead letter is in AUDIT_DLQ, and the other organization's
 * keep theirs.
 */
describe('sealer: a dead letter withholds received-through of its own organization only', () => {
  let pipeline: TestPipeline;

  beforeAll(async () => {
    pipeline = await startTestPipeline('sealer_dead_letter_through', [MessagingModule, PersistenceModule, SealerModule], {
      SEAL_INTERVAL: '300ms',
      SEAL_RECEIVED_MARGIN: '2s',
      SEAL_PRIVATE_KEY: generateNoteKey('audit.test').signerKey,
    });
  });

  afterAll(async () => {
    await pipeline?.close();
  });

  const publish = async (events: readonly AuditEvent[]): Promise<void> => {
    for (const e of events) await pipeline.bus.js.publish(eventsSubject(e.organizationId, e.actionType), eventJson(e), { msgID: e.id });
  };
  const login = (organizationId: string) => canonicalEvent({ organizationId, actionType: 'LOGIN', userId: 'u-1' });

  /** The latest checkpoint of at least `size` leaves, and the received-through time it states (null for none). */
  const checkpointOf = (organizationId: string, size: number) =>
    waitFor(`a checkpoint of ${size} leaves of ${organizationId}`, async () => {
      const [row] = await pipeline.db.query<{ treeSize: string; note: string }>(
        `SELECT "treeSize", note FROM log_checkpoints WHERE "organizationId" = $1 ORDER BY "treeSize" DESC LIMIT 1`,
        [organizationId],
      );
      if (!row || Number(row.treeSize) < size) return undefined;
      return { size: Number(row.treeSize), through: receivedThroughOf(parseCheckpoint(row.note.slice(0, row.note.indexOf('\n\n') + 1))) };
    }, 30_000);

  it('leaves the line out of the dead-lettered organization only, and brings it back once the dead letter is gone', async () => {
    await publish([login(HURT), login(FINE)]);
    expect((await checkpointOf(HURT, 1)).through).not.toBeNull();
    expect((await checkpointOf(FINE, 1)).through).not.toBeNull();

    // No event can be made of it: the sealer (and every projection) dead-letters it, naming its subject.
    await pipeline.bus.js.publish(eventsSubject(HURT, 'LOGIN'), 'not an event');
    await waitFor('the sealer dead letter', async () => {
      const info = await pipeline.bus.jsm.streams.info(STREAMS.dlq, { subjects_filter: dlqSubject('sealer') });
      return (info.state.subjects?.[dlqSubject('sealer')] ?? 0) === 1;
    }, 30_000);

    await publish([login(HURT), login(FINE)]);
    expect(await checkpointOf(HURT, 2)).toEqual({ size: 2, through: null });
    const fine = await checkpointOf(FINE, 2);
    expect(fine.size).toBe(2);
    expect(fine.through).not.toBeNull();

    // Replayed or accounted for by an operator: the dead letter leaves AUDIT_DLQ.
    await pipeline.bus.jsm.streams.purge(STREAMS.dlq, { filter: dlqSubject('sealer') });
    await publish([login(HURT)]);
    expect((await checkpointOf(HURT, 3)).through).not.toBeNull();
  });
});

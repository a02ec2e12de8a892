/**
 * CPU per event of what the sealer makes of each event before Postgres: its leaf material (salt,
 * commitment, leaf bytes and hash; `leafMaterialOf`), over demo events decoded from JSON as the bus
 * delivers them: `npm run bench:leaf`. No services are started, so the figure is steadier than
 * bench:seal-cpu's for comparing one change to this step (BENCH_LEAF_EVENTS, default 20000, sealed
 * BENCH_LEAF_ROUNDS times, default 15; the garbage collector's work is in the figure).
 */
import { randomBytes } from 'node:crypto';
import { demoEvents } from '@audit/cli';
import { validateBatch, type AuditEvent } from '@audit/contracts';
import { leafMaterialOf, SALT_BYTES } from '@audit/sealer';

const N = Number(process.env.BENCH_LEAF_EVENTS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_LEAF_ROUNDS ?? 15);

const now = new Date();
const texts: string[] = [];
const inputs = demoEvents('bench-leaf', N, { now, spanMs: 3_600_000, seed: 7 });
for (let i = 0; i < inputs.length; i += 1000) {
  const result = validateBatch(inputs.slice(i, i + 1000), { now });
  if (!result.ok) throw new Error('demo events are not valid');
  for (const event of result.events) texts.push(JSON.stringify(event));
}

/** Seals every event once, each parsed anew (a fresh object, as a delivery gives); returns a checksum so nothing is optimised away. */
function round(): number {
  const events = texts.map((t) => JSON.parse(t) as AuditEvent);
  const salts = randomBytes(SALT_BYTES * events.length);
  let check = 0;
  for (let i = 0; i < events.length; i++) check ^= leafMaterialOf(events[i], salts.subarray(i * SALT_BYTES, (i + 1) * SALT_BYTES)).leafHash[0];
  return check;
}

for (let r = 0; r < 3; r++) round();
const parseOnly = process.cpuUsage();
for (let r = 0; r < ROUNDS; r++) texts.map((t) => JSON.parse(t) as AuditEvent);
const parseMicros = (process.cpuUsage(parseOnly).user + process.cpuUsage(parseOnly).system) / (ROUNDS * N);
const started = process.cpuUsage();
let check = 0;
for (let r = 0; r < ROUNDS; r++) check ^= round();
const used = process.cpuUsage(started);
const micros = (used.user + used.system) / (ROUNDS * N) - parseMicros;
console.log(`leafMaterialOf: ${micros.toFixed(2)} µs CPU per event beyond JSON.parse (${parseMicros.toFixed(2)}), ${N} events × ${ROUNDS} (checksum ${check})`);

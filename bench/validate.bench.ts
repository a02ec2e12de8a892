/**
 * CPU per event of `validateEvent`, ingest's first step for every event: `npm run bench:validate`.
 * Validates the same 20,000 demo events (every action type, realistic metadata) for 30 rounds and prints
 * the median round's µs of CPU per event; no services are started.
 *
 * `BENCH_VALIDATE_BASELINE=<file exporting validateEvent>` measures that one too, in the same process with
 * rounds interleaved, so an older validator (a copy of it beside validate.ts) can be compared fairly on a
 * shared machine.
 */
import path from 'node:path';
import { validateEvent, type EventValidationResult, type ValidateOptions } from '@audit/contracts';
import { demoEvents } from '@audit/cli';
import { BenchResults } from './results';

type Validate = (input: unknown, opts: ValidateOptions) => EventValidationResult;

const EVENTS = Number(process.env.BENCH_VALIDATE_EVENTS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_VALIDATE_ROUNDS ?? 30);

const now = new Date();
const inputs = demoEvents('acme', EVENTS, { now, seed: 7 });
const opts = { now };

/** CPU µs per event of one round. */
function round(validate: Validate): number {
  const started = process.cpuUsage();
  for (const input of inputs) {
    if (!validate(input, opts).ok) throw new Error('a demo event was refused');
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / inputs.length;
}

const candidates: Array<[string, Validate]> = [['validateEvent', validateEvent]];
const baseline = process.env.BENCH_VALIDATE_BASELINE;
if (baseline) {
  const mod = require(path.resolve(baseline)) as { validateEvent: Validate };
  candidates.push(['baseline', mod.validateEvent]);
}

const samples = new Map<string, number[]>(candidates.map(([label]) => [label, []]));
for (const [, validate] of candidates) round(validate); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  for (const [label, validate] of candidates) samples.get(label)?.push(round(validate));
}
for (const [label, values] of samples) {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(`${label}: ${median.toFixed(2)} µs CPU per event (median of ${ROUNDS} rounds of ${inputs.length} events; best ${sorted[0].toFixed(2)})`);
}
const results = new BenchResults('validate');
const medianOf = (label: string): number => [...(samples.get(label) ?? [])].sort((a, b) => a - b)[Math.floor(ROUNDS / 2)];
results.figure(
  'validateEvent, demo events of every action type',
  Math.round(medianOf('validateEvent') * 100) / 100,
  'µs CPU/event',
  baseline ? { name: `baseline validator (${baseline})`, value: Math.round(medianOf('baseline') * 100) / 100, unit: 'µs CPU/event' } : undefined,
);
results.note(`median of ${ROUNDS} rounds of ${inputs.length} events, CPU time of this process`);
results.write();

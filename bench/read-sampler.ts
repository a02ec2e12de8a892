/**
 * An administrator's reads on a fixed schedule, timed from a process of its own (as http-sampler.ts,
 * and for the same reason: the bench process's load generator must not be timed with them). Every
 * `intervalMs` each read is sent, whether or not its previous answer came back (a slow answer must not
 * thin the samples taken while the server is slow), for `durationMs`.
 *
 * The sampler shares the machine's cores with the services and the bench's load generator, where an
 * administrator's browser would not: a sample ends when this process's thread runs to read the answer's
 * last byte, so while it waits for a core the wait is counted as the service's. Unless `raised` is false,
 * its main thread takes the niceness the services give their HTTP threads (READS_THREAD_NICENESS, needs
 * CAP_SYS_NICE), and it reports what it ran at and how long it waited for a core (schedstat) and how late
 * its event loop was (the client-side share of the samples), so a run says whether the client was late.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, get as httpGet } from 'node:http';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { READS_THREAD_NICENESS, setMainThreadNiceness, threadNiceness } from '@audit/platform';

export interface ReadJob {
  base: string;
  headers: Record<string, string>;
  intervalMs: number;
  durationMs: number;
  reads: Array<{ name: string; path: string }>;
  /** Raise the sampler's main thread to READS_THREAD_NICENESS (default true). */
  raised?: boolean;
}

export interface ReadSamples {
  name: string;
  /** Milliseconds from sending each request to the last byte of its 200 answer. */
  samples: number[];
  /** Answers that were not 200, or failed: any is a defect of the run. */
  failures: string[];
}

/** The sampler's own process over the job: what it ran at and how much of the samples' time was its own waiting. */
export interface SamplerClient {
  /** The niceness its main thread ran at. */
  niceness: number;
  /** Why it was not raised when asked (not permitted, another system); undefined when raised or not asked. */
  notRaised?: string;
  /** Milliseconds its main thread waited for a core (runnable, not running) over the job (/proc schedstat). */
  waitedForCoreMs: number;
  /** Its event loop's delay p99 and maximum over the job, milliseconds (perf_hooks, 1 ms resolution). */
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
}

export interface ReadRun {
  reads: ReadSamples[];
  client: SamplerClient;
}

/** Runs the job in a fresh Node process and returns its samples, read by read, and the sampler's own figures. */
export function sampleReadsEvery(job: ReadJob): Promise<ReadRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, '../scripts/run.js'), 'bench/read-sampler.ts', '--child'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`the read sampler exited with ${code}`));
      else resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as ReadRun);
    });
    child.stdin.end(JSON.stringify(job));
  });
}

function timedGet(url: string, headers: Record<string, string>, agent: Agent): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent, headers }, (res) => {
      res.on('data', () => undefined);
      res.on('error', reject);
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`GET ${url} answered ${res.statusCode}`))));
    });
    req.on('error', reject);
  });
}

/** Nanoseconds the main thread of this process has waited on a run queue so far (schedstat's second field); 0 where unknown. */
function waitedForCoreNs(): number {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[1]);
  } catch {
    return 0;
  }
}

async function runJob(job: ReadJob): Promise<ReadRun> {
  const notRaised = job.raised === false ? undefined : setMainThreadNiceness(READS_THREAD_NICENESS);
  const results = job.reads.map((read) => ({ ...read, samples: [] as number[], failures: [] as string[], agent: new Agent({ keepAlive: true }) }));
  const pending: Array<Promise<void>> = [];
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const waitedBefore = waitedForCoreNs();
  const started = performance.now();
  for (let tick = 0; performance.now() - started < job.durationMs; tick++) {
    for (const r of results) {
      pending.push(
        timedGet(`${job.base}${r.path}`, job.headers, r.agent).then(
          (ms) => void r.samples.push(ms),
          (error: unknown) => void r.failures.push(String(error)),
        ),
      );
    }
    const next = started + (tick + 1) * job.intervalMs;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
  }
  await Promise.all(pending);
  delay.disable();
  for (const r of results) r.agent.destroy();
  const client: SamplerClient = {
    niceness: threadNiceness().thread,
    notRaised,
    waitedForCoreMs: (waitedForCoreNs() - waitedBefore) / 1e6,
    eventLoopP99Ms: delay.percentile(99) / 1e6,
    eventLoopMaxMs: delay.max / 1e6,
  };
  return { reads: results.map(({ name, samples, failures }) => ({ name, samples, failures: failures.slice(0, 5) })), client };
}

if (process.argv.includes('--child')) {
  const input: Buffer[] = [];
  process.stdin.on('data', (chunk: Buffer) => input.push(chunk));
  process.stdin.on('end', () => {
    runJob(JSON.parse(Buffer.concat(input).toString('utf8')) as ReadJob)
      .then((results) => process.stdout.write(JSON.stringify(results)))
      .catch((error: unknown) => {
        console.error(error);
        process.exit(1);
      });
  });
}

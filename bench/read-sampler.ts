/**
 * An administrator's reads on a fixed schedule, timed from a process of its own (as http-sampler.ts,
 * and for the same reason: the bench process's load generator must not be timed with them). Every
 * `intervalMs` each read is sent, whether or not its previous answer came back (a slow answer must not
 * thin the samples taken while the server is slow), for `durationMs`.
 */
import { spawn } from 'node:child_process';
import { Agent, get as httpGet } from 'node:http';
import path from 'node:path';

export interface ReadJob {
  base: string;
  headers: Record<string, string>;
  intervalMs: number;
  durationMs: number;
  reads: Array<{ name: string; path: string }>;
}

export interface ReadSamples {
  name: string;
  /** Milliseconds from sending each request to the last byte of its 200 answer. */
  samples: number[];
  /** Answers that were not 200, or failed: any is a defect of the run. */
  failures: string[];
}

/** Runs the job in a fresh Node process and returns its samples, read by read. */
export function sampleReadsEvery(job: ReadJob): Promise<ReadSamples[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, '../scripts/run.js'), 'bench/read-sampler.ts', '--child'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`the read sampler exited with ${code}`));
      else resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as ReadSamples[]);
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

async function runJob(job: ReadJob): Promise<ReadSamples[]> {
  const results = job.reads.map((read) => ({ ...read, samples: [] as number[], failures: [] as string[], agent: new Agent({ keepAlive: true }) }));
  const pending: Array<Promise<void>> = [];
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
  for (const r of results) r.agent.destroy();
  return results.map(({ name, samples, failures }) => ({ name, samples, failures: failures.slice(0, 5) }));
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

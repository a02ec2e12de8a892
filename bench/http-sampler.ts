/**
 * Times GET requests from a plain client in a process of its own. A benchmark process holds its data
 * generator and hundreds of MB of heap: its garbage collector (and the helper threads it runs beside
 * the server on a 2-core machine) would be timed with every request it sends, as a real client's would
 * not. `sampleGets` runs this file as a child, hands it the job on stdin and reads the samples back.
 */
import { spawn } from 'node:child_process';
import { Agent, get as httpGet } from 'node:http';
import path from 'node:path';

export interface GetJob {
  base: string;
  headers: Record<string, string>;
  warmups: number;
  reps: number;
  requests: Array<{ name: string; path: string }>;
}

export interface GetSamples {
  name: string;
  /** Milliseconds from sending each measured request to its parsed JSON body. */
  samples: number[];
  /** The last answer, parsed. */
  body: unknown;
}

/** Runs the job in a fresh Node process and returns its samples, request by request. */
export function sampleGets(job: GetJob): Promise<GetSamples[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, '../scripts/run.js'), 'bench/http-sampler.ts', '--child'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`the HTTP sampler exited with ${code}`));
      else resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as GetSamples[]);
    });
    child.stdin.end(JSON.stringify(job));
  });
}

// One kept-alive connection, as the console holds one to its origin; node:http costs the client a
// fraction of what fetch does (a 30-day hourly series is 1.2 MB), so the figures are the server's.
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** A GET's JSON body, over `via` (one kept-alive connection by default); any status but 200 rejects with the body. */
export function getJson(url: string, headers: Record<string, string>, via: Agent = agent): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent: via, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(`GET ${url} answered ${res.statusCode}: ${body.slice(0, 500)}`));
        else resolve(JSON.parse(body));
      });
    });
    req.on('error', reject);
  });
}

async function runJob(job: GetJob): Promise<GetSamples[]> {
  const results: GetSamples[] = [];
  for (const request of job.requests) {
    const samples: number[] = [];
    let body: unknown;
    for (let i = 0; i < job.warmups + job.reps; i++) {
      const t = performance.now();
      body = await getJson(`${job.base}${request.path}`, job.headers);
      if (i >= job.warmups) samples.push(performance.now() - t);
    }
    results.push({ name: request.name, samples, body });
  }
  agent.destroy();
  return results;
}

if (process.argv.includes('--child')) {
  const input: Buffer[] = [];
  process.stdin.on('data', (chunk: Buffer) => input.push(chunk));
  process.stdin.on('end', () => {
    runJob(JSON.parse(Buffer.concat(input).toString('utf8')) as GetJob)
      .then((results) => process.stdout.write(JSON.stringify(results)))
      .catch((error: unknown) => {
        console.error(error);
        process.exit(1);
      });
  });
}

/**
 * The one writer of a benchmark's machine-readable figures: `bench/results/<bench>.json`, read by the script
 * that renders docs/performance.md. Every bench calls {@link writeBenchResults} once, at its end.
 */
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** One measured figure; `baseline` is the same figure measured for the raw limit or older code it is compared with. */
export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
}

/** The file's shape (one per bench, overwritten by each run). */
export interface BenchResults {
  bench: string;
  /** The commit measured (`git rev-parse HEAD`), with `+dirty` when the work tree had changes. */
  commit: string;
  machine: { cores: number; memoryGiB: number; loadavg: [number, number, number] };
  startedAt: string;
  figures: BenchFigure[];
  notes: string[];
}

/** The state of the machine now: to be taken when a bench starts, so `loadavg` says what else was running. */
export function machineNow(): BenchResults['machine'] {
  const [one, five, fifteen] = os.loadavg();
  return { cores: os.cpus().length, memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10, loadavg: [one, five, fifteen] };
}

/** `git rev-parse HEAD` of the workspace, `+dirty` when it has uncommitted changes, `unknown` outside git. */
export function currentCommit(root = path.resolve(__dirname, '..')): string {
  try {
    const head = execSync('git rev-parse --short=12 HEAD', { cwd: root }).toString().trim();
    const dirty = execSync('git status --porcelain --untracked-files=no', { cwd: root }).toString().trim() !== '';
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

/** Writes `bench/results/<bench>.json` (or under `BENCH_RESULTS_DIR`) and returns its path. */
export function writeBenchResults(results: Omit<BenchResults, 'commit'> & { commit?: string }): string {
  const dir = process.env.BENCH_RESULTS_DIR ?? path.resolve(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${results.bench}.json`);
  const body: BenchResults = {
    bench: results.bench,
    commit: results.commit ?? currentCommit(),
    machine: results.machine,
    startedAt: results.startedAt,
    figures: results.figures,
    notes: results.notes,
  };
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}

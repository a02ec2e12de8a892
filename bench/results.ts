/**
 * Machine-readable output of every benchmark: `bench/results/<bench>.json`, one file per bench, the
 * latest run. `npm run bench:report` turns them into docs/performance.md, so the published figures are
 * exactly what a run printed, with the command, commit and machine that printed them.
 */
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';

/** One measured figure; `baseline` is the raw floor measured in the same run (plain SQL, COPY, idle). */
export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number; unit: string };
}

export interface BenchMachine {
  cores: number;
  memoryGiB: number;
  /** 1, 5 and 15-minute load averages when the run ended: other work on a shared machine shows here. */
  loadavg: [number, number, number];
}

export interface BenchResult {
  /** The bench's name as in `npm run bench:<bench>`. */
  bench: string;
  /** The command that printed the figures, arguments included. */
  command: string;
  commit: string;
  machine: BenchMachine;
  /** ISO-8601 time the run started. */
  startedAt: string;
  figures: BenchFigure[];
  /** What a reader needs to judge the figures: data sizes, the machine's load during the run, caveats. */
  notes: string[];
}

export const RESULTS_DIR = path.join(__dirname, 'results');

/** The current commit, `+dirty` when the work tree has changes (figures of uncommitted code say so). */
export function currentCommit(): string {
  try {
    const sha = execSync('git rev-parse --short=12 HEAD', { cwd: __dirname, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    // The benches' own outputs (results, the published page) do not make the code that ran dirty.
    const dirty = execSync("git status --porcelain --untracked-files=no -- . ':!bench/results' ':!docs/performance.md'", {
      cwd: path.join(__dirname, '..'),
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return 'unknown';
  }
}

export function machine(): BenchMachine {
  const [one, five, fifteen] = loadavg().map((v) => Math.round(v * 100) / 100);
  return { cores: cpus().length, memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10, loadavg: [one, five, fifteen] };
}

/**
 * Collects a bench's figures as it prints them and writes its JSON at the end. Create it when the run
 * starts (that is `startedAt`); `write` records the machine as it is at the end.
 */
export class BenchResults {
  private readonly figures: BenchFigure[] = [];
  private readonly notes: string[] = [];

  constructor(
    private readonly bench: string,
    /** When the run started; by default, now. */
    private readonly startedAt = new Date().toISOString(),
  ) {}

  figure(name: string, value: number, unit: string, baseline?: BenchFigure['baseline']): void {
    this.figures.push(baseline ? { name, value, unit, baseline } : { name, value, unit });
  }

  note(text: string): void {
    this.notes.push(text);
  }

  /** Writes `bench/results/<bench>.json` and returns its path. */
  write(): string {
    const result: BenchResult = {
      bench: this.bench,
      command: benchCommand(this.bench),
      commit: currentCommit(),
      machine: machine(),
      startedAt: this.startedAt,
      figures: this.figures,
      notes: this.notes,
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, `${this.bench}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`results written to ${path.relative(process.cwd(), file)}`);
    return file;
  }
}

/** `BENCH_…=… npm run bench:<bench> -- <args>` as the user typed it: the BENCH_* variables set the run's size. */
function benchCommand(bench: string): string {
  const env = Object.entries(process.env)
    .filter(([name]) => name.startsWith('BENCH_'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}=${value} `)
    .join('');
  const args = process.argv.slice(2).filter((a) => a !== '--child');
  return `${env}npm run bench:${bench}${args.length ? ` -- ${args.join(' ')}` : ''}`;
}

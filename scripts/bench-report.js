#!/usr/bin/env node
// npm run bench:report — writes docs/performance.md from every bench/results/<bench>.json (the shape of
// bench/results.ts), so the published figures are exactly what the benchmarks printed, each with the
// command, commit and machine that printed it. Run a bench, then this, and commit both.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dir = path.join(root, 'bench/results');
const target = path.join(root, 'docs/performance.md');

const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
const results = files.map((f) => {
  const r = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  for (const field of ['bench', 'command', 'commit', 'machine', 'startedAt', 'figures', 'notes']) {
    if (r[field] === undefined) throw new Error(`bench/results/${f} has no "${field}": was it written by bench/results.ts?`);
  }
  return r;
});

const cell = (s) => String(s).replace(/\|/g, '\\|');
const value = (v, unit) => `${v.toLocaleString('en-US', { maximumFractionDigits: 2 })} ${unit}`;

const out = [
  '# Performance',
  '',
  'The latest figures of every benchmark, written by `npm run bench:report` from the JSON each `npm run bench:*`',
  'leaves in `bench/results/` (do not edit by hand: run the bench, then the report, and commit both). Each bench',
  'measures its raw baseline (plain SQL, a raw COPY or insert, the idle platform) in the same run on the same',
  'machine; compare a figure with its baseline, not with another machine\'s figure. The machines these ran on are',
  'shared: each section says how loaded the machine was, and figures from a loaded machine are upper bounds on',
  'latency and lower bounds on throughput.',
  '',
  'A commit ending in `+dirty` ran with uncommitted changes on top of it.',
  '',
];
for (const r of results) {
  const m = r.machine;
  out.push(`## bench:${r.bench}`, '');
  out.push(`- command: \`${r.command}\``);
  out.push(`- commit: \`${r.commit}\`, started ${r.startedAt}`);
  out.push(`- machine: ${m.cores} cores, ${m.memoryGiB} GiB memory, load average ${m.loadavg.join(' / ')} (1/5/15 min) when it ended`);
  out.push('');
  out.push('| figure | value | baseline of the same run |', '| --- | ---: | --- |');
  for (const f of r.figures) {
    const baseline = f.baseline ? `${cell(f.baseline.name)}: ${value(f.baseline.value, f.baseline.unit)}` : '';
    out.push(`| ${cell(f.name)} | ${value(f.value, f.unit)} | ${baseline} |`);
  }
  if (r.notes.length > 0) {
    out.push('');
    for (const n of r.notes) out.push(`- ${n}`);
  }
  out.push('');
}
if (results.length === 0) out.push('No bench has written its results yet: run `npm run bench:<name>`, then `npm run bench:report`.', '');
fs.writeFileSync(target, out.join('\n'));
console.log(`${path.relative(process.cwd(), target)}: ${results.length} benchmark(s) (${results.map((r) => r.bench).join(', ')})`);

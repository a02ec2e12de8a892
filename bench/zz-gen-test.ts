import { createDataset } from './analytics-data';
const t = performance.now();
const ds = createDataset({ rows: Number(process.argv[2] ?? 200000), days: 90, orgs: 50, seed: 1, end: new Date('2026-03-01T12:34:00Z') });
let n = 0; const byOrg = new Map<string, number>(); const byType = new Map<string, number>(); let last = ''; let ordered = true; const ids = new Set<string>(); let bytes = 0;
for (const chunk of ds.chunks(10000)) { for (const e of chunk) { n++; byOrg.set(e.organizationId, (byOrg.get(e.organizationId) ?? 0) + 1); byType.set(e.actionType, (byType.get(e.actionType) ?? 0) + 1); if (e.createdAt < last) ordered = false; last = e.createdAt; if (n <= 200000) ids.add(e.id); if (n % 50 === 0) bytes += JSON.stringify(e).length; } }
console.log({ n, ms: performance.now() - t, ordered, uniq: ids.size, first: ds.start, last, avgJson: bytes / (n / 50) });
console.log([...byOrg].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, v]) => `${k} ${(100 * v / n).toFixed(1)}%`), [...byOrg].sort((a, b) => a[1] - b[1]).slice(0, 2));
console.log([...byType].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${(100 * v / n).toFixed(2)}`).join(', '));
const sample = ds.chunks(5).next().value; console.log(JSON.stringify(sample?.slice(0, 2), null, 1));

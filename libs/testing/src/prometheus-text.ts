/**
 * The Prometheus text exposition format (what `/metrics` serves), read the one way every test and benchmark
 * reads it: `# HELP` / `# TYPE` lines skipped, label values unescaped (`\\`, `\"`, `\n`), an optional
 * timestamp after the value ignored.
 */
export interface PrometheusSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** Every sample of the text, in order. Throws, naming the line, on a line that is not a sample. */
export function parsePrometheusText(text: string): PrometheusSample[] {
  const samples: PrometheusSample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    samples.push(parseSampleLine(line));
  }
  return samples;
}

function parseSampleLine(line: string): PrometheusSample {
  const bad = (why: string): Error => new Error(`not a Prometheus sample (${why}): ${line}`);
  const name = NAME.exec(line)?.[0];
  if (!name) throw bad('no metric name');
  let at = name.length;
  const labels: Array<[string, string]> = [];
  if (line[at] === '{') {
    at++;
    while (line[at] !== '}') {
      const label = LABEL_NAME.exec(line.slice(at))?.[0];
      if (!label || line.slice(at + label.length, at + label.length + 2) !== '="') throw bad('label');
      at += label.length + 2;
      let value = '';
      for (; at < line.length && line[at] !== '"'; at++) {
        if (line[at] !== '\\') {
          value += line[at];
          continue;
        }
        at++;
        value += line[at] === 'n' ? '\n' : line[at];
      }
      if (at >= line.length) throw bad('unterminated label value');
      labels.push([label, value]);
      at++;
      if (line[at] === ',') at++;
      else if (line[at] !== '}') throw bad('label separator');
    }
    at++;
  }
  const [value, timestamp, ...rest] = line.slice(at).trim().split(/\s+/);
  if (line[at] !== ' ' || value === undefined || rest.length > 0 || (timestamp !== undefined && !/^-?\d+$/.test(timestamp))) throw bad('value');
  // Case-insensitive like Prometheus's own parser (Go's ParseFloat): prom-client writes NaN as `Nan`.
  const special: Record<string, number> = { nan: NaN, inf: Infinity, '+inf': Infinity, '-inf': -Infinity };
  const number = special[value.toLowerCase()] ?? Number(value);
  if (Number.isNaN(number) && value.toLowerCase() !== 'nan') throw bad('value');
  return { name, labels: Object.fromEntries(labels), value: number };
}

/**
 * The value of the series `name` with exactly `labels` (no more, no fewer), or undefined when the text
 * does not hold it (yet): `?? 0` for a counter nobody has incremented.
 */
export function metricSample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels);
  return parsePrometheusText(text).find(
    (s) => s.name === name && Object.keys(s.labels).length === wanted.length && wanted.every(([k, v]) => s.labels[k] === v),
  )?.value;
}

/** `GET <base>/metrics` as text; throws on any answer but 200. */
export async function scrapeMetrics(base: string): Promise<string> {
  const res = await fetch(`${base}/metrics`);
  if (res.status !== 200) throw new Error(`${base}/metrics answered ${res.status}`);
  return res.text();
}

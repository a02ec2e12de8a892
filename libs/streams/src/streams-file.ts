import { parse, stringify } from 'yaml';

/** A `streams apply` file could not be read: the message names where. */
export class StreamsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamsFileError';
  }
}

/**
 * Reads a streams file (`streams: [ {name, destination, filter?, format?, paused?}, ... ]`, YAML or JSON).
 * A string that is exactly `${NAME}` is replaced by the environment variable NAME, so secrets stay out of
 * the file (and out of version control); an unset one is an error naming it.
 */
export function parseStreamsFile(text: string, env: Record<string, string | undefined> = process.env): unknown[] {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new StreamsFileError(`the file is not valid YAML: ${(error as Error).message}`);
  }
  const streams = (document as { streams?: unknown } | null)?.streams ?? (document === null ? [] : undefined);
  if (!Array.isArray(streams)) throw new StreamsFileError('the file must hold `streams:`, a list of streams');
  const missing = new Set<string>();
  const resolved = streams.map((entry) => interpolate(entry, env, missing));
  if (missing.size > 0) throw new StreamsFileError(`the file refers to unset environment variables: ${[...missing].join(', ')}`);
  return resolved;
}

function interpolate(value: unknown, env: Record<string, string | undefined>, missing: Set<string>): unknown {
  if (typeof value === 'string') {
    const variable = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(value)?.[1];
    if (!variable) return value;
    const found = env[variable];
    if (found === undefined || found === '') missing.add(variable);
    return found;
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, env, missing));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, missing)]));
  return value;
}

/** The file `streams export` writes: what `streams apply` reads back (secrets are never exported; they stay as stored). */
export function renderStreamsFile(streams: ReadonlyArray<Record<string, unknown>>): string {
  return `# Streams of one organization: \`npm run cli -- streams apply --org <org> -f <this file>\`.\n# Secrets are not exported: leave them out to keep the stored ones, or write "\${ENV_VAR}".\n${stringify({ streams })}`;
}

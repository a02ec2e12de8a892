/** One instruction of a Dockerfile, continuation lines joined. */
export interface Instruction {
  op: string;
  /** `--from=console` → { from: 'console' } */
  flags: Record<string, string>;
  /** The rest of the line, after the flags. */
  args: string;
  line: number;
}

export interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

/** Parses the subset of the Dockerfile syntax this repository uses: stages, flags, JSON and shell forms. */
export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const { op, rest, line } of logicalLines(text)) {
    const flags: Record<string, string> = {};
    let args = rest;
    for (let flag = /^--([a-z-]+)=(\S+)\s+/.exec(args); flag; flag = /^--([a-z-]+)=(\S+)\s+/.exec(args)) {
      flags[flag[1]] = flag[2];
      args = args.slice(flag[0].length);
    }
    if (op === 'FROM') {
      const [image, as, name] = args.split(/\s+/);
      if (as?.toUpperCase() !== 'AS' || !name) throw new Error(`Dockerfile line ${line}: every stage needs a name (FROM <image> AS <name>)`);
      stages.push({ name, from: image, instructions: [] });
    } else if (stages.length === 0) {
      if (op !== 'ARG') throw new Error(`Dockerfile line ${line}: ${op} before the first FROM`);
      const [name, value = ''] = args.split('=');
      globalArgs[name] = value;
    } else {
      stages[stages.length - 1].instructions.push({ op, flags, args, line });
    }
  }
  return { globalArgs, stages };
}

export function stage(dockerfile: Dockerfile, name: string): Stage {
  const found = dockerfile.stages.find((s) => s.name === name);
  if (!found) throw new Error(`the Dockerfile has no stage ${name} (it has ${dockerfile.stages.map((s) => s.name).join(', ')})`);
  return found;
}

/** `ARG NAME=default` and `ENV A=1 B=2` pairs of an instruction. */
export function assignments(args: string): Array<[string, string]> {
  return args
    .split(/\s+/)
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf('=');
      return at < 0 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)];
    });
}

/** The exec form `["node", "x.js"]` as an argv; a shell form is refused, as the image uses none. */
export function execForm(args: string, what: string): string[] {
  const json = args.trim();
  if (!json.startsWith('[')) throw new Error(`${what} must use the exec form (["cmd", "arg"]) so signals reach the process`);
  return JSON.parse(json) as string[];
}

/** `COPY a b ./dest/` → sources and destination. */
export function copyOperands(args: string): { sources: string[]; destination: string } {
  const parts = args.split(/\s+/).filter(Boolean);
  return { sources: parts.slice(0, -1), destination: parts[parts.length - 1] };
}

/** Expands `${NAME}` and `$NAME` from the given build arguments. */
export function expand(value: string, args: Record<string, string>): string {
  return value.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => args[braced ?? bare ?? ''] ?? whole);
}

function* logicalLines(text: string): Generator<{ op: string; rest: string; line: number }> {
  let buffer = '';
  let startLine = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (buffer === '' && (/^\s*#/.test(raw) || raw.trim() === '')) continue;
    if (buffer === '') startLine = i + 1;
    // Comment lines inside a continued instruction are dropped by Docker too.
    if (buffer !== '' && /^\s*#/.test(raw)) continue;
    const continued = raw.endsWith('\\');
    buffer += (buffer ? ' ' : '') + (continued ? raw.slice(0, -1) : raw).trim();
    if (continued) continue;
    const match = /^(\w+)\s+(.*)$/.exec(buffer);
    if (!match) throw new Error(`Dockerfile line ${startLine}: cannot read "${buffer}"`);
    yield { op: match[1].toUpperCase(), rest: match[2], line: startLine };
    buffer = '';
  }
}

/**
 * A .dockerignore as a predicate over context-relative paths (Docker's rules for the patterns used here:
 * `*` within a segment, `**` across segments (so a pattern starting with it matches at any depth), others
 * anchored at the root;
 * a matching directory excludes everything under it).
 */
export function dockerignore(text: string): (relativePath: string) => boolean {
  const patterns = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (patterns.some((p) => p.startsWith('!'))) throw new Error('.dockerignore exceptions (!pattern) are not supported by this check');
  const regexes = patterns.map((p) => new RegExp(`^${globToRegex(p.replace(/^\/+|\/+$/g, ''))}(/.*)?$`));
  return (relativePath) => regexes.some((r) => r.test(relativePath));
}

function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (glob.startsWith('**/', i)) {
      out += '(.*/)?';
      i += 2;
    } else if (glob.startsWith('**', i)) {
      out += '.*';
      i += 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return out;
}

import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { assignments, copyOperands, dockerignore, execForm, expand, parseDockerfile, stage, type Instruction } from './dockerfile';

/** The runtime stage of the Dockerfile, laid out in a directory that stands for the image's /app. */
export interface AssembledImage {
  /** The directory standing for WORKDIR /app. */
  root: string;
  /** ENV of the runtime stage (with the build arguments expanded). */
  env: Record<string, string>;
  /** The image's ENTRYPOINT, exec form. */
  entrypoint: string[];
  /** The HEALTHCHECK command, exec form. */
  healthcheck: string[];
  /** The USER the image runs as. */
  user: string;
}

export interface AssembleOptions {
  /** The build context (the repository root); its node_modules stands for the `deps` stage (`npm ci` of the same lockfile). */
  context: string;
  /** An empty directory to build in. */
  workdir: string;
  buildArgs: Record<string, string>;
  /** The owner to give what the Dockerfile chowns to its USER, when that user does not exist on this machine. */
  chownAs?: string;
}

const WORKDIR = '/app';

/**
 * Builds the runtime stage of the Dockerfile without a Docker engine, by the Dockerfile's own instructions:
 * - `prod-deps`: its COPYs from the build context and its RUN, in a fresh directory standing for /app;
 *   `npm cache clean` is skipped (it only shrinks the layer, and here it would empty this machine's cache);
 * - `deps`: its COPYs, with this checkout's node_modules (its own `npm ci` of the same lockfile) for its RUN;
 * - `console`: the `deps` directory, then its COPYs and its RUN (the console's Vite build);
 * - `runtime`: its COPYs (from the context through .dockerignore, or from the stages above), its RUN with
 *   /app standing for the directory, and its ENV, USER, HEALTHCHECK and ENTRYPOINT.
 * What it cannot show: the base image itself (Node's version is pinned by ARG and by `engines`).
 */
export function assembleRuntimeImage(options: AssembleOptions): AssembledImage {
  const { context, workdir } = options;
  const dockerfile = parseDockerfile(readFileSync(path.join(context, 'Dockerfile'), 'utf8'));
  const ignored = dockerignore(readFileSync(path.join(context, '.dockerignore'), 'utf8'));
  const args: Record<string, string> = { ...dockerfile.globalArgs };
  const stageRoots: Record<string, string> = {};

  // deps is `npm ci` of the lockfile, which this checkout already ran: its node_modules stands in for that RUN.
  const deps = path.join(workdir, 'deps');
  mkdirSync(deps, { recursive: true });
  for (const instruction of stage(dockerfile, 'deps').instructions) {
    if (instruction.op === 'COPY') copy(instruction, deps);
    else if (instruction.op === 'RUN' && !/^npm ci\b/.test(instruction.args)) throw new Error(`Dockerfile line ${instruction.line}: the deps stage was expected to run npm ci only`);
  }
  symlinkSync(path.join(context, 'node_modules'), path.join(deps, 'node_modules'), 'dir');
  stageRoots.deps = deps;

  const consoleRoot = path.join(workdir, 'console');
  cpSync(deps, consoleRoot, { recursive: true, verbatimSymlinks: true });
  runStage(stage(dockerfile, 'console').instructions, consoleRoot);
  stageRoots.console = consoleRoot;

  const prodDeps = path.join(workdir, 'prod-deps');
  mkdirSync(prodDeps, { recursive: true });
  runStage(stage(dockerfile, 'prod-deps').instructions, prodDeps);
  stageRoots['prod-deps'] = prodDeps;

  const root = path.join(workdir, 'app');
  mkdirSync(root, { recursive: true });
  const image: AssembledImage = { root, env: {}, entrypoint: [], healthcheck: [], user: 'root' };
  runStage(stage(dockerfile, 'runtime').instructions, root, image);
  // The image's files are root's and readable by all; the temporary parents must let its USER through too.
  for (let dir = root; dir !== path.dirname(dir) && dir.startsWith(workdir); dir = path.dirname(dir)) chmodSync(dir, 0o755);
  return image;

  function runStage(instructions: Instruction[], into: string, result?: AssembledImage): void {
    for (const instruction of instructions) {
      switch (instruction.op) {
        case 'ARG':
          for (const [name, value] of assignments(instruction.args)) args[name] = options.buildArgs[name] ?? args[name] ?? value;
          break;
        case 'ENV':
          for (const [name, value] of assignments(instruction.args)) if (result) result.env[name] = expand(value, args);
          break;
        case 'COPY':
          copy(instruction, into);
          break;
        case 'RUN':
          shell(instruction, into, { ...args, ...result?.env });
          break;
        case 'USER':
          if (result) result.user = instruction.args.trim();
          break;
        case 'ENTRYPOINT':
          if (result) result.entrypoint = execForm(instruction.args, 'ENTRYPOINT');
          break;
        case 'HEALTHCHECK': {
          const cmd = /\bCMD\s+(\[.*\])\s*$/.exec(instruction.args);
          if (!cmd) throw new Error(`Dockerfile line ${instruction.line}: HEALTHCHECK needs CMD in exec form`);
          if (result) result.healthcheck = execForm(cmd[1], 'HEALTHCHECK CMD');
          break;
        }
        case 'EXPOSE':
        case 'WORKDIR':
          break;
        default:
          throw new Error(`Dockerfile line ${instruction.line}: ${instruction.op} is not understood by this check`);
      }
    }
  }

  function copy(instruction: Instruction, into: string): void {
    const { sources, destination } = copyOperands(instruction.args);
    const from = instruction.flags.from;
    const sourceRoot = from ? stageRoots[from] : context;
    if (!sourceRoot) throw new Error(`Dockerfile line ${instruction.line}: COPY --from=${from} names no stage built before it`);
    for (const source of sources) {
      const relative = from ? path.relative(WORKDIR, source) : source;
      const target = destination.endsWith('/') || sources.length > 1 ? path.join(into, destination, path.basename(relative)) : path.join(into, destination);
      const absolute = path.join(sourceRoot, relative);
      if (!existsSync(absolute)) throw new Error(`Dockerfile line ${instruction.line}: COPY source ${source} does not exist`);
      mkdirSync(path.dirname(target), { recursive: true });
      cpSync(absolute, target, {
        recursive: true,
        // The context is filtered by .dockerignore; another stage's files are copied as they are.
        filter: (file) => from !== undefined || !ignored(path.relative(context, file)),
      });
    }
  }

  function shell(instruction: Instruction, cwd: string, buildArgs: Record<string, string>): void {
    const steps = instruction.args.split('&&').map((s) => s.trim());
    const script = steps
      .filter((s) => !/^npm cache clean\b/.test(s))
      .map((s) => s.replaceAll(`${WORKDIR}/`, `${cwd}/`))
      .map((s) => (options.chownAs ? s.replace(/\bchown (-R )?node:node\b/, `chown $1${options.chownAs}`) : s))
      .join(' && ');
    execFileSync('sh', ['-c', script], {
      cwd,
      env: { ...process.env, ...buildArgs, npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
  }
}

/** Every file under `dir`, relative to it. */
export function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? listFiles(full, base) : [path.relative(base, full)];
  });
}

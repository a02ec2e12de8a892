import { execFile } from 'node:child_process';

/** A `docker` command that exited non-zero: the command and the end of its output. */
export class DockerError extends Error {
  override readonly name = 'DockerError';
}

/**
 * Runs the docker CLI and resolves with its stdout; rejects with a DockerError naming the command and the
 * last lines of its output. The classic builder (DOCKER_BUILDKIT=0): BuildKit would fetch the Dockerfile's
 * `# syntax=` frontend image from a registry, and there is none here.
 */
export function docker(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('docker', args, { env: { ...process.env, DOCKER_BUILDKIT: '0' }, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const output = `${stdout}${stderr}`.trim().split('\n').slice(-40).join('\n');
      reject(new DockerError(`docker ${args.join(' ')} failed (${error.code ?? error.message}):\n${output}`));
    });
  });
}

/** Whether a docker command succeeds (for probes and clean-up). */
export function dockerOk(args: string[]): Promise<boolean> {
  return docker(args).then(
    () => true,
    () => false,
  );
}

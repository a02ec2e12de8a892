import { startService, type RunningService } from './processes';

export interface SupervisedService {
  /** The instance running now (a new one after each restart). */
  current(): RunningService;
  /** Exit codes of the instances that died on their own, with the tail of their output. */
  readonly crashes: ReadonlyArray<{ code: number | null; output: string }>;
  /** Stops supervising and stops the current instance gracefully. */
  stop(): Promise<void>;
}

/**
 * Runs an app as a child process and restarts it whenever it exits on its own, as Kubernetes restarts
 * a crashed pod. A test can then assert what the system guarantees across crashes, and report them.
 */
export async function superviseService(app: string, env: Record<string, string>, readyTimeoutMs = 60_000): Promise<SupervisedService> {
  let stopping = false;
  let instance = await startService(app, env, readyTimeoutMs);
  const crashes: Array<{ code: number | null; output: string }> = [];
  let restarting: Promise<void> = Promise.resolve();

  // An instance that cannot become ready (say its database is still down) counts as a crash and is started
  // again a second later, for as long as the supervisor runs, as Kubernetes keeps restarting a pod.
  const restart = async (): Promise<void> => {
    while (!stopping) {
      try {
        const next = await startService(app, env, readyTimeoutMs);
        instance = next;
        if (stopping) {
          await next.stop();
          return;
        }
        watch(next);
        return;
      } catch (error) {
        crashes.push({ code: null, output: (error as Error).message.slice(-2_000) });
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  };
  const watch = (service: RunningService): void => {
    service.process.once('exit', (code) => {
      if (stopping) return;
      crashes.push({ code, output: service.output().slice(-2_000) });
      restarting = restart();
    });
  };
  watch(instance);

  return {
    current: () => instance,
    crashes,
    stop: async () => {
      stopping = true;
      await restarting.catch(() => undefined);
      await instance.stop();
    },
  };
}

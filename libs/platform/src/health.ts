import { Controller, Get, HttpCode, Injectable, Res } from '@nestjs/common';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { withTimeout } from './timeout';

const LIVE = JSON.stringify({ status: 'ok' });

/**
 * `GET /healthz` answered in Fastify's first hook, before body parsing, guards, Nest's pipeline and any
 * other hook: liveness says the process answers, so it must not queue behind what the process is busy
 * with (80 heavy readers pushed it to p50 407 ms through the full pipeline) nor touch a dependency.
 * Registered before every other onRequest hook (createHttpApp adds it first).
 */
export function answerLivenessFirst(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (req, reply, done) => {
    if ((req.method === 'GET' || req.method === 'HEAD') && (req.url === '/healthz' || req.url.startsWith('/healthz?'))) {
      void reply.code(200).header('content-type', 'application/json; charset=utf-8').header('cache-control', 'no-store').send(LIVE);
      return;
    }
    done();
  });
}

/** A readiness probe of one dependency or worker: resolves when ready, throws (or returns a reason) when not. */
export type ReadinessCheck = () => Promise<string | void> | string | void;

/** Collects the readiness checks that each module registers at init. */
@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();
  private readonly tolerated = new Map<string, string>();

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** The names of the checks registered so far. */
  names(): string[] {
    return [...this.checks.keys()];
  }

  /**
   * Keeps reporting the check `name` but lets the process stay ready when it fails, because the process
   * still serves its traffic without that dependency (`why` is shown next to the failure). Whichever
   * module registers the check, the one that can do without it says so; the order does not matter.
   */
  tolerate(name: string, why: string): void {
    this.tolerated.set(name, why);
  }

  async evaluate(): Promise<{ ready: boolean; checks: Record<string, { ok: boolean; detail?: string; tolerated?: string }> }> {
    const results: Record<string, { ok: boolean; detail?: string; tolerated?: string }> = {};
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          const problem = await withTimeout(Promise.resolve(check()), 2_000, 'check timed out after 2000 ms');
          results[name] = problem ? { ok: false, detail: problem } : { ok: true };
        } catch (error) {
          results[name] = { ok: false, detail: error instanceof Error ? error.message : String(error) };
        }
        const why = this.tolerated.get(name);
        if (!results[name].ok && why !== undefined) results[name].tolerated = why;
      }),
    );
    return { ready: Object.values(results).every((r) => r.ok || r.tolerated !== undefined), checks: results };
  }
}


@Controller()
export class HealthController {
  constructor(private readonly registry: HealthRegistry) {}

  /** Liveness: the process answers. Dependencies are readiness's business. Answered by {@link answerLivenessFirst}; the route stays so it is listed like the others. */
  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(@Res() reply: FastifyReply): Promise<void> {
    const result = await this.registry.evaluate();
    await reply.status(result.ready ? 200 : 503).send({ status: result.ready ? 'ready' : 'not ready', checks: result.checks });
  }
}

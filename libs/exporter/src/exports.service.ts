import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { TokenPrincipal } from '@audit/auth';
import { decodeCursor, encodeCursor, EVENT_FILTER_PARAMS, eventFilterToJson, readEventFilter } from '@audit/event-filter';
import { ActivityRecorder } from '@audit/messaging';
import { RetentionPoliciesRepository } from '@audit/persistence';
import { AppError, QueryReader } from '@audit/platform';
import { EXPORTER_CONFIG, type ExporterConfig } from './config';
import { ExportJobsRepository, type ExportJob, type ExportStatus } from './export-jobs.repository';
import { EXPORT_FORMATS, type ExportFormat } from './export-query';
import { expireJob } from './export-sweeper.service';
import { LinkSigner } from './link-signer';
import { EXPORT_STORAGE, StoredFileMissingError, type ExportStorage } from './storage';

export const LINK_SIGNER = Symbol('LINK_SIGNER');

/** One row of the Downloads list, as the API shows it. */
export interface ExportView {
  id: string;
  status: ExportStatus;
  filters: Record<string, unknown>;
  format: ExportFormat;
  /** Rows written so far (all of them once ready). */
  rowCount: number;
  /** Rows the export will hold, once counted. */
  totalRows: number | null;
  sizeBytes: number | null;
  /** 0..1. */
  progress: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  /** Ready jobs only: a freshly signed link, valid until `expiresAt`. */
  downloadUrl?: string;
  expiresAt?: string;
  /** Ready jobs only: when the file itself is removed. */
  fileExpiresAt?: string;
}

export interface Download {
  body: Readable;
  fileName: string;
  sizeBytes: number | null;
}

const DAY_MS = 86_400_000;

/** Jobs per page of `GET /v1/exports`, at most and by default. */
export const MAX_EXPORTS_PAGE = 100;

/** The export use cases behind the HTTP API: request, list (with fresh links), download by signed link. */
@Injectable()
export class ExportsService {
  private readonly logger = new Logger(ExportsService.name);

  constructor(
    private readonly jobs: ExportJobsRepository,
    private readonly retention: RetentionPoliciesRepository,
    private readonly recorder: ActivityRecorder,
    @Inject(EXPORT_STORAGE) private readonly storage: ExportStorage,
    @Inject(EXPORTER_CONFIG) private readonly config: ExporterConfig,
    @Inject(LINK_SIGNER) private readonly signer: LinkSigner,
  ) {}

  /**
   * Validates the body (the filters of `GET /v1/events`, with `from` and `to` required and `from` within the
   * organization's retention, and the file's `format`: `csv`, the default, or `jsonl`), records a PAGE_EXPORT event for the administrator, then stores a pending job.
   * If the event cannot be recorded (bus down → 503) no job is created: no export happens unaudited.
   */
  async request(admin: TokenPrincipal, body: unknown, ipAddress: string | null, now = new Date()): Promise<{ id: string; status: 'pending' }> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new AppError('VALIDATION_FAILED', 'the body must be a JSON object of filters', [{ path: '$', reason: 'must be a JSON object' }]);
    }
    const raw = body as Record<string, unknown>;
    const reader = new QueryReader(raw, [...EVENT_FILTER_PARAMS, 'format']);
    const filter = readEventFilter(reader);
    const format = reader.oneOf('format', EXPORT_FORMATS, 'csv');
    if (raw.from === undefined) reader.problem('from', 'is required for an export');
    if (raw.to === undefined) reader.problem('to', 'is required for an export');
    const days = await this.retention.effectiveDays(admin.organizationId);
    if (days > 0 && filter.from && filter.from.getTime() < now.getTime() - days * DAY_MS) {
      reader.problem('from', `must be within the organization's retention of ${days} days (not before ${new Date(now.getTime() - days * DAY_MS).toISOString()})`);
    }
    reader.done();

    const filters = eventFilterToJson(filter);
    const id = randomUUID();
    // Recorded before the job exists: a worker can never run an export whose request went unaudited. If
    // the job then cannot be stored, the event still truthfully says the administrator asked for it.
    await this.recorder.record({
      organizationId: admin.organizationId,
      actionType: 'PAGE_EXPORT',
      userId: admin.userId,
      pageName: 'audit',
      ipAddress,
      metadata: { exportId: id, filters, format },
    });
    const job = await this.jobs.create({ id, organizationId: admin.organizationId, requestedBy: admin.userId, filters, format });
    return { id: job.id, status: 'pending' };
  }

  /**
   * A page of the organization's jobs, newest first, each ready one with a link signed now; `nextCursor`
   * when older jobs follow. The query may hold `limit` (1..100, default 100) and `cursor` (a `nextCursor`).
   */
  async list(organizationId: string, query: Record<string, unknown> = {}, now = new Date()): Promise<{ items: ExportView[]; nextCursor?: string }> {
    const q = new QueryReader(query, ['limit', 'cursor']);
    const limit = q.limit(MAX_EXPORTS_PAGE, MAX_EXPORTS_PAGE);
    const cursorText = q.text('cursor', 200);
    const after = cursorText === undefined ? undefined : (decodeCursor(cursorText) ?? undefined);
    if (cursorText !== undefined && !after) q.problem('cursor', 'is not a cursor this API returned (pass nextCursor unchanged)');
    q.done();
    const { jobs, next } = await this.jobs.page(organizationId, limit, after);
    const items = jobs.map((job) => this.view(job, now));
    return next ? { items, nextCursor: encodeCursor(next) } : { items };
  }

  private view(job: ExportJob, now: Date): ExportView {
    const view: ExportView = {
      id: job.id,
      status: job.status,
      filters: job.filters,
      format: job.format,
      rowCount: job.rowCount,
      totalRows: job.totalRows,
      sizeBytes: job.sizeBytes,
      progress: job.progress,
      createdAt: job.createdAt.toISOString(),
      startedAt: job.startedAt?.toISOString() ?? null,
      finishedAt: job.finishedAt?.toISOString() ?? null,
      error: job.error,
    };
    if (job.status === 'ready' && job.expiresAt && job.expiresAt.getTime() > now.getTime()) {
      // A link never outlives the file it points to.
      const expiresMs = Math.min(now.getTime() + this.config.linkTtlSeconds * 1000, job.expiresAt.getTime());
      const expires = Math.floor(expiresMs / 1000);
      view.downloadUrl = this.signer.url(job.id, expires);
      view.expiresAt = new Date(expires * 1000).toISOString();
      view.fileExpiresAt = job.expiresAt.toISOString();
    }
    return view;
  }

  /**
   * The file behind a signed link. Tampered → 403; expired link → 410; the file past its keep time → 410
   * and the file removed now (rather than at the next sweep). A bearer token, when one is sent, must be of
   * the job's organization (404 otherwise), so a link never lets one organization's session read another's.
   *
   * A download is a read of the organization's audit data: it is recorded as a PAGE_VIEW (the caller's
   * user id, else the administrator who requested the export; `metadata: {path, exportId}`) before the
   * file is handed out, and a download that cannot be recorded is refused (bus down → 503).
   */
  async download(id: string, expires: unknown, signature: unknown, caller: TokenPrincipal | null, ipAddress: string | null = null, now = new Date()): Promise<Download> {
    const job = await this.readyJob(id, expires, signature, caller, now);
    let body: Readable;
    try {
      body = await this.storage.read(job.storageKey);
    } catch (error) {
      if (!(error instanceof StoredFileMissingError)) throw error;
      this.logger.warn({ msg: 'export file missing from storage; marking the job expired', jobId: job.id });
      await expireJob(this.jobs, this.storage, job);
      throw new AppError('GONE', 'the export file has been removed; request a new export');
    }
    try {
      await this.recorder.record(
        {
          organizationId: job.organizationId,
          actionType: 'PAGE_VIEW',
          userId: caller?.userId ?? job.requestedBy,
          pageName: 'audit',
          ipAddress,
          metadata: { path: `/v1/exports/${job.id}/download`, exportId: job.id },
        },
        now,
      );
    } catch (error) {
      body.destroy();
      throw error;
    }
    return { body, ...fileOf(job) };
  }

  /**
   * What a download through this link would hand out (`HEAD`), after the same checks and answers as
   * {@link download}, without opening the file or recording a read: nothing of the organization's data
   * leaves, so recording a PAGE_VIEW would put a read that never happened in the log.
   */
  async head(id: string, expires: unknown, signature: unknown, caller: TokenPrincipal | null, now = new Date()): Promise<Omit<Download, 'body'>> {
    return fileOf(await this.readyJob(id, expires, signature, caller, now));
  }

  /** The ready job behind a signed link, or the error its download answers (see {@link download}). */
  private async readyJob(id: string, expires: unknown, signature: unknown, caller: TokenPrincipal | null, now: Date): Promise<ExportJob & { storageKey: string }> {
    const check = this.signer.check(id, expires, signature, now.getTime());
    if (check === 'tampered') throw new AppError('FORBIDDEN', 'the download link is not valid (bad signature)');
    const job = await this.jobs.findBySignedId(id);
    if (!job || (caller && caller.organizationId !== job.organizationId)) throw new AppError('NOT_FOUND', 'no such export');
    if (job.status === 'ready' && job.expiresAt && job.expiresAt.getTime() <= now.getTime()) {
      await expireJob(this.jobs, this.storage, job);
      throw new AppError('GONE', 'the export file has been removed; request a new export');
    }
    if (check === 'expired') throw new AppError('GONE', 'the download link has expired; list the exports again for a fresh link');
    if (job.status === 'expired') throw new AppError('GONE', 'the export file has been removed; request a new export');
    if (job.status !== 'ready' || !job.storageKey) throw new AppError('NOT_FOUND', `the export is ${job.status}`);
    return { ...job, storageKey: job.storageKey };
  }
}

/** The name and size a download of the job's file is answered with. */
const fileOf = (job: ExportJob): Omit<Download, 'body'> => ({
  fileName: `audit-export-${job.createdAt.toISOString().slice(0, 10)}-${job.id}.${job.format}.gz`,
  sizeBytes: job.sizeBytes,
});

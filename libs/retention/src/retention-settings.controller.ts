import { Body, Controller, Get, Put, Req, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AdminAuth, AdminGuard, type TokenPrincipal } from '@audit/auth';
import { ActivityRecorder } from '@audit/messaging';
import { RetentionPoliciesRepository, type RetentionPolicy } from '@audit/persistence';
import { clientIp, QueryParameters } from '@audit/platform';
import { readRetentionBody } from './settings-body';

/** The API's view of an organization's retention (field by field, never the stored row). */
export interface RetentionSettingsResponse {
  organizationId: string;
  /** The organization's own setting; null = it follows the default. */
  days: number | null;
  /** What applies now; 0 = kept forever. */
  effectiveDays: number;
  defaultDays: number;
  legalHold: { reason: string; heldAt: string } | null;
}

export const toSettingsResponse = (p: RetentionPolicy): RetentionSettingsResponse => ({
  organizationId: p.organizationId,
  days: p.days,
  effectiveDays: p.effectiveDays,
  defaultDays: p.defaultDays,
  legalHold: p.hold ? { reason: p.hold.reason, heldAt: p.hold.heldAt.toISOString() } : null,
});

/** `GET/PUT /v1/settings/retention`: the caller's organization only (the token's `org`). Legal holds are CLI-only. */
@Controller('v1/settings/retention')
@UseGuards(AdminGuard)
export class RetentionSettingsController {
  constructor(
    private readonly policies: RetentionPoliciesRepository,
    private readonly recorder: ActivityRecorder,
  ) {}

  @Get()
  @QueryParameters()
  async get(@AdminAuth() admin: TokenPrincipal): Promise<RetentionSettingsResponse> {
    return toSettingsResponse(await this.policies.get(admin.organizationId));
  }

  /**
   * Changing what gets deleted is itself audited: the UPDATE_ORGANIZATION event is recorded before the
   * change, so a change the bus cannot record is refused (503) rather than made unseen.
   */
  @Put()
  @QueryParameters()
  async put(@Body() body: unknown, @AdminAuth() admin: TokenPrincipal, @Req() req: FastifyRequest): Promise<RetentionSettingsResponse> {
    const { days } = readRetentionBody(body);
    const before = await this.policies.get(admin.organizationId);
    await this.recorder.record({
      organizationId: admin.organizationId,
      actionType: 'UPDATE_ORGANIZATION',
      userId: admin.userId,
      ipAddress: clientIp(req.ip),
      metadata: { setting: 'retention', days, previousDays: before.days },
    });
    return toSettingsResponse(await this.policies.setDays(admin.organizationId, days));
  }
}

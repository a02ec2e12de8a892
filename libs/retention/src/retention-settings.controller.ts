import { Body, Controller, Get, Put, UseGuards } from '@nestjs/common';
import { AdminAuth, AdminGuard, type TokenPrincipal } from '@audit/auth';
import { RetentionPoliciesRepository, type RetentionPolicy } from '@audit/persistence';
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
  constructor(private readonly policies: RetentionPoliciesRepository) {}

  @Get()
  async get(@AdminAuth() admin: TokenPrincipal): Promise<RetentionSettingsResponse> {
    return toSettingsResponse(await this.policies.get(admin.organizationId));
  }

  @Put()
  async put(@Body() body: unknown, @AdminAuth() admin: TokenPrincipal): Promise<RetentionSettingsResponse> {
    const { days } = readRetentionBody(body);
    return toSettingsResponse(await this.policies.setDays(admin.organizationId, days));
  }
}

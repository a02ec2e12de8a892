import { Controller, Get, Header, Inject } from '@nestjs/common';
import { AUTH_CONFIG, type AuthConfig } from '@audit/auth';
import type { OidcClaimMapping } from '@audit/contracts';

/** What the console needs to know before anyone signs in; nothing secret (the client is public). */
export interface ConsoleConfigResponse {
  /** Single sign-on through an OpenID provider, or null when administrators paste a token. */
  signIn: { issuer: string; clientId: string; scopes: string; claims: OidcClaimMapping } | null;
}

/** `GET /v1/console/config`: public, so the page can offer "Sign in" before it holds a credential. */
@Controller('v1/console/config')
export class ConsoleConfigController {
  constructor(@Inject(AUTH_CONFIG) private readonly auth: AuthConfig) {}

  @Get()
  @Header('Cache-Control', 'no-cache')
  get(): ConsoleConfigResponse {
    const oidc = this.auth.oidc;
    // The claim mapping lets the console's header show the organization and role the API admits the token as.
    return {
      signIn: oidc ? { issuer: oidc.issuer, clientId: oidc.clientId, scopes: oidc.scopes, claims: { orgClaim: oidc.orgClaim, roleClaim: oidc.roleClaim, adminValues: oidc.adminValues } } : null,
    };
  }
}

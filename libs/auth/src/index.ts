export * from './config';
export * from './api-keys.service';
export * from './token-claims';
export * from './tokens.service';
export * from './guards';
export * from './auth.module';
export * from './duration';

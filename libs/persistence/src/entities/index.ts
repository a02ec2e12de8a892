import { ApiKeyEntity } from './api-key.entity';
import { RedactionRuleEntity } from './redaction-rule.entity';
import { UserEntity } from './user.entity';

export { ApiKeyEntity, RedactionRuleEntity, UserEntity };
export const ENTITIES = [UserEntity, ApiKeyEntity, RedactionRuleEntity];

import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** Per-organization rule: the `parameters` of a named query are removed at ingest, before anything is stored. */
@Entity({ name: 'redaction_rules' })
export class RedactionRuleEntity {
  @PrimaryColumn({ type: 'text' })
  organizationId!: string;

  @PrimaryColumn({ type: 'text' })
  queryName!: string;

  @Column({ type: 'text', default: 'hide_parameters' })
  kind!: 'hide_parameters';

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

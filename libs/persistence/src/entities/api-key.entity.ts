import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** An ingest key: only its SHA-256 is stored; the key itself is shown once, when created. */
@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'text' })
  organizationId!: string;

  @Column({ type: 'text' })
  name!: string;

  /** The first characters of the key, to recognise it in a listing. */
  @Column({ type: 'text' })
  keyPrefix!: string;

  @Column({ type: 'text', unique: true })
  keyHash!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}

import { InitialSchema1764374400000 } from './1764374400000-initial-schema';

/** Every migration, oldest first. Add a new one here after creating its file. */
export const MIGRATIONS = [InitialSchema1764374400000];

import { InitialSchema1764374400000 } from './1764374400000-initial-schema';
import { Retention1764460800000 } from './1764460800000-retention';
import { ExportJobs1764547200000 } from './1764547200000-export-jobs';
import { EventIdRegistry1764641400000 } from './1764641400000-event-id-registry';
import { UsersByOrganization1764641500000 } from './1764641500000-users-by-organization';
import { ReceivedAtBrin1764727800000 } from './1764727800000-received-at-brin';
import { TransparencyLog1764734400000 } from './1764734400000-transparency-log';
import { ExportFormat1764800000000 } from './1764800000000-export-format';
import { Streams1764900000000 } from './1764900000000-streams';
import { LogPurgeAndErasures1764950000000 } from './1764950000000-log-purge-and-erasures';
import { Alerts1765000000000 } from './1765000000000-alerts';
import { LogTiles1765050000000 } from './1765050000000-log-tiles';
import { UsersByEmail1765061700000 } from './1765061700000-users-by-email';
import { LogLeafColumns1765100000000 } from './1765100000000-log-leaf-columns';
import { EventsByOrganizationReceived1765120000000 } from './1765120000000-events-by-organization-received';

/** Every migration, oldest first. Add a new one here after creating its file. */
export const MIGRATIONS = [
  InitialSchema1764374400000,
  Retention1764460800000,
  ExportJobs1764547200000,
  EventIdRegistry1764641400000,
  UsersByOrganization1764641500000,
  ReceivedAtBrin1764727800000,
  TransparencyLog1764734400000,
  ExportFormat1764800000000,
  Streams1764900000000,
  LogPurgeAndErasures1764950000000,
  Alerts1765000000000,
  LogTiles1765050000000,
  UsersByEmail1765061700000,
  LogLeafColumns1765100000000,
  EventsByOrganizationReceived1765120000000,
];

import type { UsersPlan } from '../plan/users-plan.js';
import { toRecords } from '../records/index.js';
import type { UsersWindow } from '../stream-api/users.js';
import type { RecentSet } from '../utils/recent-set.js';
import type { SyncClient } from './export-job.js';
import type { WriteUser } from './embedded-users.js';

export interface UsersListing {
  client: SyncClient;
  plan: UsersPlan;
  write: WriteUser;
  /** The ids listed join the recent ones: no lookup of them follows. */
  recent: RecentSet;
  note: (reason: string) => void;
  signal: AbortSignal;
}

/** Writes every user query users lists for the plan. */
export async function listUsers({ client, plan, write, recent, note, signal }: UsersListing): Promise<void> {
  const upTo = plan.until.toString();
  const window: UsersWindow = plan.after === undefined ? { upTo } : { after: plan.after.toString(), upTo };
  for await (const page of client.listUsers(window, signal)) {
    for (const user of page) {
      recent.add(user.id);
      for (const record of toRecords({ kind: 'user', data: user }, note)) {
        const wait = write(record.data, record.json);
        if (wait) await wait;
      }
    }
  }
}

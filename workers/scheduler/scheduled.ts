/**
 * @module scheduler/scheduled
 * The Worker's `scheduled` handler (cron `* * * * *`): asks each registered source
 * for the runs due at this tick and enqueues them on Queue `jobs`. Copy pipes and
 * sinks register their sources when those features land.
 */
import type { Platform } from "../platform/platform.js";

export interface DueRun {
  kind: string;
  workspaceId: string;
  resource: string;
}

export type DueRunSource = (platform: Platform, scheduledTime: Date) => Promise<DueRun[]>;

export function createScheduler(sources: DueRunSource[]) {
  return async (platform: Platform, controller: ScheduledController): Promise<{ enqueued: number }> => {
    const at = new Date(controller.scheduledTime);
    const due = (await Promise.all(sources.map((source) => source(platform, at)))).flat();
    if (due.length > 0) {
      await platform.queues.jobs.sendBatch(due.map((run) => ({ body: { type: "run", ...run, scheduledTime: at.toISOString() } })));
    }
    return { enqueued: due.length };
  };
}

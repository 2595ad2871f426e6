/**
 * @module cron/cron
 * Cron schedules (UTC) as copies, sinks and imports write them: five fields
 * (`0 * * * *`) or a named one (`@hourly`, `@daily`, …), parsed by
 * `croner`, never by hand. Two questions are asked of a schedule: does it
 * parse (the datafile parser, so `tern check` and the deploy refuse it with
 * file and line), and which fire time, if any, fell in a window (the
 * scheduler: runs missed while the Worker was down are caught up once, so
 * only the latest fire time of the window counts).
 */
import { Cron } from "croner";

/** A schedule that runs only when asked (the default of copies). */
export const ON_DEMAND = "@on-demand";

const NAMED = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@hourly"]);

export type CronCheck = { ok: true } | { ok: false; message: string };

/**
 * Whether `text` is a cron schedule Tern can run: five fields as crontab
 * writes them, or a named schedule. croner also takes seconds and year
 * fields; Tinybird's schedules have exactly five, so the field count is
 * checked before the library parses the fields.
 */
export function checkCron(text: string): CronCheck {
  const value = text.trim();
  if (NAMED.has(value.toLowerCase())) return { ok: true };
  const fields = value.split(/\s+/).filter((f) => f !== "");
  if (fields.length !== 5) return { ok: false, message: `a cron expression has 5 fields (minute hour day month weekday), \`${value}\` has ${fields.length}` };
  try {
    cron(value);
    return { ok: true };
  } catch (e) {
    // croner names the field; the value it quotes is zero-based for days and months, so it is left out.
    const message = (e instanceof Error ? e.message : String(e)).replace(/^CronPattern:\s*/, "").replace(/^(Invalid value for \w+): \S+$/, "$1");
    return { ok: false, message };
  }
}

export function isCron(text: string): boolean {
  return checkCron(text).ok;
}

/** Whether a schedule runs by itself (a cron), rather than on demand. */
export function isScheduled(schedule: string | undefined): schedule is string {
  return schedule !== undefined && schedule.trim().toLowerCase() !== ON_DEMAND && isCron(schedule);
}

/**
 * The latest fire time of `cron` in the window `(after, upTo]`, or undefined
 * when none falls in it. Fire times are whole minutes; `upTo` is the cron
 * tick's scheduled time, so a run due at 10:00 is found by the 10:00 tick.
 */
export function latestFireIn(cronText: string, after: Date, upTo: Date): Date | undefined {
  // croner's previous runs are strictly before the reference: start one second past the window's end.
  const [fire] = cron(normalised(cronText)).previousRuns(1, new Date(upTo.getTime() + 1000));
  return fire && fire.getTime() > after.getTime() ? fire : undefined;
}

/** The next fire time of `cron` strictly after `at` (for listings: when a copy runs next). */
export function nextFireAfter(cronText: string, at: Date): Date | undefined {
  return cron(normalised(cronText)).nextRun(at) ?? undefined;
}

/** A schedule as croner reads it: in UTC, never started (croner can also run jobs; Tern only asks it about times). */
function cron(text: string): Cron {
  return new Cron(text, { timezone: "UTC", paused: true });
}

/** Named schedules are case-insensitive in datafiles (`@HOURLY`); the library knows them in lower case. */
function normalised(cron: string): string {
  const value = cron.trim();
  return value.startsWith("@") ? value.toLowerCase() : value;
}

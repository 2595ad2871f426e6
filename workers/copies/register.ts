/**
 * @module copies/register
 * Registers the `copy` job kind with the jobs runtime (imported once by the
 * Worker's entry): its runner, and the COPY_AFTER follow-ups when a copy ends.
 */
import { registerJobEndHook, registerJobRunner } from "../jobs/runners.js";
import { startCopiesAfter } from "./after.js";
import { runCopyJob } from "./run.js";

registerJobRunner("copy", runCopyJob);
registerJobEndHook("copy", startCopiesAfter);

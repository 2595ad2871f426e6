/**
 * @module sinks/register
 * Registers the `sink` job kind with the jobs runtime (imported once by the
 * Worker's entry): scheduled sinks (EXPORT_SCHEDULE) and on-demand runs
 * (`POST /v0/pipes/<pipe>/sink`) both end up in `runSinkJob`.
 */
import { registerJobRunner } from "../jobs/runners.js";
import { runSinkJob } from "./run.js";

registerJobRunner("sink", runSinkJob);

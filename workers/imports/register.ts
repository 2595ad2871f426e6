/**
 * @module imports/register
 * Registers the S3/GCS import runner for its job kinds (Tinybird's jobs_log
 * names them `s3_sync` and `gcs_sync`); imported once by ../index.ts.
 */
import { registerJobRunner } from "../jobs/runners.js";
import { runImportJob } from "./run.js";

registerJobRunner("s3_sync", runImportJob);
registerJobRunner("gcs_sync", runImportJob);

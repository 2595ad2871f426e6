/**
 * `tern deploy`: as `tb deploy` (= `tb deployment create --wait --auto`):
 * create a deployment from the project, wait until its data is ready, and let
 * the server promote it. `--check` only validates.
 */
import type { CliIO, Command } from "../command.js";
import { UsageError } from "../command.js";
import { parse, REMOTE_HELP, REMOTE_OPTIONS } from "../args.js";
import {
  changesTable,
  failedBody,
  failureLines,
  findStaging,
  warningLines,
  type Deployment,
  type DeployResponse,
} from "../deployments.js";
import { ApiError, type Api } from "../http.js";
import { progress } from "../progress.js";
import { describeFiles, findProjectFiles, projectForm } from "../project-files.js";
import { connect } from "../remote.js";

const POLL_MS = 1000;
const WAIT_LIMIT_MS = 30 * 60_000;

export const deploy: Command = {
  name: "deploy",
  summary: "Create a deployment from the project, wait for it and make it live",
  help: `Usage: tern deploy [options]

Uploads every datafile of the project to POST /v1/deploy. By default, as
\`tb deploy\`: waits until the new deployment's data is ready and makes it live
(the server promotes it; the previous live deployment is kept for rollback).
Before creating it, a stale staging deployment (not live, newer than live) is
discarded, as Tinybird's CLI does; with --no-auto it is left alone and the
server refuses to create a second one.

Options:
  --check                         validate only: build the project in a scratch
                                  database and report what would change
  --wait / --no-wait              wait until the deployment is ready (default: wait)
  --auto / --no-auto              promote it when ready (default: auto); with
                                  --no-auto it stays in staging: \`tern deployment promote\`
  --allow-destructive-operations  allow deleting datasources and columns with data
${REMOTE_HELP}

Exit code 1 when the deployment fails; each file's error is printed.`,
  async run(args, io) {
    const { values } = parse(args, {
      ...REMOTE_OPTIONS,
      check: { type: "boolean", default: false },
      wait: { type: "boolean" },
      "no-wait": { type: "boolean" },
      auto: { type: "boolean" },
      "no-auto": { type: "boolean" },
      "allow-destructive-operations": { type: "boolean", default: false },
    });
    if (values.wait && values["no-wait"]) throw new UsageError("--wait and --no-wait exclude each other");
    if (values.auto && values["no-auto"]) throw new UsageError("--auto and --no-auto exclude each other");
    const wait = !values["no-wait"];
    const auto = !values["no-auto"];

    const remote = await connect(io, values);
    const files = await findProjectFiles(remote.dir);
    const datafiles = files.filter((f) => f.kind !== "incl");
    if (datafiles.length === 0) throw new Error(`no datafiles (.datasource, .pipe, .connection) under ${remote.dir}`);
    const api = await remote.api();
    const step = progress(io).step;

    if (!values.check && auto) {
      const { deployments } = await api.request<{ deployments: Deployment[] }>("GET", "/v1/deployments");
      const stale = findStaging(deployments);
      if (stale) {
        step(`Discarding stale staging deployment ${stale.id}`);
        await api.request("DELETE", `/v1/deployments/${encodeURIComponent(stale.id)}`);
      }
    }

    step(`${values.check ? "Checking" : "Deploying"} ${describeFiles(datafiles)} on ${api.host}`);
    let res: DeployResponse;
    try {
      res = await api.request<DeployResponse>("POST", "/v1/deploy", {
        query: {
          check: values.check,
          auto_promote: !values.check && auto,
          allow_destructive_operations: values["allow-destructive-operations"],
        },
        form: projectForm(files),
      });
    } catch (e) {
      const body = failedBody(e);
      if (!(e instanceof ApiError) || !body || (body.result !== "failed" && !body.errors)) throw e;
      return failed(io, values.json, values.check, body, e.message);
    }
    if (res.result === "failed" || (res.result === "success" && !res.deployment)) {
      return failed(io, values.json, values.check, res, "the server gave no reason");
    }

    if (res.result === "no_changes") {
      if (values.json) io.out(JSON.stringify(res, null, 2));
      else io.out("No changes: the live deployment already matches the project");
      return 0;
    }

    let deployment = res.deployment!;
    if (values.check) {
      if (values.json) {
        io.out(JSON.stringify(res, null, 2));
        return 0;
      }
      for (const w of warningLines(deployment.feedback)) io.err(w);
      const table = changesTable(deployment);
      if (table) io.out(table);
      io.out(table ? "Check passed: the project can be deployed" : "Check passed: the project can be deployed (nothing would change)");
      return 0;
    }

    if (wait) {
      const waited = await waitFor(api, deployment, auto, step);
      if (!waited.ok) return failed(io, values.json, false, { result: "failed", deployment: waited.deployment }, `deployment ${deployment.id} is ${waited.deployment.status}`);
      deployment = waited.deployment;
    }
    if (values.json) {
      io.out(JSON.stringify({ ...res, deployment: { ...res.deployment, ...deployment } }, null, 2));
      return 0;
    }
    for (const w of warningLines(deployment.feedback)) io.err(w);
    const table = changesTable({ ...res.deployment, ...deployment });
    if (table) io.out(table);
    io.out(
      deployment.live
        ? `Deployment ${deployment.id} is live`
        : deployment.status === "data_ready"
          ? `Deployment ${deployment.id} is ready in staging: promote it with \`tern deployment promote\``
          : `Deployment ${deployment.id} is ${deployment.status}: follow it with \`tern deployment ls\``,
    );
    return 0;
  },
};

function failed(io: CliIO, json: boolean, check: boolean, body: DeployResponse, fallback: string): number {
  if (json) io.out(JSON.stringify(body, null, 2));
  else io.err([check ? "Check failed:" : "Deployment failed:", ...failureLines(body, fallback).map((l) => `  ${l}`)].join("\n"));
  return 1;
}

/** Polls until ready (and live, with auto) or failed; the first answer is used as is when it already says so. */
async function waitFor(
  api: Api,
  first: Deployment,
  auto: boolean,
  step: (m: string) => void,
): Promise<{ ok: true; deployment: Deployment } | { ok: false; deployment: Deployment }> {
  const done = (d: Deployment) => d.status === "data_ready" && (!auto || d.live);
  const deadline = Date.now() + WAIT_LIMIT_MS;
  let d = first;
  let shown = "";
  for (;;) {
    if (done(d)) return { ok: true, deployment: d };
    if (d.status === "failed" || d.status === "deleting" || d.status === "deleted") return { ok: false, deployment: d };
    if (Date.now() > deadline) throw new Error(`deployment ${d.id} is still ${d.status} after ${WAIT_LIMIT_MS / 60_000} minutes`);
    if (d.status !== shown) step(`Deployment ${d.id}: ${d.status}`);
    shown = d.status;
    await new Promise((r) => setTimeout(r, POLL_MS));
    d = (await api.request<{ deployment: Deployment }>("GET", `/v1/deployments/${encodeURIComponent(d.id)}`)).deployment;
  }
}

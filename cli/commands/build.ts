/**
 * `tern build`: uploads the project to `POST /v1/build`, which builds it in a
 * scratch database (tables, views, every served query) and leaves live alone.
 */
import type { Command } from "../command.js";
import { parse, REMOTE_HELP, REMOTE_OPTIONS } from "../args.js";
import { changesTable, failedBody, failureLines, warningLines, type DeployResponse } from "../deployments.js";
import { ApiError } from "../http.js";
import { progress } from "../progress.js";
import { describeFiles, findProjectFiles, projectForm } from "../project-files.js";
import { connect } from "../remote.js";

export const build: Command = {
  name: "build",
  summary: "Validate the project on the server without touching the live deployment",
  help: `Usage: tern build [options]

Uploads every datafile of the project to POST /v1/build. The server creates the
project's tables and views in a scratch database, checks every query the pipes
serve, drops the scratch database and reports. The live deployment is untouched.
Prints what a deploy would change. Exit code 1 when the build fails.

Options:
${REMOTE_HELP}`,
  async run(args, io) {
    const { values } = parse(args, REMOTE_OPTIONS);
    const remote = await connect(io, values);
    const files = await findProjectFiles(remote.dir);
    const datafiles = files.filter((f) => f.kind !== "incl");
    if (datafiles.length === 0) throw new Error(`no datafiles (.datasource, .pipe, .connection) under ${remote.dir}`);
    const api = await remote.api();
    progress(io).step(`Building ${describeFiles(datafiles)} on ${api.host}`);
    let res: DeployResponse;
    try {
      res = await api.request<DeployResponse>("POST", "/v1/build", { form: projectForm(files) });
    } catch (e) {
      if (!(e instanceof ApiError) || !failedBody(e)) throw e;
      if (values.json) io.out(JSON.stringify(e.body, null, 2));
      else io.err(["Build failed:", ...failureLines(failedBody(e), e.message).map((l) => `  ${l}`)].join("\n"));
      return 1;
    }
    if (values.json) {
      io.out(JSON.stringify(res, null, 2));
      return res.result === "failed" ? 1 : 0;
    }
    if (res.result === "failed") {
      io.err(["Build failed:", ...failureLines(res, "the server gave no reason").map((l) => `  ${l}`)].join("\n"));
      return 1;
    }
    for (const w of warningLines(res.build?.feedback)) io.err(w);
    const table = changesTable(res.build);
    if (table) io.out(table);
    io.out(`Build succeeded: ${describeFiles(datafiles)}`);
    return 0;
  },
};

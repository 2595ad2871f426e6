import type { Command } from "../command.js";
import { branch } from "./branch.js";
import { build } from "./build.js";
import { check } from "./check.js";
import { clickhouse } from "./clickhouse.js";
import { copy } from "./copy.js";
import { credentials } from "./credentials.js";
import { datasource } from "./datasource.js";
import { deploy } from "./deploy.js";
import { deployment } from "./deployment.js";
import { endpoint } from "./endpoint.js";
import { events } from "./events.js";
import { login } from "./login.js";
import { mcp } from "./mcp.js";
import { open } from "./open.js";
import { sink } from "./sink.js";
import { sql } from "./sql.js";
import { test } from "./test.js";
import { token } from "./token.js";
import { workspace } from "./workspace.js";

/** Every `tern` command, in the order `tern --help` lists them. */
export const commands: Command[] = [check, login, build, deploy, deployment, workspace, branch, datasource, endpoint, sql, open, mcp, clickhouse, copy, sink, token, events, test, credentials];

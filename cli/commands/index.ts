import type { Command } from "../command.js";
import { build } from "./build.js";
import { check } from "./check.js";
import { deploy } from "./deploy.js";
import { deployment } from "./deployment.js";
import { login } from "./login.js";
import { workspace } from "./workspace.js";

/** Every `tern` command, in the order `tern --help` lists them. */
export const commands: Command[] = [check, login, build, deploy, deployment, workspace];

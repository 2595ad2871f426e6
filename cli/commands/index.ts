import type { Command } from "../command.js";
import { check } from "./check.js";

/** Every `tern` command, in the order `tern --help` lists them. */
export const commands: Command[] = [check];

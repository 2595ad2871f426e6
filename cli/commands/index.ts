import type { Command } from "../command.js";

/** Every `tern` command, in the order `tern --help` lists them. */
export const commands: Command[] = [];

#!/usr/bin/env node
// The `tern` binary: loads the TypeScript CLI through the repo's own tsx, so it
// works from any folder once installed with `npm link` or `npm install -g`.
import { register } from "tsx/esm/api";

register();
await import("../main.ts");

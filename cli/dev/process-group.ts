/**
 * @module dev/process-group
 * Starts a child in its own process group so that stopping it also stops every
 * grandchild (wrangler forks workerd; killing only `wrangler` orphans workerd).
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

export interface GroupChild {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** SIGTERM to the whole group, SIGKILL after `graceMs`; resolves once the leader has exited. */
  stop(graceMs?: number): Promise<void>;
}

export function spawnGroup(command: string, args: string[], options: SpawnOptions): GroupChild {
  const child = spawn(command, args, { ...options, detached: true });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const signalGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  // Whatever happens to us, never leave the group running.
  process.once("exit", () => signalGroup("SIGKILL"));
  return {
    child,
    exited,
    async stop(graceMs = 5000) {
      signalGroup("SIGTERM");
      const timer = setTimeout(() => signalGroup("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
      // The leader may exit before its children: sweep the group.
      signalGroup("SIGKILL");
    },
  };
}

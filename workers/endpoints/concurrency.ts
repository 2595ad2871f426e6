/**
 * @module endpoints/concurrency
 * Reads in flight per workspace, in this isolate. Past the cap a read waits a
 * little for a slot (a dashboard's burst of small calls drains in
 * milliseconds), then is refused with 429 instead of queueing without end:
 * one tenant's runaway queries cannot make everybody else's calls wait.
 *
 * The wait polls on the request's own timer: workerd cancels a request that
 * awaits a promise only another request could resolve.
 */
import { RateLimitedError } from "../../shared/errors.js";

const running = new Map<string, number>();
const POLL_MS = 20;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Takes a slot for `workspaceId`, waiting at most `waitMs` for one; throws 429
 * past that. The returned function frees the slot (idempotent).
 */
export async function takeReadSlot(workspaceId: string, cap: number, waitMs: number): Promise<() => void> {
  const until = Date.now() + waitMs;
  while ((running.get(workspaceId) ?? 0) >= cap) {
    if (Date.now() >= until) {
      throw new RateLimitedError(`Too many concurrent queries: this workspace already runs ${cap}; retry when one finishes`, 1);
    }
    await sleep(POLL_MS);
  }
  running.set(workspaceId, (running.get(workspaceId) ?? 0) + 1);
  let freed = false;
  return () => {
    if (freed) return;
    freed = true;
    const left = (running.get(workspaceId) ?? 1) - 1;
    if (left <= 0) running.delete(workspaceId);
    else running.set(workspaceId, left);
  };
}

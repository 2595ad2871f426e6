/**
 * @module queues/dispatch
 * The Worker's `queue` handler: builds the batch's platform and routes the
 * batch to the consumer registered for its queue. A batch from a queue with no
 * consumer is retried, never acknowledged, so its messages reach the
 * dead-letter queue instead of vanishing.
 */
import type { Env } from "../env.js";
import { platformFor, type Platform } from "../platform/platform.js";

export type QueueConsumer = (platform: Platform, batch: MessageBatch<unknown>) => Promise<void>;

export function createQueueDispatcher(consumers: Record<string, QueueConsumer>) {
  return async (batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> => {
    // Local and preview queue names may carry a suffix; match on the base name.
    const consumer = consumers[batch.queue] ?? consumers[batch.queue.replace(/-(preview|staging|dev)$/, "")];
    if (!consumer) {
      console.error(`no consumer for queue ${batch.queue}; retrying ${batch.messages.length} message(s)`);
      batch.retryAll({ delaySeconds: 60 });
      return;
    }
    await consumer(platformFor(env, ctx), batch);
  };
}

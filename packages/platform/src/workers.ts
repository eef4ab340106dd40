/**
 * @module workers
 * The background work of one platform, started once it listens and stopped before its store
 * closes: the resume worker, the approval-window expiry sweeper, approval-connector delivery,
 * and the egress's pooled upstream connections.
 */
import type { Services } from "./api/context.js";
import { closeEgress } from "./egress/egress.js";
import { ConnectorDelivery } from "./governance/connector-delivery.js";
import { ExpirySweeper } from "./governance/expiry-sweeper.js";
import { ResumeWorker } from "./governance/resume-worker.js";

export interface Background {
  resume: ResumeWorker;
  sweeper: ExpirySweeper;
  delivery: ConnectorDelivery;
  stop(): Promise<void>;
}

export function startBackground(services: Services): Background {
  // `services` itself is the workers' dependency object: the supervisor may set `agents` later.
  const resume = new ResumeWorker(services);
  const sweeper = new ExpirySweeper(services);
  const delivery = new ConnectorDelivery(services);
  resume.start();
  sweeper.start();
  delivery.start();
  return {
    resume,
    sweeper,
    delivery,
    async stop() {
      await Promise.all([resume.stop(), sweeper.stop(), delivery.stop()]);
      closeEgress(services);
    },
  };
}

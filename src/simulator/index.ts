/** Local GitHub simulator: an in-memory, stateful stand-in for the GitHub REST API, its GraphQL check-run mutations, and webhooks. */
export { GitHubSimulator, type AppOptions, type SimulatorOptions, type WithDeliveries } from "./simulator.js";
export type { DeliveryRecord } from "./webhooks.js";
export { isWrite, type RequestLogEntry } from "./server.js";
export type { Faults, FaultSettings, OneShotFault, RequestMatch } from "./faults.js";
export type { CheckRunView, CommentView, PullView, ReviewView, Stats } from "./views.js";
export type { OpenPullOptions, PullResult } from "./actions-pulls.js";
export type { PushOptions } from "./actions-git.js";
export type { SubmitReviewOptions } from "./actions-reviews.js";
export type { ForeignRunOptions } from "./actions-checks.js";
export type { MergeGroupRef } from "./events.js";

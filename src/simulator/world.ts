/**
 * What scenario actions need from the simulator: the state, payload builders, the clock and an emitter.
 * Actions are plain functions over a World so the GitHubSimulator class stays a thin facade.
 */
import type { EventBuilder, WebhookPayload } from "./events.js";
import type { Commit, FileChange, FileEdits, GitIdentity } from "./git.js";
import type { Repo, State } from "./state.js";
import type { DeliveryRecord } from "./webhooks.js";

export interface World {
  state: State;
  events: EventBuilder;
  now(): string;
  /** Enqueues a webhook (if the app subscribes to the event) and returns its record. */
  emit(p: WebhookPayload): DeliveryRecord[];
  /** Who acts when a scenario names nobody (pushes, merges): a maintainer account, created on first use. */
  defaultUser(): string;
}

export function repoByName(w: World, name: string): Repo {
  const [owner, repoName] = name.includes("/") ? name.split("/", 2) : [w.state.org, name];
  const repo = w.state.repo(owner!, repoName!);
  if (!repo) throw new Error(`unknown repo ${name}`);
  return repo;
}

export function identity(w: World, login: string): GitIdentity {
  const acc = w.state.account(login);
  if (!acc) throw new Error(`unknown user ${login}`);
  return {
    name: acc.name ?? acc.login,
    email: acc.email ?? `${acc.id}+${acc.login}@users.noreply.github.com`,
    login: acc.login,
  };
}

export function requireUser(w: World, login: string): string {
  const acc = w.state.account(login);
  if (!acc) throw new Error(`unknown user ${login}; create it with sim.createUser()`);
  return acc.login;
}

/** Applies the changes of `from → to` on top of `onto`: how merges and merge-queue commits get their tree. */
export function applyChanges(changes: FileChange[], onto: Commit): Map<string, string> {
  const files = new Map(onto.files);
  for (const c of changes) {
    if (c.previous_filename) files.delete(c.previous_filename);
    if (c.status === "removed") files.delete(c.filename);
    else files.set(c.filename, c.sha);
  }
  return files;
}

export type { FileEdits };

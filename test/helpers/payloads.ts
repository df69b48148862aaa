import { createRequire } from "node:module";
import { randomUUID } from "node:crypto";
import { APP_ID, APP_SLUG, type FakeGitHub } from "./fake-github.js";
import { withoutLinks } from "../../src/github/payload.js";

/**
 * Webhook payloads built from GitHub's real examples (@octokit/webhooks-examples), with only the fields
 * a scenario cares about overwritten — so the app is tested against GitHub's shapes, not ours.
 */
const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples/api.github.com/index.json") as {
  name: string;
  examples: { action?: string }[];
}[];

type Json = Record<string, unknown>;

export function example(event: string, action?: string): Json {
  const group = examples.find((e) => e.name === event);
  const ex =
    group?.examples.find((e) => e.action === action) ?? (action === undefined ? group?.examples[0] : undefined);
  if (!ex) throw new Error(`no webhooks-examples payload for ${event}.${action}`);
  return structuredClone(ex);
}

const repository = (gh: FakeGitHub): Json => gh.repositoryJson();
const pr = (gh: FakeGitHub): Json => gh.pullJson();

export interface Delivery {
  id: string;
  name: string;
  payload: Json;
}

function delivery(
  name: string,
  action: string | undefined,
  gh: FakeGitHub,
  fields: Json,
  sender = gh.pull.author,
): Delivery {
  const payload = {
    ...example(name, action),
    ...(action ? { action } : {}),
    repository: repository(gh),
    installation: { id: 99 },
    sender: gh.userObj(sender),
    ...fields,
  };
  // As the webhook server hands it to the app: without its REST API links (src/github/payload.ts), so
  // every app test shows the app needs none of them.
  return { id: randomUUID(), name, payload: withoutLinks(payload) as Json };
}

export const events = {
  /** For synchronize, pass `{ before }` (the previous head) as GitHub does. */
  pullRequest: (gh: FakeGitHub, action: string, extra: Json = {}) =>
    delivery(
      "pull_request",
      action === "edited" || action === "ready_for_review" || action === "reopened" ? "opened" : action,
      gh,
      {
        action,
        number: gh.pull.number,
        pull_request: { ...(example("pull_request", "opened").pull_request as Json), ...pr(gh) },
        ...extra,
      },
    ),
  review: (gh: FakeGitHub, action: string, login: string) =>
    delivery(
      "pull_request_review",
      "submitted",
      gh,
      {
        action,
        pull_request: { ...(example("pull_request_review", "submitted").pull_request as Json), ...pr(gh) },
        review: { ...gh.reviews.at(-1), user: gh.userObj(login) },
      },
      login,
    ),
  comment: (
    gh: FakeGitHub,
    action: "created" | "edited" | "deleted",
    c: { id: number; body: string; user: { login: string }; performed_via_github_app?: unknown },
  ) =>
    delivery(
      "issue_comment",
      "created",
      gh,
      {
        action,
        issue: {
          ...(example("issue_comment", "created").issue as Json),
          number: gh.pull.number,
          pull_request: { url: "x" },
        },
        comment: { ...(example("issue_comment", "created").comment as Json), ...c },
      },
      c.user.login,
    ),
  click: (gh: FakeGitHub, runName: string, identifier: string, login: string) => {
    const run = gh.run(runName);
    if (!run) throw new Error(`no run ${runName}`);
    return delivery(
      "check_run",
      "requested_action",
      gh,
      {
        check_run: {
          ...(example("check_run", "requested_action").check_run as Json),
          id: run.id,
          name: run.name,
          head_sha: run.head_sha,
          status: run.status,
          conclusion: run.conclusion,
          started_at: run.started_at,
          completed_at: run.completed_at ?? null,
          app: { id: APP_ID, slug: APP_SLUG },
          pull_requests: [
            {
              number: gh.pull.number,
              head: { sha: run.head_sha },
              base: { repo: { id: gh.repositoryJson().id, name: gh.repo } },
            },
          ],
        },
        requested_action: { identifier },
      },
      login,
    );
  },
  rerequested: (gh: FakeGitHub, runName: string) => {
    const run = gh.run(runName)!;
    return delivery("check_run", "rerequested", gh, {
      check_run: {
        ...(example("check_run", "rerequested").check_run as Json),
        id: run.id,
        name: run.name,
        head_sha: run.head_sha,
        app: { id: APP_ID, slug: APP_SLUG },
        pull_requests: [],
      },
    });
  },
  push: (gh: FakeGitHub, ref: string, changed: string[]) =>
    delivery("push", undefined, gh, {
      ref,
      forced: false,
      commits: [{ id: "c1", added: [], modified: changed, removed: [] }],
    }),
  mergeGroup: (gh: FakeGitHub, headSha: string) =>
    delivery("merge_group", "checks_requested", gh, {
      merge_group: {
        head_sha: headSha,
        head_ref: `refs/heads/gh-readonly-queue/main/pr-${gh.pull.number}-${gh.pull.headSha}`,
        base_sha: gh.pull.baseSha,
        base_ref: "refs/heads/main",
      },
    }),
};

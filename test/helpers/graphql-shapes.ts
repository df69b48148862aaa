/**
 * How GitHub's GraphQL shows what its REST API shows, written out independently of the simulator's resolvers
 * (src/simulator/graphql-reads.ts) so tests can hold a GraphQL answer against the REST answers field by field.
 */

const CHANGE_TYPES: Record<string, string> = {
  added: "ADDED",
  modified: "MODIFIED",
  removed: "DELETED",
  renamed: "RENAMED",
  copied: "COPIED",
  changed: "CHANGED",
};

type Rest = Record<string, any>;

/** A REST user as a GraphQL Actor (the snapshot query's Person fragment): a Bot's login loses `[bot]`. */
function actor(u: Rest | null): Rest | null {
  if (!u) return null;
  return {
    __typename: u.type,
    login: u.type === "Bot" ? String(u.login).replace(/\[bot\]$/, "") : u.login,
    databaseId: u.id,
  };
}

const upper = (s: string | null) => (s === null ? null : s.toUpperCase());
const gitUser = (u: Rest | null) => ({ user: u?.login ? { login: u.login } : null });

export const asGraphQL = {
  actor,
  /** The pull request's own fields the snapshot query reads. */
  pull: (p: Rest) => ({
    number: p.number,
    state: p.merged ? "MERGED" : String(p.state).toUpperCase(),
    merged: p.merged,
    isDraft: p.draft,
    createdAt: p.created_at,
    changedFiles: p.changed_files,
    headRefOid: p.head.sha,
    baseRefName: p.base.ref,
    baseRefOid: p.base.sha,
    author: actor(p.user),
  }),
  /** A whole list as one page of a connection. */
  page: (nodes: unknown[]) => ({ totalCount: nodes.length, pageInfo: { hasNextPage: false }, nodes }),
  file: (f: Rest) => ({ path: f.filename, changeType: CHANGE_TYPES[f.status] }),
  review: (r: Rest) => ({
    fullDatabaseId: String(r.id),
    author: actor(r.user),
    state: r.state,
    body: r.body,
    commit: { oid: r.commit_id },
    submittedAt: r.submitted_at,
  }),
  comment: (c: Rest) => ({
    fullDatabaseId: String(c.id),
    author: actor(c.user),
    body: c.body,
    createdAt: c.created_at,
    updatedAt: c.updated_at,
  }),
  commit: (c: Rest) => ({ commit: { oid: c.sha, author: gitUser(c.author), committer: gitUser(c.committer) } }),
  run: (r: Rest) => ({
    resourcePath: new URL(r.html_url).pathname,
    id: r.node_id,
    name: r.name,
    status: upper(r.status),
    conclusion: upper(r.conclusion),
    externalId: r.external_id,
    text: r.output.text,
    startedAt: r.started_at,
  }),
};

/**
 * A commit's `checkSuites` as the OwnRuns fragments ask for them (src/github/own-runs.ts): one suite per
 * app, each with its runs; `more` / `moreSuites` say a page was full.
 */
export function checkSuites(s: readonly { app: number; runs: unknown[]; more?: boolean }[], moreSuites = false) {
  return {
    checkSuites: {
      pageInfo: { hasNextPage: moreSuites },
      nodes: s.map((x) => ({
        app: { databaseId: x.app },
        checkRuns: { pageInfo: { hasNextPage: x.more ?? false }, nodes: x.runs },
      })),
    },
  };
}

/** A CheckRun node as the OwnRuns fragments ask for it: REST id `id` in its resourcePath, node id `CR_<id>`. */
export const runNode = (id: number, name: string, conclusion: string | null = null) => ({
  resourcePath: `/acme/shop/runs/${id}`,
  id: `CR_${id}`,
  name,
  status: conclusion ? "COMPLETED" : "IN_PROGRESS",
  conclusion,
  externalId: `digest-${id}`,
  text: null,
  startedAt: "2026-11-30T10:00:00Z",
});

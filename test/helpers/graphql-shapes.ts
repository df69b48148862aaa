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
    title: r.output.title,
    summary: r.output.summary,
    text: r.output.text,
    startedAt: r.started_at,
  }),
};

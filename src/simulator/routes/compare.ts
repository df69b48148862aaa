/** GET compare/{base...head}: three-dot comparison against the merge base, like GitHub. */
import { HttpError, json, notFound, paginate, type ApiRequest } from "../http.js";
import { commit, diffEntry } from "../render.js";
import { repoOf, type Route, type RouteContext } from "../router.js";

/** GitHub's compare lists at most 300 files and 250 commits. */
const MAX_FILES = 300;
const MAX_COMMITS = 250;

function compare(req: ApiRequest, ctx: RouteContext) {
  const repo = repoOf(req, ctx);
  const basehead = req.params.basehead ?? "";
  const sep = basehead.indexOf("...");
  if (sep < 0) throw notFound();
  // Either side may be "owner:ref"; only same-repo comparisons exist in the simulator.
  const side = (s: string) => ctx.state.resolveRef(repo, s.includes(":") ? s.slice(s.indexOf(":") + 1) : s);
  const baseSha = side(basehead.slice(0, sep));
  const headSha = side(basehead.slice(sep + 3));
  if (!baseSha || !headSha) throw notFound();
  const mergeBase = repo.git.mergeBase(baseSha, headSha);
  if (!mergeBase)
    throw new HttpError(404, `No common ancestor between ${basehead.slice(0, sep)} and ${basehead.slice(sep + 3)}.`);
  const ahead = repo.git.commitsBetween(baseSha, headSha);
  const behind = repo.git.commitsBetween(headSha, baseSha);
  const status =
    ahead.length && behind.length ? "diverged" : ahead.length ? "ahead" : behind.length ? "behind" : "identical";
  const files = repo.git.diff(mergeBase.files, repo.git.get(headSha).files).slice(0, MAX_FILES);
  const { page, headers } = paginate(req, ahead.slice(0, MAX_COMMITS), { max: 250, defaultPerPage: 250 });
  const full = `${repo.owner}/${repo.name}`;
  return json(
    200,
    {
      url: `${req.urls.api}/repos/${full}/compare/${basehead}`,
      html_url: `${req.urls.html}/${full}/compare/${basehead}`,
      permalink_url: `${req.urls.html}/${full}/compare/${repo.owner}:${baseSha.slice(0, 7)}...${repo.owner}:${headSha.slice(0, 7)}`,
      diff_url: `${req.urls.html}/${full}/compare/${basehead}.diff`,
      patch_url: `${req.urls.html}/${full}/compare/${basehead}.patch`,
      base_commit: commit(req.urls, ctx.state, repo, repo.git.get(baseSha)),
      merge_base_commit: commit(req.urls, ctx.state, repo, mergeBase),
      status,
      ahead_by: ahead.length,
      behind_by: behind.length,
      total_commits: ahead.length,
      commits: page.map((c) => commit(req.urls, ctx.state, repo, c)),
      files: files.map((f) => diffEntry(req.urls, repo, headSha, f)),
    },
    headers,
  );
}

/** GET commits/{ref}: one commit with the files it changes against its first parent (at most 300). */
function getCommit(req: ApiRequest, ctx: RouteContext) {
  const repo = repoOf(req, ctx);
  const sha = ctx.state.resolveRef(repo, req.params.ref ?? "");
  if (!sha) throw notFound();
  const c = repo.git.get(sha);
  const parent = c.parents[0] !== undefined ? repo.git.get(c.parents[0]).files : new Map<string, string>();
  const files = repo.git.diff(parent, c.files).slice(0, MAX_FILES);
  return json(200, {
    ...commit(req.urls, ctx.state, repo, c),
    stats: { additions: 0, deletions: 0, total: 0 },
    files: files.map((f) => diffEntry(req.urls, repo, sha, f)),
  });
}

export const compareRoutes: Route[] = [
  { method: "GET", template: "/repos/{owner}/{repo}/commits/{ref}", auth: "installation", handler: getCommit },
  { method: "GET", template: "/repos/{owner}/{repo}/compare/{basehead}", auth: "installation", handler: compare },
];

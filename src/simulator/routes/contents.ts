/** GET contents: the app reads reviewers.yml this way, usually with If-None-Match (handled by the server). */
import { HttpError, json, notFound, type ApiRequest } from "../http.js";
import type { Urls } from "../render.js";
import { repoOf, type Route, type RouteContext } from "../router.js";
import type { Repo, State } from "../state.js";
import { base64Wrapped, sha1 } from "../util.js";

function entry(u: Urls, repo: Repo, ref: string, path: string, type: "file" | "dir", sha: string, size: number) {
  const full = `${repo.owner}/${repo.name}`;
  const self = `${u.api}/repos/${full}/contents/${path}?ref=${encodeURIComponent(ref)}`;
  const git = `${u.api}/repos/${full}/git/${type === "file" ? "blobs" : "trees"}/${sha}`;
  const html = `${u.html}/${full}/${type === "file" ? "blob" : "tree"}/${ref}/${path}`;
  return {
    type,
    size,
    name: path.split("/").pop()!,
    path,
    sha,
    url: self,
    git_url: git,
    html_url: html,
    download_url: type === "file" ? `${u.html}/${full}/raw/${ref}/${path}` : null,
    _links: { self, git, html },
  };
}

/**
 * A file's blob sha and text at a ref (branch, sha), as GET contents/{path}?ref= serves it; undefined when
 * the path is not a file there. Shared with GraphQL's `Commit.file`.
 */
export function fileAt(state: State, repo: Repo, ref: string, path: string): { sha: string; text: string } | undefined {
  const commit = state.resolveRef(repo, ref);
  const blob = commit ? repo.git.get(commit).files.get(path.replace(/^\/+|\/+$/g, "")) : undefined;
  return blob === undefined ? undefined : { sha: blob, text: repo.git.blob(blob) };
}

function getContent(req: ApiRequest, ctx: RouteContext) {
  const repo = repoOf(req, ctx);
  const ref = req.query.get("ref") ?? repo.defaultBranch;
  const sha = ctx.state.resolveRef(repo, ref);
  if (!sha) throw new HttpError(404, `No commit found for the ref ${ref}`);
  const files = repo.git.get(sha).files;
  const path = (req.params.path ?? "").replace(/^\/+|\/+$/g, "");
  const file = fileAt(ctx.state, repo, sha, path);
  if (file !== undefined) {
    const { sha: blob, text: content } = file;
    if (/vnd\.github(\.v3)?\.raw/.test(String(req.headers.accept ?? ""))) {
      return { status: 200, body: content, headers: { "content-type": "application/vnd.github.raw; charset=utf-8" } };
    }
    return json(200, {
      ...entry(req.urls, repo, ref, path, "file", blob, Buffer.byteLength(content)),
      content: base64Wrapped(content),
      encoding: "base64",
    });
  }
  // Not a file: list the directory's immediate children (404 when the path matches nothing).
  const prefix = path ? `${path}/` : "";
  const children = new Map<string, ReturnType<typeof entry>>();
  for (const [p, s] of files) {
    if (!p.startsWith(prefix)) continue;
    const [head, ...rest] = p.slice(prefix.length).split("/");
    const childPath = prefix + head!;
    if (rest.length)
      children.set(childPath, entry(req.urls, repo, ref, childPath, "dir", sha1(`tree:${sha}:${childPath}`), 0));
    else children.set(childPath, entry(req.urls, repo, ref, childPath, "file", s, Buffer.byteLength(repo.git.blob(s))));
  }
  if (!children.size) throw notFound();
  return json(
    200,
    [...children.values()].sort((a, b) => (a.path < b.path ? -1 : 1)),
  );
}

export const contentRoutes: Route[] = [
  { method: "GET", template: "/repos/{owner}/{repo}/contents/{path}", auth: "installation", handler: getContent },
];

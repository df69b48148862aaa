/** Human activity on a PR: review requests, reviews, dismissals and issue comments. */
import { pullByNumber } from "./actions-pulls.js";
import type { IssueComment, Review, ReviewState } from "./state.js";
import type { DeliveryRecord } from "./webhooks.js";
import { repoByName, requireUser, type World } from "./world.js";

export function requestReviews(
  w: World,
  repoName: string,
  n: number,
  who: { reviewers?: string[]; teams?: string[] },
  sender?: string,
): DeliveryRecord[] {
  const { pr } = pullByNumber(w, repoName, n);
  const by = requireUser(w, sender ?? pr.author);
  const deliveries: DeliveryRecord[] = [];
  for (const login of (who.reviewers ?? []).map((l) => requireUser(w, l))) {
    if (login.toLowerCase() === pr.author.toLowerCase())
      throw new Error("Review cannot be requested from pull request author.");
    if (pr.requestedReviewers.includes(login)) continue;
    pr.requestedReviewers.push(login);
    deliveries.push(
      ...w.emit(w.events.pullRequest("review_requested", pr, by, { requested_reviewer: w.events.user(login) })),
    );
  }
  for (const slug of (who.teams ?? []).map((t) => t.toLowerCase())) {
    if (!w.state.teams.has(slug)) throw new Error(`unknown team ${slug}`);
    if (pr.requestedTeams.includes(slug)) continue;
    pr.requestedTeams.push(slug);
    deliveries.push(
      ...w.emit(w.events.pullRequest("review_requested", pr, by, { requested_team: w.events.team(slug) })),
    );
  }
  return deliveries;
}

export interface SubmitReviewOptions {
  user: string;
  state: Exclude<ReviewState, "DISMISSED">;
  body?: string;
}

/** Reviews always target the current head, like a reviewer clicking "Submit review" in the UI. */
export function submitReview(
  w: World,
  repoName: string,
  n: number,
  o: SubmitReviewOptions,
): { reviewId: number; deliveries: DeliveryRecord[] } {
  const { repo, pr } = pullByNumber(w, repoName, n);
  const user = requireUser(w, o.user);
  if (pr.state !== "open") throw new Error(`#${n} is not open`);
  if (user.toLowerCase() === pr.author.toLowerCase() && o.state !== "COMMENTED") {
    throw new Error(`Can not ${o.state === "APPROVED" ? "approve" : "request changes on"} your own pull request`);
  }
  if (o.state !== "APPROVED" && !o.body) throw new Error(`Review body is required for ${o.state}`);
  const r: Review = {
    id: w.state.ids.review.take(),
    repoId: repo.id,
    prNumber: n,
    user,
    state: o.state,
    body: o.body ?? "",
    commitId: w.state.headSha(pr),
    submittedAt: w.now(),
  };
  w.state.reviews.push(r);
  // Submitting a review fulfils that reviewer's pending request.
  pr.requestedReviewers = pr.requestedReviewers.filter((l) => l !== user);
  pr.updatedAt = w.now();
  return { reviewId: r.id, deliveries: w.emit(w.events.review("submitted", pr, r, user)) };
}

export function dismissReview(
  w: World,
  repoName: string,
  n: number,
  reviewId: number,
  sender?: string,
): DeliveryRecord[] {
  const { pr } = pullByNumber(w, repoName, n);
  const r = w.state.reviews.find((x) => x.id === reviewId && x.prNumber === n && x.repoId === pr.repoId);
  if (!r) throw new Error(`unknown review ${reviewId}`);
  if (r.state !== "APPROVED" && r.state !== "CHANGES_REQUESTED")
    throw new Error(`Can not dismiss a ${r.state.toLowerCase()} pull request review`);
  r.state = "DISMISSED";
  return w.emit(w.events.review("dismissed", pr, r, requireUser(w, sender ?? w.defaultUser())));
}

export function addComment(
  w: World,
  repoName: string,
  n: number,
  o: { user: string; body: string },
): { commentId: number; deliveries: DeliveryRecord[] } {
  const { repo, pr } = pullByNumber(w, repoName, n);
  const user = requireUser(w, o.user);
  const at = w.now();
  const c: IssueComment = {
    id: w.state.ids.comment.take(),
    repoId: repo.id,
    issueNumber: n,
    user,
    body: o.body,
    createdAt: at,
    updatedAt: at,
    viaAppId: null,
  };
  w.state.comments.set(c.id, c);
  pr.updatedAt = at; // a comment is activity on the pull request, as on GitHub
  return { commentId: c.id, deliveries: w.emit(w.events.issueComment("created", pr, c, user)) };
}

function commentById(w: World, repoName: string, id: number): IssueComment {
  const repo = repoByName(w, repoName);
  const c = w.state.comments.get(id);
  if (!c || c.repoId !== repo.id) throw new Error(`unknown comment ${id}`);
  return c;
}

export function editComment(w: World, repoName: string, id: number, body: string, sender?: string): DeliveryRecord[] {
  const c = commentById(w, repoName, id);
  const from = c.body;
  c.body = body;
  c.updatedAt = w.now();
  const { pr } = pullByNumber(w, repoName, c.issueNumber);
  return w.emit(w.events.issueComment("edited", pr, c, requireUser(w, sender ?? c.user), { body: { from } }));
}

export function deleteComment(w: World, repoName: string, id: number, sender?: string): DeliveryRecord[] {
  const c = commentById(w, repoName, id);
  const { pr } = pullByNumber(w, repoName, c.issueNumber);
  const deliveries = w.emit(w.events.issueComment("deleted", pr, c, requireUser(w, sender ?? c.user)));
  w.state.comments.delete(id);
  return deliveries;
}

import { ProbotOctokit } from "probot";
import type { Octokit } from "../../src/github/client.js";

/** A request as the canned client saw it: its method, path (decoded, no query) and JSON body. */
export interface CannedRequest {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

/** An answer: its status (200 unless said) and JSON body; undefined is GitHub's 404. */
export type CannedAnswer = { readonly status?: number; readonly data: unknown } | undefined;

/**
 * A Probot client whose own `fetch` answers every request from `answer`, without sockets, retries or
 * throttling: for the adapter's reads against canned GitHub answers.
 */
export function cannedOctokit(answer: (req: CannedRequest) => CannedAnswer): Octokit {
  const fetch = (url: string | URL, init?: { method?: string; body?: unknown }) => {
    const path = decodeURIComponent(new URL(String(url)).pathname);
    const body = typeof init?.body === "string" ? (JSON.parse(init.body) as unknown) : undefined;
    const found = answer({ method: init?.method ?? "GET", path, body });
    const res = new Response(JSON.stringify(found ? found.data : { message: "Not Found" }), {
      status: found ? (found.status ?? 200) : 404,
      headers: { "content-type": "application/json" },
    });
    // Octokit's pagination reads the answer's URL, which a constructed Response does not have.
    return Promise.resolve(Object.defineProperty(res, "url", { value: String(url) }));
  };
  return new ProbotOctokit({
    auth: { token: "t" },
    request: { fetch },
    retry: { enabled: false },
    throttle: { enabled: false },
  });
}

/** Shared setup for simulator tests: a started simulator with people, an installation Octokit, a webhook sink. */
import { createSign, generateKeyPairSync, timingSafeEqual, type KeyObject } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Octokit } from "@octokit/rest";
import { GitHubSimulator, type SimulatorOptions } from "../../src/simulator/index.js";
import { signature } from "../helpers/webhook-headers.js";

export const SECRET = "webhook-secret";

export function signJwt(privateKey: KeyObject, claims: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const data = `${enc({ alg: "RS256", typ: "JWT" })}.${enc(claims)}`;
  return `${data}.${createSign("RSA-SHA256").update(data).sign(privateKey).toString("base64url")}`;
}

export function appJwt(privateKey: KeyObject, appId = 1): string {
  const now = Math.floor(Date.now() / 1000);
  return signJwt(privateKey, { iat: now - 30, exp: now + 540, iss: appId });
}

let keys: { privateKey: KeyObject; publicKey: KeyObject } | undefined;
/** One RSA key pair per test file: generating them is the slowest part of auth tests. */
export function appKeys(): { privateKey: KeyObject; publicKey: KeyObject } {
  keys ??= generateKeyPairSync("rsa", { modulusLength: 2048 });
  return keys;
}

/** A simulator with validation on, an org "acme", users alice/bob/carol and a repo "demo". */
export async function startSim(opts: SimulatorOptions = {}): Promise<GitHubSimulator> {
  const sim = new GitHubSimulator({
    validation: true,
    ...opts,
    app: { id: 42, slug: "parallel-review", publicKey: appKeys().publicKey, ...opts.app },
  });
  await sim.start();
  for (const login of ["alice", "bob", "carol"])
    sim.createUser(login, { name: login[0]!.toUpperCase() + login.slice(1) });
  sim.createRepo("demo", { files: { "README.md": "# demo\n", "reviewers.yml": "reviewers:\n  - security\n" } });
  return sim;
}

/** Octokit without the request-log plugin's console noise for expected 4xx/5xx answers. */
export function octokit(baseUrl: string, auth?: string): Octokit {
  const quiet = () => {};
  return new Octokit({
    baseUrl,
    ...(auth ? { auth } : {}),
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
  });
}

export async function installationOctokit(sim: GitHubSimulator, baseUrl = sim.apiUrl): Promise<Octokit> {
  const app = octokit(baseUrl, appJwt(appKeys().privateKey, 42));
  const { data } = await app.request("POST /app/installations/{installation_id}/access_tokens", { installation_id: 1 });
  return octokit(baseUrl, data.token);
}

/** Opens PR #1 in demo: alice's branch "feature" changing README and adding src/a.ts. */
export async function openFeaturePr(sim: GitHubSimulator): Promise<{ number: number; headSha: string }> {
  await sim.createBranch("demo", "feature", {
    files: { "README.md": "# demo\nmore\n", "src/a.ts": "export const a = 1;\n" },
    author: "alice",
  });
  return sim.openPullRequest("demo", { title: "Add a", head: "feature", author: "alice" });
}

/** What most test files start from: a simulator, an installation client, and PR #1 open. */
export async function featurePr(
  prepare?: (sim: GitHubSimulator) => void,
): Promise<{ sim: GitHubSimulator; gh: Octokit; pr: { number: number; headSha: string } }> {
  const sim = await startSim();
  const gh = await installationOctokit(sim);
  prepare?.(sim);
  return { sim, gh, pr: await openFeaturePr(sim) };
}

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  payload: Record<string, any>;
}

/** A tiny app stand-in: records deliveries and answers with `status` (optionally after `delayMs`). */
export async function webhookSink(
  opts: { status?: number; delayMs?: number } = {},
): Promise<{ url: string; received: Received[]; close(): Promise<void>; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      received.push({ headers: req.headers, body, payload: JSON.parse(body) as Record<string, any> });
      setTimeout(() => res.writeHead(opts.status ?? 200).end("ok"), opts.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
  return {
    url,
    received,
    server,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export function validSignature(r: Received, secret = SECRET): boolean {
  const header = String(r.headers["x-hub-signature-256"] ?? "");
  const expected = signature(secret, r.body);
  return header.length === expected.length && timingSafeEqual(Buffer.from(header), Buffer.from(expected));
}

/** Octokit rejects non-2xx; this captures status/body/headers for assertions on error responses. */
export async function failure(
  p: Promise<unknown>,
): Promise<{ status: number; data: any; headers: Record<string, string | undefined> }> {
  try {
    await p;
  } catch (e) {
    const err = e as { status: number; response?: { data: unknown; headers: Record<string, string | undefined> } };
    return { status: err.status, data: err.response?.data, headers: err.response?.headers ?? {} };
  }
  throw new Error("expected the request to fail");
}

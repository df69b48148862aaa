/**
 * The world of the end-to-end benchmark: the bundled `reviewers.yml` as `.github/reviewers.yml`, the
 * teams of its personas (one reviewer each, src/bench/e2e-people.ts) and the others (empty), and one
 * branch per pull request adding `src/payments/charge-<i>.ts` (F = 1 file, P = 3 personas).
 */
import { readFileSync } from "node:fs";
import { GitHubSimulator, type DeliveryRecord } from "../simulator/index.js";
import type { RequestLogEntry } from "../simulator/server.js";
import { PERSONAS, REPO } from "./e2e-people.js";

export interface WorldConfig {
  readonly latencyMs: number;
  readonly appId: number;
  readonly publicKey: string;
  readonly secret: string;
  /** Branches pr-0 … pr-(n-1), one per pull request the phase opens. */
  readonly branches: number;
}

export async function buildWorld(
  config: WorldConfig,
  hooks: { onDelivery: (r: DeliveryRecord) => void; onRequest: (e: RequestLogEntry) => void },
): Promise<GitHubSimulator> {
  const sim = new GitHubSimulator({
    webhookMode: "queue",
    rateLimit: 1_000_000_000, // the primary rate limit is not what is measured
    echoAppEvents: true, // GitHub tells the app about its own writes too
    app: { id: config.appId, slug: "parallel-review", publicKey: config.publicKey, webhookSecret: config.secret },
    ...hooks,
  });
  await sim.start();
  // No webhook URL: the simulator records each delivery and the harness sends it (concurrently).
  sim.configureApp({ webhookUrl: undefined });
  const table = readFileSync(new URL("../../reviewers.yml", import.meta.url), "utf8");
  for (const u of ["carol", ...PERSONAS.map((p) => p.reviewer)]) sim.createUser(u);
  for (const p of PERSONAS) sim.createTeam(p.id, { members: [p.reviewer] });
  for (const t of ["platform", "devex", "frontend", "marketing", "design"]) sim.createTeam(t, { members: [] });
  sim.createRepo(REPO, {
    files: {
      ".github/reviewers.yml": table,
      "src/payments/charge.ts": "export const charge = () => 1;\n",
      "README.md": "# shop\n",
    },
  });
  for (let i = 0; i < config.branches; i++)
    await sim.createBranch(REPO, `pr-${i}`, {
      author: "carol",
      files: { [`src/payments/charge-${i}.ts`]: `export const charge${i} = () => ${i};\n` },
    });
  await sim.idle({ timeoutMs: 60_000 });
  sim.faults.set({ latencyMs: config.latencyMs });
  return sim;
}

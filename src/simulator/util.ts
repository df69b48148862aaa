/** Small helpers shared by the simulator: ids, shas, timestamps, seeded randomness. */
import { createHash } from "node:crypto";

export const sha1 = (data: string | Buffer): string => createHash("sha1").update(data).digest("hex");

/** Git's real blob id, so `sha` values from the contents API look (and are) like GitHub's. */
export const blobSha = (content: string): string =>
  sha1(Buffer.concat([Buffer.from(`blob ${Buffer.byteLength(content)}\0`), Buffer.from(content)]));

/** Legacy GitHub node ids are base64("<len>:<Type><id>"); apps only treat them as opaque strings. */
export const nodeId = (type: string, id: number): string =>
  Buffer.from(`${String(type.length).padStart(2, "0")}:${type}${id}`).toString("base64");

/** The type and database id a node id of `nodeId` names, or undefined for anything else. */
export function parseNodeId(id: string): { type: string; id: number } | undefined {
  const text = Buffer.from(id, "base64").toString("utf8");
  const m = /^(\d{2}):/.exec(text);
  if (!m) return undefined;
  const type = text.slice(3, 3 + Number(m[1]));
  const rest = text.slice(3 + Number(m[1]));
  return /^[A-Za-z]+$/.test(type) && /^\d+$/.test(rest) && nodeId(type, Number(rest)) === id
    ? { type, id: Number(rest) }
    : undefined;
}

/** GitHub timestamps have second precision and a literal Z. */
export const isoSeconds = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** Monotonic id sequences with GitHub-like magnitudes, so ids of different kinds never collide by accident. */
export class IdSequence {
  private next: number;
  constructor(start: number) {
    this.next = start;
  }
  take(): number {
    return this.next++;
  }
}

/** mulberry32: deterministic randomness so fault-injection scenarios are reproducible from a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const countLines = (text: string): number =>
  text === "" ? 0 : text.split("\n").length - (text.endsWith("\n") ? 1 : 0);

/** GitHub wraps base64 content at 60 columns; apps that forget to strip newlines break on real GitHub too. */
export function base64Wrapped(content: string): string {
  const b64 = Buffer.from(content).toString("base64");
  return (b64.match(/.{1,60}/g) ?? []).map((l) => l + "\n").join("");
}

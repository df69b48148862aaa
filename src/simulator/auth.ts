/**
 * GitHub App authentication as GitHub does it: an RS256 JWT (iss = app id) for /app endpoints,
 * exchanged for short-lived installation tokens (ghs_…) that every other endpoint requires.
 */
import { createPublicKey, randomBytes, verify, type KeyObject } from "node:crypto";
import { HttpError, type ApiRequest } from "./http.js";
import type { InstallationToken, State } from "./state.js";

const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;
export const TOKEN_TTL_MS = 60 * 60 * 1000;

export function toPublicKey(key: string | KeyObject | undefined): KeyObject | undefined {
  if (!key) return undefined;
  // createPublicKey accepts a private key PEM too, so callers can pass the app's private key directly.
  return typeof key === "string" ? createPublicKey(key) : key.type === "private" ? createPublicKey(key) : key;
}

const b64json = (part: string): Record<string, unknown> => {
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    throw new HttpError(401, "A JSON web token could not be decoded");
  }
};

/** Without a configured key any JWT-looking token is accepted; with one, signature and claims are checked. */
export function verifyAppJwt(token: string, state: State, publicKey: KeyObject | undefined, nowMs: number): number {
  const [h, p, sig] = token.split(".") as [string, string, string];
  const header = b64json(h);
  const claims = b64json(p);
  if (!publicKey) return state.appId;
  if (header.alg !== "RS256") throw new HttpError(401, "A JSON web token could not be decoded");
  if (!verify("RSA-SHA256", Buffer.from(`${h}.${p}`), publicKey, Buffer.from(sig, "base64url"))) {
    throw new HttpError(401, "A JSON web token could not be decoded");
  }
  const now = Math.floor(nowMs / 1000);
  if (typeof claims.iat !== "number" || claims.iat > now + 60) {
    throw new HttpError(
      401,
      "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued.",
    );
  }
  if (typeof claims.exp !== "number" || claims.exp < now) {
    throw new HttpError(
      401,
      "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.",
    );
  }
  if (claims.exp - claims.iat > 660)
    throw new HttpError(401, "'Expiration time' claim ('exp') is too far in the future.");
  const app = state.app;
  if (String(claims.iss) !== String(app.id) && claims.iss !== app.clientId) {
    throw new HttpError(401, `'Issuer' claim ('iss') must be an Integer or the client id of the GitHub App.`);
  }
  return app.id;
}

export function issueToken(state: State, nowMs: number): InstallationToken {
  const token: InstallationToken = {
    token: `ghs_${randomBytes(27).toString("base64url").slice(0, 36)}`,
    installationId: state.installationId,
    expiresAt: nowMs + TOKEN_TTL_MS,
  };
  state.tokens.set(token.token, token);
  return token;
}

/** Parses `Authorization: token X` / `Bearer X` into the caller's identity; never throws for unknown tokens. */
export function authenticate(
  header: string | undefined,
  state: State,
  publicKey: KeyObject | undefined,
  nowMs: number,
): ApiRequest["auth"] {
  const m = /^(?:token|bearer)\s+(\S+)$/i.exec(header ?? "");
  if (!m) return { kind: "none" };
  const credential = m[1]!;
  if (JWT_SHAPE.test(credential)) return { kind: "app", appId: verifyAppJwt(credential, state, publicKey, nowMs) };
  const t = state.tokens.get(credential);
  if (!t || t.expiresAt <= nowMs) return { kind: "none" };
  return { kind: "installation", installationId: t.installationId };
}

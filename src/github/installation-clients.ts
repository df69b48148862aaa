import { Context } from "probot";
import { currentLogContext } from "../service/logger.js";

/**
 * Probot builds a new Octokit for every delivery (its `event-octokit` auth): a client with every plugin,
 * hook and REST-method proxy set up again, thrown away when the delivery is handled. This Octokit plugin
 * keeps one client per installation instead (at most 256, the least recently used dropped first), for
 * the app-level client Probot asks.
 *
 * Probot's `Context` adds a request hook to a client the first time it sees it, which stamps that
 * delivery's id on the client's requests (`x-github-delivery`, for GitHub Support) and so would keep the
 * first delivery's whole payload alive as long as the client is kept, and label every later request with
 * its id. A kept client carries Probot's mark that the hook is there, and a hook of its own that stamps
 * the id of the delivery being handled (the log context: src/service/logger.ts). Should a Probot version
 * no longer mark its clients that way, nothing is kept: one client per delivery, as Probot does.
 *
 * Who else could make this true (docs/security.md): the key is the installation id of a delivery whose
 * signature was checked, and the client is the one Probot would have built for that id (the same
 * options; its token comes from the app's token cache on every request, as before), so no delivery is
 * handed another installation's client.
 */
export const MAX_KEPT_CLIENTS = 256;

type Auth = (options?: unknown) => Promise<unknown>;

interface EventOctokitAuth {
  readonly type: "event-octokit";
  readonly event: {
    readonly name: string;
    readonly payload: { readonly action?: unknown; readonly installation?: { readonly id?: unknown } };
  };
}

interface HookedClient {
  hook: { before(name: "request", fn: (options: { headers: Record<string, string> }) => void): void };
}

/**
 * The symbol Probot's `Context` marks a client with once it added its request hook: the one symbol it
 * sets, to `true`, on a client it sees for the first time (null when it does not set exactly that).
 */
export function probotHookMark(ContextClass: new (...args: never[]) => unknown = Context): symbol | null {
  const probe: HookedClient = { hook: { before: () => undefined } };
  new ContextClass({ id: "", name: "ping", payload: {} } as never, probe as never, undefined as never);
  const marks = Object.getOwnPropertySymbols(probe);
  return marks.length === 1 && (probe as unknown as Record<symbol, unknown>)[marks[0]!] === true ? marks[0]! : null;
}

const PROBOT_HOOK_MARK = probotHookMark();

export function installationClients(
  octokit: { auth: Auth },
  _options?: unknown,
  max = MAX_KEPT_CLIENTS,
  mark: symbol | null = PROBOT_HOOK_MARK,
): { auth: Auth } {
  const auth = octokit.auth;
  if (mark === null) return { auth };
  // Insertion order is recency: a use moves the client to the end, the first is the least recently used.
  const kept = new Map<number, Promise<unknown>>();
  return {
    auth: (options?: unknown) => {
      if (!isEventAuth(options)) return auth(options);
      const { name, payload } = options.event;
      const id = payload.installation?.id;
      if (typeof id !== "number") return auth(options);
      // Probot answers these with an unauthenticated client; none is kept past them.
      if (name === "installation" && (payload.action === "deleted" || payload.action === "suspend")) {
        kept.delete(id);
        return auth(options);
      }
      let client = kept.get(id);
      if (client) kept.delete(id);
      else {
        client = auth(options).then((c) => stamped(c as HookedClient, mark));
        // A client that could not be built is not kept: the next delivery asks again.
        client.catch(() => kept.get(id) === client && kept.delete(id));
      }
      kept.set(id, client);
      if (kept.size > max) kept.delete(kept.keys().next().value!);
      return client;
    },
  };
}

/** The kept client: Probot's hook marked as added, the delivery's id stamped by this one instead. */
function stamped(client: HookedClient, mark: symbol): HookedClient {
  client.hook.before("request", (options) => {
    const delivery = currentLogContext()?.delivery;
    if (delivery) options.headers["x-github-delivery"] = delivery;
  });
  (client as unknown as Record<symbol, boolean>)[mark] = true;
  return client;
}

function isEventAuth(options: unknown): options is EventOctokitAuth {
  return (options as { type?: unknown } | null | undefined)?.type === "event-octokit";
}

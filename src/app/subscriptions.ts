import type { ApplicationFunction, Probot } from "probot";

/**
 * Which deliveries the app handles, recorded from the handlers it registers (`app.on(...)` in
 * src/app/router.ts and src/app/heal.ts) — not a hand-kept list that could drift from them.
 *
 * The server answers any other delivery at once, before parsing it (src/server.ts): GitHub sends the
 * app webhooks about its own check runs and review requests, and events of the subscription no handler
 * wants; parsing each costs more CPU than anything else about it. A delivery is only skipped when no
 * handler would have run for it, so dropping never changes what the app decides.
 */
export class Subscriptions {
  /** Events handled whatever their action ("push"). */
  private readonly events = new Set<string>();
  /** "event.action" pairs ("pull_request.opened"). */
  private readonly actions = new Set<string>();
  private any = false;

  /** Wraps an app function so that every handler it registers is recorded here. */
  record(appFn: ApplicationFunction): ApplicationFunction {
    return (app, options) => appFn(this.recording(app), options);
  }

  /** The subscriptions of an app function, registered against a stand-in (nothing is loaded). */
  static of(appFn: ApplicationFunction): Subscriptions {
    const subs = new Subscriptions();
    const stub = {
      on: () => undefined,
      onAny: () => undefined,
      onError: () => undefined,
      log: { info: () => undefined, warn: () => undefined, debug: () => undefined, error: () => undefined },
    } as unknown as Probot;
    void subs.record(appFn)(stub, { cwd: process.cwd(), addHandler: () => undefined });
    return subs;
  }

  /**
   * Whether a delivery may reach a handler. `action` is the payload's top-level action when it could be
   * read without parsing; when it could not (undefined), any subscribed action of the event counts.
   */
  handles(event: string, action: string | undefined): boolean {
    if (this.any || this.events.has(event)) return true;
    if (action !== undefined) return this.actions.has(`${event}.${action}`);
    return [...this.actions].some((a) => a.startsWith(`${event}.`));
  }

  /** What is recorded, for logs and tests. */
  list(): string[] {
    return this.any ? ["*"] : [...this.events, ...this.actions].sort();
  }

  private add(names: string | readonly string[]): void {
    for (const name of typeof names === "string" ? [names] : names) {
      if (name === "*") this.any = true;
      else if (name.includes(".")) this.actions.add(name);
      else this.events.add(name);
    }
  }

  private recording(app: Probot): Probot {
    return new Proxy(app, {
      get: (target, prop) => {
        if (prop === "on")
          return (names: string | string[], handler: unknown) => {
            this.add(names);
            return (target.on as (n: unknown, h: unknown) => unknown)(names, handler);
          };
        if (prop === "onAny")
          return (handler: unknown) => {
            this.any = true;
            return (target.onAny as (h: unknown) => unknown)(handler);
          };
        const value: unknown = Reflect.get(target, prop, target);
        // Probot keeps its state in private fields: its methods must run on the Probot itself.
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
}

/**
 * The payload's top-level `action`, read from the first bytes without parsing the body: GitHub writes
 * `action` as the first key of every payload that has one, and the body is signed by GitHub (checked
 * before this is used), so a first key `"action"` is the top-level one. Undefined when the body does not
 * start that way (then the delivery is parsed as usual).
 */
export function leadingAction(body: Buffer): string | undefined {
  const head = body.subarray(0, 200).toString("latin1");
  const m = /^\s*\{\s*"action"\s*:\s*"([a-z_]{1,64})"\s*[,}]/.exec(head);
  return m?.[1];
}

/**
 * The payload's `installation.id`, found from the end without parsing the body: GitHub writes `installation`
 * (`{"id": …, "node_id": …}`) among the last top-level keys of an app's payloads. Text a user wrote cannot pose
 * as it: a quote inside a string is escaped, so a string ending in `"installation` reads `\"installation"`
 * followed by no colon, and the search goes on to an earlier one. Undefined when there is none. Used for
 * fairness between installations (admission), never for a decision: a nested `installation` found first only
 * misplaces one delivery's turn.
 */
export function trailingInstallation(body: Buffer): number | undefined {
  const INSTALLATION = '"installation"';
  for (let at = body.lastIndexOf(INSTALLATION); at >= 0; at = at > 0 ? body.lastIndexOf(INSTALLATION, at - 1) : -1) {
    const m = /^"installation"\s*:\s*\{\s*"id"\s*:\s*(\d{1,15})\b/.exec(body.subarray(at, at + 80).toString("latin1"));
    if (m) return Number(m[1]);
  }
  return undefined;
}

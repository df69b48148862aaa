import { createApp } from "./app/router.js";

/** The Probot app, for `probot run ./lib/index.js` or any Probot host; `npm start` serves it through src/server.ts. */
export default createApp();

export { createApp } from "./app/router.js";
export type { AppOptions } from "./app/router.js";

import { createApp } from "./app/router.js";

/** The Probot app: `probot run ./lib/index.js` (npm start) loads this default export. */
export default createApp();

export { createApp } from "./app/router.js";
export type { AppOptions } from "./app/router.js";

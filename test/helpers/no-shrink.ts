import fc from "fast-check";

/**
 * Loaded only by `npm run test:mutation` (scripts/mutation.mjs): a property that fails on a mutant has done its
 * job at the first counterexample, so fast-check skips shrinking it to a minimal one.
 */
fc.configureGlobal({ ...fc.readConfigureGlobal(), endOnFailure: true });

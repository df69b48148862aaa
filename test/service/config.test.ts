import { describe, expect, test } from "@jest/globals";
import { serviceConfig } from "../../src/service/serve.js";

/** `npm start`'s settings from the environment: defaults, and a clear error for a value that cannot be. */
describe("serviceConfig: how much at once", () => {
  const base = { APP_ID: "7", WEBHOOK_SECRET: "s", PRIVATE_KEY: "k" };

  test("128 deliveries and 128 reconciles at once, 16 of one installation, unless set", () => {
    expect(serviceConfig(base)).toMatchObject({
      maxConcurrentDeliveries: 128,
      maxConcurrentReconciles: 128,
      maxReconcilesPerInstallation: 16,
    });
    expect(serviceConfig({ ...base, MAX_RECONCILES_PER_INSTALLATION: "4" }).maxReconcilesPerInstallation).toBe(4);
    expect(serviceConfig({ ...base, MAX_CONCURRENT_DELIVERIES: "32", MAX_CONCURRENT_RECONCILES: "" })).toMatchObject({
      maxConcurrentDeliveries: 32,
      maxConcurrentReconciles: 128,
    });
  });

  test("zero, negative or not a whole number: refused, naming the setting and the value", () => {
    expect(() => serviceConfig({ ...base, MAX_CONCURRENT_RECONCILES: "0" })).toThrow(
      'MAX_CONCURRENT_RECONCILES is "0": it must be at least 1 (how many at once)',
    );
    expect(() => serviceConfig({ ...base, MAX_RECONCILES_PER_INSTALLATION: "0" })).toThrow(
      'MAX_RECONCILES_PER_INSTALLATION is "0": it must be at least 1 (how many at once)',
    );
    expect(() => serviceConfig({ ...base, MAX_CONCURRENT_DELIVERIES: "-2" })).toThrow(
      'MAX_CONCURRENT_DELIVERIES is "-2": it must be a whole number',
    );
    expect(() => serviceConfig({ ...base, MAX_CONCURRENT_DELIVERIES: "1.5" })).toThrow(
      'MAX_CONCURRENT_DELIVERIES is "1.5": it must be a whole number',
    );
  });
});

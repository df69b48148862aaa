/** The repository and the personas (with their one reviewer each) of the end-to-end benchmarks. */
export const REPO = "shop";
export const PERSONAS = [
  { id: "backend", reviewer: "bob" },
  { id: "security", reviewer: "sam" },
  { id: "finance", reviewer: "fiona" },
] as const;

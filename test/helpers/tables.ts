/** The review table most app tests use: payments → Backend + Security + Finance, IAM → Security. */
export const TABLE = `version: 1
personas:
  backend:
    name: Backend Engineer
    teams: [backend]
    criteria: [No breaking API change]
  security:
    name: Security Engineer
    teams: [security]
  finance:
    name: Finance
    users: [fiona]
domains:
  payments:
    description: Payment processing
    paths: ["src/payments/"]
    require:
      backend: [Error handling comprehensive]
      security: [PCI compliance verified]
      finance: [Refund logic correct]
  iam:
    paths: ["*.tf"]
    require: [security]
settings:
  config_owners: [security]
`;

/** The smallest table with two team personas on one domain: payments → Backend + Security. */
export const TWO_TEAMS = `version: 1
personas:
  backend: { name: Backend Engineer, teams: [backend] }
  security: { name: Security Engineer, teams: [security] }
domains:
  payments:
    paths: ["src/payments/"]
    require: [backend, security]
`;

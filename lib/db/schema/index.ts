export * from "./approvals";
export * from "./assets";
export * from "./credit-ledger";
export * from "./engine";
export * from "./job-events";
export * from "./jobs";
export * from "./segments";
export * from "./users";

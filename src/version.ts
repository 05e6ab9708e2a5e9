/** Sluice's version, reported by `GET /version` and `sluice --version`. */
export const VERSION = "0.1.0";

// Filled in by the database test harness (template PGlite, per-run PostgreSQL databases).
export default function setup(): void {}

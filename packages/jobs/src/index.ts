// Placeholder until this package is built (see docs/ROADMAP.md); it exports nothing yet.
export {};

"""The scale benchmark: a synthetic Konfig generator and a runner (docs/performance.md)."""

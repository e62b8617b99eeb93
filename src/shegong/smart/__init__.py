"""Smart help for appeals (issue 5): classification with learning from dispatchers, routing suggestions,
duplicates, and hotspots (未诉先办) — on the CPU, offline (docs/smart.md)."""

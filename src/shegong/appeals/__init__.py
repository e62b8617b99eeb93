"""诉求办理: gig workers' appeals from filing to rating (domain spec: shared/domain/appeals.md)."""

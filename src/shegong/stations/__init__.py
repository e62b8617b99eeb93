"""暖"新"驿站: rest points for gig workers, nearest open first."""

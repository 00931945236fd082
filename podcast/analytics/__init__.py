"""Downloads: counted by IAB rules, kept private, reported as rollups."""

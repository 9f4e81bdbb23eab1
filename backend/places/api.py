"""What other domains may use of places: where a resident lives, what an estate, grid or alliance
is, and which of them a point on the map falls in. Everything else in the package is private."""

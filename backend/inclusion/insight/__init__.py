"""What the city learns and residents are shown: participation statistics, recommendations and
the opt-in leaderboards."""

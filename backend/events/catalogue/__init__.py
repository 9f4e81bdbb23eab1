"""The catalogue: venues, events and their recurring series, the fixed vocabulary, browsing (and
its cache) and posters."""

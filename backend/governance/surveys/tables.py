"""Tables of governance surveys."""

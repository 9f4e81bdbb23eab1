"""Tables of governance meetings."""

"""Shifts: planned by a team's coordinators, taken by its volunteers; attendance on them (check-in,
checkpoint scans, check-out) and the chores that close forgotten check-outs and mark no-shows."""

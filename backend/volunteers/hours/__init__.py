"""The hours ledger: entries from attended shifts, claims and corrections, verified by a team's
coordinators; the monthly sheet; the service record issued from verified hours, and its check."""

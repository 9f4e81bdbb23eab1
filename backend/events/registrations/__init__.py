"""Registrations: sign-up and the waitlist, cancellation, tickets and the door (check-in,
no-shows), and the organiser's list of who signed up."""

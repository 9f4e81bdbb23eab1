"""Calendars: one event as an iCalendar file, and a resident's secret calendar feed."""

"""Incidents: what patrols and residents report, routed to the party that must act (居·物·业·警·民),
and every change of their status.

Self-contained, with its own tables and Piccolo app, so it can move under a later domain: it uses
the rest of volunteers only through ``teams.guards`` (who coordinates a team or a community),
``shifts.queries.load_shift`` (the shift a report came from) and the ``IncidentChanged`` signal;
of other domains it reads accounts' and places' ``api`` (where a report falls: its estate and grid).
"""

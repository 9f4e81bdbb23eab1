"""Governance: the community's self-governance (居民自治). The four meetings (四会) and the property
management joint meeting, built on events, with residents' submissions before, minutes, decisions
and follow-up actions after, and the public board (居务公开); surveys, votes and advisory owners'
polls; yearly evaluations (民主评议) of property companies and the residents' committee.

Three sub-packages, each with its own tables and Piccolo app: ``incidents`` (reports and their
routing to the party that must act, moved here from volunteers with their API paths and data),
``meetings`` (meetings, submissions, minutes, decisions, actions, the board) and ``surveys``
(surveys, votes, polls, evaluations).
"""

from backend.core.domain import Chore, Domain, PrivacyPart
from backend.governance import demo, privacy
from backend.governance.incidents import controllers as incident_controllers
from backend.governance.meetings import controllers as meeting_controllers
from backend.governance.meetings import listeners as meeting_listeners
from backend.governance.surveys import controllers as survey_controllers
from backend.governance.surveys import services as survey_services

DOMAIN = Domain(
    name="governance",
    builds_on=("core", "accounts", "places", "events", "libraries", "volunteers", "inclusion"),
    # incidents keeps its app's name and tables from when it lived under volunteers: nothing moves in the database.
    piccolo_apps=(
        "backend.governance.incidents.piccolo_app",
        "backend.governance.meetings.piccolo_app",
        "backend.governance.surveys.piccolo_app",
    ),
    routes=lambda settings: (
        *incident_controllers.CONTROLLERS,
        *meeting_controllers.CONTROLLERS,
        *survey_controllers.CONTROLLERS,
    ),
    listeners=meeting_listeners.LISTENERS,
    # A survey that opens later than it was made is announced by this chore when its time comes.
    chores=(Chore("announce_surveys", survey_services.announce_opened, cron="*/5 * * * *"),),
    privacy=PrivacyPart(export=privacy.export_governance, erase=privacy.erase_governance),
    seed_demo=demo.seed,
    tags=(
        ("incidents", "What patrols and residents report, routed to the party that must act"),
        ("meetings", "The four meetings, residents' submissions, minutes, decisions and the public board"),
        ("surveys", "Surveys, votes, owners' polls and evaluations of services"),
    ),
)

"""Governance: the community's self-governance (居民自治). The four meetings (四会) and the property
management joint meeting, built on events, with residents' submissions before, minutes, decisions
and follow-up actions after, and the public board (居务公开); surveys, votes and advisory owners'
polls; yearly evaluations (民主评议) of property companies and the residents' committee.

Two sub-packages, each with its own tables and Piccolo app: ``meetings`` (meetings, submissions,
minutes, decisions, actions, the board) and ``surveys`` (surveys, votes, polls, evaluations).
"""

from backend.core.domain import Domain, PrivacyPart
from backend.governance import demo, privacy
from backend.governance.meetings import controllers as meeting_controllers
from backend.governance.meetings import listeners as meeting_listeners
from backend.governance.surveys import controllers as survey_controllers

DOMAIN = Domain(
    name="governance",
    builds_on=("core", "accounts", "places", "events", "libraries", "volunteers", "inclusion"),
    piccolo_apps=("backend.governance.meetings.piccolo_app", "backend.governance.surveys.piccolo_app"),
    routes=lambda settings: (*meeting_controllers.CONTROLLERS, *survey_controllers.CONTROLLERS),
    listeners=meeting_listeners.LISTENERS,
    privacy=PrivacyPart(export=privacy.export_governance, erase=privacy.erase_governance),
    seed_demo=demo.seed,
    tags=(
        ("meetings", "The four meetings, residents' submissions, minutes, decisions and the public board"),
        ("surveys", "Surveys, votes, owners' polls and evaluations of services"),
    ),
)

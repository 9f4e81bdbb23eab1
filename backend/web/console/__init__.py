"""The staff console under ``/console``: pages that call the same services and permission checks
as the API, for administrators, organisers and library staff (``edge`` says how it is guarded)."""

from __future__ import annotations

from litestar import Router

from backend.core.auth import SESSION_COOKIE_PATH
from backend.web.console.account_controllers import AccountController, SignInController
from backend.web.console.admin_controllers import ADMIN_CONTROLLERS
from backend.web.console.counter_controllers import CounterController
from backend.web.console.counter_rewards_controllers import RewardsController
from backend.web.console.edge import EXCEPTION_HANDLERS, check_csrf
from backend.web.console.events_controllers import EventsController
from backend.web.console.events_door_controllers import DoorController, SignUpsController
from backend.web.console.home_controllers import HomeController
from backend.web.console.libraries_controllers import LibrariesController
from backend.web.console.meetings_controllers import MeetingsController
from backend.web.console.reports_controllers import ReportsController
from backend.web.console.reports_routing_controllers import RoutingController
from backend.web.console.statistics_controllers import StatisticsController
from backend.web.console.surveys_controllers import SurveysController
from backend.web.console.text_controllers import TextController
from backend.web.console.volunteers_controllers import VolunteersController
from backend.web.console.volunteers_copy_controllers import CopyWeekController
from backend.web.console.volunteers_ledger_controllers import LedgerController
from backend.web.console.volunteers_routes_controllers import RoutesController
from backend.web.console.volunteers_teams_controllers import TeamsController


def console_router() -> Router:
    """Every console room. Its ``before_request`` (the CSRF check) stands in for the API's input
    check, which answers in JSON; the console's pages take typed parameters and forms only."""
    return Router(
        path=SESSION_COOKIE_PATH,
        route_handlers=[
            SignInController,
            AccountController,
            HomeController,
            TextController,
            EventsController,
            SignUpsController,
            DoorController,
            LibrariesController,
            ReportsController,
            MeetingsController,
            SurveysController,
            VolunteersController,
            TeamsController,
            RoutesController,
            CopyWeekController,
            LedgerController,
            RoutingController,
            CounterController,
            RewardsController,
            StatisticsController,
            *ADMIN_CONTROLLERS,
        ],
        before_request=check_csrf,
        exception_handlers=dict(EXCEPTION_HANDLERS),
        include_in_schema=False,
    )

"""The administrators' rooms (issue 17 and the audit log of issue 18): the organisation tree,
staff accounts and their roles, the invitation page, and the audit log. One list for the
console's router."""

from __future__ import annotations

from backend.web.console.admin_audit_controllers import AdminAuditController
from backend.web.console.admin_invite_controllers import AdminInviteController
from backend.web.console.admin_organisation_controllers import AdminOrganisationController
from backend.web.console.admin_staff_controllers import AdminStaffController

ADMIN_CONTROLLERS = [AdminOrganisationController, AdminStaffController, AdminInviteController, AdminAuditController]

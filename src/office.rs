//! The back office: the supervisors' board, an agent's connection log, the reports and
//! the admin pages (and, outside the shell, the page where a user changes their
//! password), in the same shell as the desktop (top bar, status, call bar). Built as a
//! bundle of its own (`office.html`, served below `/office/`) so that agents never load
//! these pages' code; which paths are its own is `agentdesk_protocol::apps`. Signing in
//! happens in the desktop, which comes back here afterwards.

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

use crate::pages::admin::AdminPage;
use crate::pages::audit::AuditPage;
use crate::pages::board::{AgentLogPage, BoardPage};
use crate::pages::followups::FollowUpsPage;
use crate::pages::integrations::IntegrationsPage;
use crate::pages::password::PasswordPage;
use crate::pages::reports::ReportsPage;
use crate::pages::statuses::StatusesPage;
use crate::pages::teams::TeamsPage;
use crate::pages::users::UsersPage;
use crate::shell::{NotFound, Shell, provide_desktop};

#[component]
pub fn OfficeApp() -> impl IntoView {
    provide_desktop();
    view! {
        <Router>
            <Routes fallback=NotFound>
                // Outside the shell: until a temporary password is replaced the server
                // answers nothing the shell needs.
                <Route path=path!("account/password") view=PasswordPage />
                <ParentRoute path=path!("") view=Shell>
                    <Route path=path!("board") view=BoardPage />
                    <Route path=path!("board/agents/:id") view=AgentLogPage />
                    <Route path=path!("admin/crm") view=AdminPage />
                    <Route path=path!("admin/followups") view=FollowUpsPage />
                    <Route path=path!("admin/users") view=UsersPage />
                    <Route path=path!("admin/audit") view=AuditPage />
                    <Route path=path!("admin/teams") view=TeamsPage />
                    <Route path=path!("admin/statuses") view=StatusesPage />
                    <Route path=path!("admin/integrations") view=IntegrationsPage />
                    <Route path=path!("reports") view=ReportsPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

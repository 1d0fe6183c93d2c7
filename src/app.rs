//! The desktop every user loads: sign-in, contacts, the contact page, the uContact
//! launch link. The back office's pages are in `office` (a bundle of their own).

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::path;

use crate::pages::contact::ContactPage;
use crate::pages::contacts::ContactsPage;
use crate::pages::launch::LaunchPage;
use crate::pages::login::LoginPage;
use crate::shell::{NotFound, Shell, provide_desktop};

#[component]
pub fn App() -> impl IntoView {
    provide_desktop();
    view! {
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/login") view=LoginPage />
                <ParentRoute path=path!("") view=Shell>
                    <Route path=path!("") view=|| view! { <Redirect path="/contacts" /> } />
                    <Route path=path!("contacts") view=ContactsPage />
                    <Route path=path!("contacts/:id") view=ContactPage />
                    <Route path=path!("launch") view=LaunchPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

//! The timeline's pager: first, previous, a window of numbered pages, next, last. It is
//! drawn above and below the list; `place` keeps the two sets of ids apart.

use leptos::prelude::*;

use crate::i18n::{Msg, use_i18n};

/// Where a pager is drawn. The bottom one keeps the plain ids (`page-next`); the top
/// one's are prefixed (`top-page-next`), so both can be on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Top,
    Bottom,
}

impl Place {
    fn id(self, id: &str) -> String {
        match (self, id) {
            (Place::Top, "") => "top".into(),
            (Place::Bottom, "") => "bottom".into(),
            (Place::Top, id) => format!("top-{id}"),
            (Place::Bottom, id) => id.to_owned(),
        }
    }
}

/// First, previous, a window of numbered pages, next, last.
#[component]
pub fn Pager(page: u32, pages: u32, to_page: Callback<u32>, place: Place) -> impl IntoView {
    let i18n = use_i18n();
    if pages <= 1 {
        return ().into_any();
    }
    let lo = page.saturating_sub(2).max(1);
    let hi = (page + 2).min(pages);
    let button = move |label: Msg, target: u32, id: &'static str, disabled: bool| {
        view! {
            <button class="btn btn-small pager-btn" id=place.id(id) disabled=disabled
                aria-label=move || i18n.t(label)
                on:click=move |_| to_page.run(target)>
                {match label {
                    Msg::FirstPage => "«",
                    Msg::PreviousPage => "‹",
                    Msg::NextPage => "›",
                    _ => "»",
                }}
            </button>
        }
    };
    view! {
        <nav class=format!("pager pager-{}", place.id("")) aria-label=move || i18n.t(Msg::Pages)>
            {button(Msg::FirstPage, 1, "page-first", page == 1)}
            {button(Msg::PreviousPage, page.saturating_sub(1).max(1), "page-prev", page == 1)}
            {(lo..=hi).map(|n| view! {
                <button class="btn btn-small pager-num" class:current=n == page
                    aria-current=(n == page).then_some("page")
                    data-page=n
                    on:click=move |_| to_page.run(n)>{n}</button>
            }).collect_view()}
            {button(Msg::NextPage, (page + 1).min(pages), "page-next", page == pages)}
            {button(Msg::LastPage, pages, "page-last", page == pages)}
            <span class="muted small" id=place.id("page-status")>{move || i18n.t(Msg::PageOf).replace("{n}", &page.to_string()).replace("{m}", &pages.to_string())}</span>
        </nav>
    }
    .into_any()
}

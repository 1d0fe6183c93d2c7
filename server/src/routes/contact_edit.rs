//! Agents create and correct contacts: `POST /contacts`, `PUT /contacts/{id}`. One rule
//! for what may be saved (`protocol::ContactInput::problem`, also run by the form); the
//! phone is stored in E.164 with the server's default region, so linking and the
//! contact search find it; a contact stays in its team.

use agentdesk_protocol::{Contact, ContactInput};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{post, put};

use crate::AppState;
use crate::auth::{Caller, ClientIp};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath};
use crate::store::{NewContact, StoreError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contacts", post(create))
        .route("/contacts/{id}", put(update))
}

/// The checked, normalised record to store for `team_id`. `current`: the contact being
/// corrected — its phone sent back unchanged is kept as stored even where an import
/// kept one that is not E.164, and so are its attributes.
async fn record(
    state: &AppState,
    team_id: i64,
    input: &ContactInput,
    current: Option<&Contact>,
) -> ApiResult<NewContact> {
    let stored_phone = current.and_then(|c| c.phone.as_deref());
    let keep_phone = input.keeps_phone(stored_phone);
    if let Some((field, problem)) = input.problem_for(stored_phone) {
        return Err(ApiError::validation(field, problem));
    }
    let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let attributes: std::collections::BTreeMap<String, String> = input
        .attributes
        .iter()
        .map(|(k, v)| (k.clone(), v.trim().to_owned()))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let defs = state.store.attribute_defs().await?;
    let none = Default::default();
    let stored = current.map_or(&none, |c| &c.attributes);
    if let Some(problem) = crate::ingest::contact_attributes_problem(&defs, &attributes, stored) {
        return Err(ApiError::validation("attributes", problem));
    }
    let phone = match text(&input.phone) {
        None => None,
        Some(_) if keep_phone => stored_phone.map(str::to_owned),
        Some(p) => Some(
            crate::text::normalize_phone(&p, &state.config.phone_region).ok_or_else(|| {
                ApiError::validation("phone", "not a phone number of any country")
            })?,
        ),
    };
    Ok(NewContact {
        team_id,
        name: input.name.trim().to_owned(),
        phone,
        email: text(&input.email),
        external_id: text(&input.external_id),
        attributes,
        created_at: crate::clock::now(),
    })
}

/// A second contact of the team with this external id.
fn taken(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(_) => ApiError::ConflictOn {
            field: "external_id",
            message: "another contact of this team has this external id".into(),
        },
        other => other.into(),
    }
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<ContactInput>,
) -> ApiResult<(StatusCode, ApiJson<Contact>)> {
    let me = state
        .store
        .me(caller.viewer.user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let mine: Vec<i64> = me.teams.iter().map(|t| t.id).collect();
    // Into one of the caller's own teams: the one named, or their only one.
    let team_id = match (input.team_id, mine.as_slice()) {
        (Some(t), _) if mine.contains(&t) => t,
        (Some(_), _) => return Err(ApiError::validation("team_id", "not one of your teams")),
        (None, [only]) => *only,
        (None, []) => return Err(ApiError::validation("team_id", "you belong to no team")),
        (None, _) => return Err(ApiError::validation("team_id", "choose one of your teams")),
    };
    let new = record(&state, team_id, &input, None).await?;
    let id = state.store.create_contact(new).await.map_err(taken)?;
    super::audit(
        &state,
        &caller,
        ip,
        "contact_created",
        format!("contact:{id}"),
    )
    .await?;
    let contact = state
        .store
        .contact(&caller.viewer, id)
        .await?
        .ok_or(ApiError::NotFound("contact"))?;
    Ok((StatusCode::CREATED, ApiJson(contact)))
}

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ContactInput>,
) -> ApiResult<ApiJson<Contact>> {
    let current = state
        .store
        .contact(&caller.viewer, id)
        .await?
        .ok_or(ApiError::NotFound("contact"))?;
    if input.team_id.is_some_and(|t| t != current.team.id) {
        return Err(ApiError::validation(
            "team_id",
            "a contact stays in its team",
        ));
    }
    let new = record(&state, current.team.id, &input, Some(&current)).await?;
    if !state.store.update_contact(id, &new).await.map_err(taken)? {
        return Err(ApiError::NotFound("contact"));
    }
    super::audit(
        &state,
        &caller,
        ip,
        "contact_updated",
        format!("contact:{id}"),
    )
    .await?;
    let contact = state
        .store
        .contact(&caller.viewer, id)
        .await?
        .ok_or(ApiError::NotFound("contact"))?;
    Ok(ApiJson(contact))
}

//! The demo data set: two teams, six users, contacts with Spanish and English names and
//! real-looking E.164 phones, and activities of every kind over the last two years —
//! one contact with a long history. Deterministic (fixed seed) so screenshots and tests
//! see the same data every time.

use std::collections::BTreeMap;
use std::fmt;

use agentdesk_protocol::{
    ActivityDetail, CallOutcome, Direction, Disposition, EmailContent, EmailStatus, Locale, Role,
    TicketStatus,
};
use chrono::{Duration, Utc};

use crate::auth::hash_password;
use crate::config::SeedArgs;
use crate::store::{DynStore, NewActivity, NewContact, NewEmail, NewUser};
use crate::text::normalize_phone;

/// Every demo user's password (demo only; the README lists the logins).
pub const DEMO_PASSWORD: &str = "demo1234";

/// (username, display name, role, teams by index, may read email, locale, uContact agent)
type DemoUser = (
    &'static str,
    &'static str,
    Role,
    &'static [usize],
    bool,
    Locale,
    &'static str,
);
const USERS: [DemoUser; 6] = [
    (
        "admin",
        "Admin Demo",
        Role::Admin,
        &[0, 1],
        true,
        Locale::En,
        "admin",
    ),
    (
        "sofia",
        "Sofía Martínez",
        Role::Supervisor,
        &[0, 1],
        true,
        Locale::Es,
        "smartinez",
    ),
    (
        "ana",
        "Ana Pereira",
        Role::Agent,
        &[0],
        true,
        Locale::Es,
        "apereira",
    ),
    (
        "bruno",
        "Bruno Silva",
        Role::Agent,
        &[0],
        false,
        Locale::Es,
        "bsilva",
    ),
    (
        "carla",
        "Carla Gómez",
        Role::Agent,
        &[1],
        true,
        Locale::Es,
        "cgomez",
    ),
    (
        "david",
        "David Brown",
        Role::Agent,
        &[1],
        false,
        Locale::En,
        "dbrown",
    ),
];
const TEAMS: [&str; 2] = ["Ventas", "Soporte"];

const ES_FIRST: [&str; 24] = [
    "Lucía",
    "Mateo",
    "Valentina",
    "Santiago",
    "Camila",
    "Joaquín",
    "Martina",
    "Nicolás",
    "Sofía",
    "Agustín",
    "Florencia",
    "Diego",
    "Paula",
    "Federico",
    "Isabel",
    "Andrés",
    "Carmen",
    "Javier",
    "Elena",
    "Tomás",
    "Rocío",
    "Gonzalo",
    "María José",
    "Ignacio",
];
const ES_LAST: [&str; 20] = [
    "Fernández",
    "González",
    "Rodríguez",
    "López",
    "Martínez",
    "Pérez",
    "Sánchez",
    "Romero",
    "Díaz",
    "Álvarez",
    "Núñez",
    "Acosta",
    "Benítez",
    "Suárez",
    "Castro",
    "Ortiz",
    "Méndez",
    "Ramos",
    "Silva",
    "Olivera",
];
const EN_FIRST: [&str; 16] = [
    "Emma", "Oliver", "Amelia", "George", "Isla", "Harry", "Grace", "Jack", "Chloe", "Noah",
    "Lily", "James", "Emily", "William", "Ava", "Thomas",
];
const EN_LAST: [&str; 14] = [
    "Smith", "Johnson", "Williams", "Taylor", "Brown", "Davies", "Wilson", "Evans", "Thomas",
    "Roberts", "Walker", "Wright", "Thompson", "O'Brien",
];
const ORGS: [&str; 10] = [
    "Telefonía del Sur",
    "Banco Oriental",
    "Logística Rápida S.A.",
    "Acme Retail Ltd",
    "Northwind Traders",
    "Clínica San José",
    "Seguros La Plata",
    "Globex Corp",
    "Café Montevideo",
    "Brightside Energy",
];
const CAMPAIGNS: [&str; 4] = ["Ventas->", "Soporte<-", "Cobranzas->", "Retención<-"];

/// What [`seed`] loaded.
#[derive(Debug, Clone, Copy, Default)]
pub struct SeedSummary {
    pub teams: usize,
    pub users: usize,
    pub contacts: usize,
    pub activities: usize,
}

impl fmt::Display for SeedSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "demo data: {} teams, {} users, {} contacts, {} activities",
            self.teams, self.users, self.contacts, self.activities
        )
    }
}

struct DemoContact {
    id: i64,
    team: usize,
    spanish: bool,
    phone: String,
    email: String,
    name: String,
}

/// Load the demo data set. Refuses a database that already has users.
/// The demo's telephony: the sample CRM (served by this server at `base`) as the CRM, and
/// the demo campaigns with disposition trees.
pub async fn seed_crm(store: &DynStore, base: &str) -> anyhow::Result<()> {
    use agentdesk_protocol::{Campaign, CrmSettings, DispositionNode};
    let node = |label: &str, children: Vec<DispositionNode>| DispositionNode {
        label: label.into(),
        children,
        callback: false,
    };
    store
        .set_crm_settings(&CrmSettings {
            url_template: format!(
                "{base}/sample-crm/?phone={{phone}}&agent={{agent}}&campaign={{campaign}}&guid={{guid}}"
            ),
            ..CrmSettings::default()
        })
        .await?;
    for name in CAMPAIGNS {
        store
            .upsert_campaign(&Campaign {
                name: name.into(),
                require_disposition: name.ends_with("->"),
                dispositions: vec![
                    node(
                        "Venta",
                        vec![node("Plan anual", vec![]), node("Plan mensual", vec![])],
                    ),
                    node(
                        "Consulta",
                        vec![
                            node("Facturación", vec![]),
                            node("Servicio técnico", vec![]),
                        ],
                    ),
                    node("Reclamo", vec![]),
                    node("No interesado", vec![]),
                    // Asks when to call back, and reminds the agent then.
                    DispositionNode {
                        callback: true,
                        ..node("Volver a llamar", vec![])
                    },
                ],
                options: agentdesk_protocol::dial::CampaignOptions {
                    d1_label: "Número de pedido".into(),
                    ..Default::default()
                },
            })
            .await?;
    }
    Ok(())
}

pub async fn seed(store: &DynStore, args: &SeedArgs) -> anyhow::Result<SeedSummary> {
    if !store.is_empty().await? {
        anyhow::bail!("the database already has users; the demo loads only into an empty one");
    }
    let mut rng = fastrand::Rng::with_seed(20_261_122);
    let mut team_ids = Vec::new();
    for name in TEAMS {
        team_ids.push(store.create_team(name).await?.id);
    }
    // Hashing is the slow part of seeding: hash the shared password once.
    let password_hash = hash_password(DEMO_PASSWORD)?;
    let mut users_by_team: Vec<Vec<i64>> = vec![Vec::new(); TEAMS.len()];
    for (username, display, role, teams, can_email, locale, agent) in USERS {
        let id = store
            .create_user(NewUser {
                username: username.into(),
                display_name: display.into(),
                password_hash: password_hash.clone(),
                role,
                can_email,
                locale,
                time_zone: if locale == Locale::Es {
                    "America/Montevideo"
                } else {
                    "Europe/London"
                }
                .into(),
                ucontact_agent: Some(agent.into()),
                email: None,
                team_ids: teams.iter().map(|t| team_ids[*t]).collect(),
            })
            .await?;
        if role == Role::Agent {
            for t in teams {
                users_by_team[*t].push(id);
            }
        }
    }

    let now = crate::clock::now();
    let mut contacts = Vec::new();
    for i in 0..args.contacts as usize {
        // The first contact is the one with the long history.
        let spanish = i == 0 || rng.u8(0..10) < 7;
        let (first, last) = if i == 0 {
            ("Lucía", "Fernández")
        } else if spanish {
            (
                ES_FIRST[rng.usize(..ES_FIRST.len())],
                ES_LAST[rng.usize(..ES_LAST.len())],
            )
        } else {
            (
                EN_FIRST[rng.usize(..EN_FIRST.len())],
                EN_LAST[rng.usize(..EN_LAST.len())],
            )
        };
        let name = format!("{first} {last}");
        let phone = demo_phone(&mut rng, spanish, i);
        let email = format!(
            "{}.{}{}@{}",
            ascii_slug(first),
            ascii_slug(last),
            if i % 7 == 0 {
                (i % 90).to_string()
            } else {
                String::new()
            },
            [
                "gmail.com",
                "hotmail.com",
                "outlook.com",
                "correo.com.uy",
                "empresa.es",
                "mail.co.uk"
            ][rng.usize(..6)]
        );
        let team = i % TEAMS.len();
        let mut attributes = BTreeMap::new();
        attributes.insert(
            "category".to_string(),
            ["gold", "silver", "bronze"][rng.usize(..3)].to_string(),
        );
        attributes.insert(
            "organization".to_string(),
            ORGS[rng.usize(..ORGS.len())].to_string(),
        );
        let id = store
            .create_contact(NewContact {
                team_id: team_ids[team],
                name: name.clone(),
                phone: Some(phone.clone()),
                email: Some(email.clone()),
                external_id: Some(format!("CRM-{:06}", 1000 + i)),
                attributes,
                created_at: now - Duration::days(730 + rng.i64(0..365)),
            })
            .await?;
        contacts.push(DemoContact {
            id,
            team,
            spanish,
            phone,
            email,
            name,
        });
    }

    let mut total = 0usize;
    let mut batch = Vec::with_capacity(5_000);
    let plan = (0..args.big_contact_activities as usize)
        .map(|_| 0usize)
        .chain(
            (0..args.activities as usize)
                .map(|_| 1 + rng.usize(..contacts.len().saturating_sub(1).max(1))),
        );
    let plan: Vec<usize> = plan.filter(|i| *i < contacts.len()).collect();
    for (n, ci) in plan.into_iter().enumerate() {
        let c = &contacts[ci];
        let agents = &users_by_team[c.team];
        let agent = agents.get(rng.usize(..agents.len().max(1))).copied();
        let occurred_at = now - Duration::seconds(rng.i64(60..730 * 86_400));
        batch.push(demo_activity(
            &mut rng,
            c,
            team_ids[c.team],
            agent,
            occurred_at,
            n,
        ));
        if batch.len() == batch.capacity() {
            store.insert_activities(&batch, false).await?;
            total += batch.len();
            batch.clear();
        }
    }
    store.insert_activities(&batch, false).await?;
    total += batch.len();
    // A fortnight of queue_log for the reports: each team's agents, an inbound and an
    // outbound campaign of its own.
    let agents_of = |team: usize| -> Vec<&'static str> {
        USERS
            .iter()
            .filter(|u| u.2 == Role::Agent && u.3.contains(&team))
            .map(|u| u.6)
            .collect()
    };
    let (sales, support) = (agents_of(0), agents_of(1));
    crate::report::demo::seed(
        store,
        &[
            crate::report::demo::DemoQueue {
                team_id: team_ids[0],
                agents: &sales,
                inbound: CAMPAIGNS[3],
                outbound: CAMPAIGNS[0],
            },
            crate::report::demo::DemoQueue {
                team_id: team_ids[1],
                agents: &support,
                inbound: CAMPAIGNS[1],
                outbound: CAMPAIGNS[2],
            },
        ],
        now,
    )
    .await?;
    Ok(SeedSummary {
        teams: TEAMS.len(),
        users: USERS.len(),
        contacts: contacts.len(),
        activities: total,
    })
}

fn ascii_slug(s: &str) -> String {
    crate::text::fold(s)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// Mobile numbers of the countries our demo customers live in, normalised to E.164.
fn demo_phone(rng: &mut fastrand::Rng, spanish: bool, i: usize) -> String {
    loop {
        let raw = if spanish {
            match rng.u8(0..3) {
                0 => format!("+5989{}{:06}", rng.u8(1..10), rng.u32(0..1_000_000)),
                1 => format!("+346{:08}", rng.u32(0..100_000_000)),
                _ => format!("+52155{:08}", rng.u32(10_000_000..100_000_000)),
            }
        } else if rng.bool() {
            format!("+447700900{:03}", (i * 7 + rng.usize(..7)) % 1000)
        } else {
            format!("+1212555{:04}", rng.u32(100..200))
        };
        if let Some(e164) = normalize_phone(&raw, "UY") {
            return e164;
        }
    }
}

fn demo_activity(
    rng: &mut fastrand::Rng,
    c: &DemoContact,
    team_id: i64,
    agent: Option<i64>,
    occurred_at: chrono::DateTime<Utc>,
    n: usize,
) -> NewActivity {
    let es = c.spanish;
    let pick = |rng: &mut fastrand::Rng, es_list: &[&'static str], en_list: &[&'static str]| {
        let list = if es { es_list } else { en_list };
        list[rng.usize(..list.len())]
    };
    let direction = if rng.bool() {
        Direction::Inbound
    } else {
        Direction::Outbound
    };
    let roll = rng.u8(0..100);
    let mut email = None;
    let (model_id, user_id, detail) = if roll < 35 {
        let answered = rng.u8(0..10) < 8;
        let disposition = answered.then(|| {
            let (l1, l2) = if es {
                [
                    ("Venta", "Plan anual"),
                    ("Consulta", "Facturación"),
                    ("Reclamo", "Servicio técnico"),
                    ("No interesado", ""),
                ][rng.usize(..4)]
            } else {
                [
                    ("Sale", "Annual plan"),
                    ("Enquiry", "Billing"),
                    ("Complaint", "Technical service"),
                    ("Not interested", ""),
                ][rng.usize(..4)]
            };
            Disposition {
                l1: l1.into(),
                l2: l2.into(),
                l3: String::new(),
                comment: String::new(),
                sync: None,
            }
        });
        (
            format!("call-{n:08x}-{:04x}", rng.u16(..)),
            agent,
            ActivityDetail::Call {
                direction,
                number: c.phone.clone(),
                campaign: CAMPAIGNS[rng.usize(..CAMPAIGNS.len())].into(),
                duration_secs: if answered { rng.u32(20..1_500) } else { 0 },
                disposition,
                outcome: Some(if answered {
                    CallOutcome::Answered
                } else {
                    CallOutcome::NoAnswer
                }),
            },
        )
    } else if roll < 60 {
        let subject = pick(
            rng,
            &[
                "Consulta sobre mi factura",
                "Cambio de plan",
                "Problema con el servicio",
                "Solicitud de baja",
                "Re: Presupuesto",
                "Confirmación de pago",
            ],
            &[
                "Question about my invoice",
                "Plan upgrade",
                "Service outage",
                "Cancel my subscription",
                "Re: Quote",
                "Payment confirmation",
            ],
        );
        let snippet = pick(
            rng,
            &[
                "Hola, les escribo porque este mes me llegó un cargo que no reconozco…",
                "Buenas tardes, quisiera saber si es posible cambiar al plan familiar…",
                "Desde ayer no tengo conexión en el local de Pocitos…",
            ],
            &[
                "Hi, I am writing because this month's bill has a charge I don't recognise…",
                "Good afternoon, could I move to the family plan…",
                "Since yesterday we have had no connection at the office…",
            ],
        );
        let (sender, status, user) = match direction {
            Direction::Inbound => (format!("{} <{}>", c.name, c.email), None, None),
            Direction::Outbound => (
                if es {
                    "Atención al cliente <soporte@agentdesk.example>"
                } else {
                    "Customer care <support@agentdesk.example>"
                }
                .to_string(),
                Some(
                    [
                        EmailStatus::Sent,
                        EmailStatus::Sent,
                        EmailStatus::Sent,
                        EmailStatus::Failed,
                        EmailStatus::Queued,
                        EmailStatus::Draft,
                    ][rng.usize(..6)],
                ),
                agent,
            ),
        };
        email = Some(NewEmail {
            message_id: Some(format!("<demo-{n}@agentdesk.example>")),
            subject: subject.into(),
            sender: sender.clone(),
            snippet: snippet.into(),
            body: format!("{snippet}\n\n— {}", c.name),
            attachments: Vec::new(),
        });
        (
            format!("email-{n}"),
            user,
            ActivityDetail::Email {
                direction,
                status,
                content: Some(EmailContent {
                    subject: subject.into(),
                    sender,
                    snippet: snippet.into(),
                    attachments: Vec::new(),
                }),
            },
        )
    } else if roll < 80 {
        let first = pick(
            rng,
            &[
                "Hola, ¿tienen stock del modelo X200?",
                "Necesito ayuda con mi pedido",
                "¿Cuál es el horario de atención?",
                "No puedo ingresar a mi cuenta",
            ],
            &[
                "Hi, is the X200 in stock?",
                "I need help with my order",
                "What are your opening hours?",
                "I can't log in to my account",
            ],
        );
        (
            format!("chat-{n:08x}"),
            agent,
            ActivityDetail::Chat {
                session_id: format!("web-{:012x}", rng.u64(..1 << 48)),
                first_message: first.into(),
                duration_secs: rng.u32(45..1_800),
                message_count: rng.u32(2..40),
            },
        )
    } else if roll < 90 {
        let subject = pick(
            rng,
            &[
                "Router sin señal",
                "Reintegro pendiente",
                "Cambio de domicilio",
                "Factura duplicada",
            ],
            &[
                "Router has no signal",
                "Pending refund",
                "Change of address",
                "Duplicate invoice",
            ],
        );
        let (status, event) = [
            (TicketStatus::Open, "created"),
            (TicketStatus::Pending, "status_changed"),
            (TicketStatus::Solved, "status_changed"),
            (TicketStatus::Closed, "closed"),
        ][rng.usize(..4)];
        (
            format!("ticket-{}", 10_000 + n / 3),
            agent,
            ActivityDetail::Ticket {
                ticket_id: format!("T-{}", 10_000 + n / 3),
                subject: subject.into(),
                status,
                event: event.into(),
            },
        )
    } else if roll < 96 {
        let text = pick(
            rng,
            &[
                "Su pedido fue despachado y llega mañana.",
                "Recordatorio: su factura vence el viernes.",
                "OK, gracias!",
                "¿Me pueden llamar después de las 18?",
            ],
            &[
                "Your order has shipped and arrives tomorrow.",
                "Reminder: your invoice is due on Friday.",
                "OK, thanks!",
                "Can you call me after 6pm?",
            ],
        );
        (
            format!("sms-{n}"),
            agent,
            ActivityDetail::Sms {
                direction,
                text: text.into(),
            },
        )
    } else if roll < 98 {
        let text = pick(
            rng,
            &[
                "Prefiere que lo llamen de mañana.",
                "Cliente VIP: ofrecer descuento de fidelidad.",
                "Pidió hablar con un supervisor la próxima vez.",
            ],
            &[
                "Prefers calls in the morning.",
                "VIP customer: offer the loyalty discount.",
                "Asked for a supervisor next time.",
            ],
        );
        (
            format!("note-{n}"),
            agent,
            ActivityDetail::Note { text: text.into() },
        )
    } else {
        let (rule, message) = if es {
            (
                "Encuesta post-llamada",
                "Gracias por contactarnos. ¿Cómo calificaría la atención?",
            )
        } else {
            (
                "Post-call survey",
                "Thanks for calling us. How would you rate our service?",
            )
        };
        (
            format!("followup-{n}"),
            None,
            ActivityDetail::FollowUp {
                rule: rule.into(),
                channel: agentdesk_protocol::followup::Delivery::Sms,
                message: message.into(),
                recipients: Vec::new(),
                attempt: 1,
            },
        )
    };
    NewActivity {
        team_id,
        contact_id: c.id,
        user_id,
        model_id,
        detail,
        email,
        occurred_at,
    }
}

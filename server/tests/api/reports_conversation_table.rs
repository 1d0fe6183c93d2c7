//! The table the conversations report reads (one row per interaction, each conversation
//! attribute a column): its columns are the defined conversation attributes on both
//! backends, and its rows as text for the tests that compare what the writes kept with
//! the rebuild and the migration's backfill (`reports_conversations`).

use agentdesk_server::report::conversations::ATTRIBUTES;

use crate::support::TestApp;

/// The table's own columns: the interaction's and which measures it carries.
const KEY_COLUMNS: [&str; 6] = [
    "activity_id",
    "team_id",
    "at",
    "kind",
    "inbound",
    "measured",
];

/// The table's attribute columns the code expects, in its order.
fn expected_columns() -> Vec<String> {
    ATTRIBUTES
        .iter()
        .map(|(n, _)| format!("v_{n}"))
        .chain(
            ATTRIBUTES
                .iter()
                .filter(|(_, measure)| *measure)
                .map(|(n, _)| format!("n_{n}")),
        )
        .collect()
}

/// Every row of the table, one text per row in activity order (NULL shown as `-`).
pub(crate) async fn fact_rows(db_url: &str) -> Vec<String> {
    use sqlx::Connection;
    let cells = KEY_COLUMNS
        .iter()
        .map(|c| format!("CAST({c} AS TEXT)"))
        .chain(
            expected_columns()
                .into_iter()
                .map(|c| format!("COALESCE(CAST({c} AS TEXT), '-')")),
        )
        .collect::<Vec<_>>()
        .join(" || '|' || ");
    let sql = format!("SELECT {cells} FROM conversation_facts ORDER BY activity_id");
    if db_url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(db_url).await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut c)
            .await
            .unwrap()
    } else {
        let mut c = sqlx::PgConnection::connect(db_url).await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut c)
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn every_conversation_attribute_has_its_column_and_nothing_else_does() {
    use sqlx::Connection;
    let app = TestApp::spawn().await;
    // The code's list is the definitions (name and whether it is a number).
    let defs = app.store.attribute_defs().await.unwrap();
    let mut defined: Vec<(String, bool)> = defs
        .iter()
        .filter(|(_, (_, scope))| scope == "conversation")
        .map(|(name, (kind, _))| (name.clone(), kind == "number"))
        .collect();
    defined.sort();
    let mut listed: Vec<(String, bool)> = ATTRIBUTES
        .iter()
        .map(|(n, m)| ((*n).to_owned(), *m))
        .collect();
    listed.sort();
    assert_eq!(listed, defined);
    // A row says which measures it carries as a bit each, in a BIGINT.
    assert!(ATTRIBUTES.iter().filter(|(_, measure)| *measure).count() < 63);
    // The table has those columns and its five own, no more.
    let mut columns: Vec<String> = if app.db_url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(&app.db_url).await.unwrap();
        sqlx::query_scalar("SELECT name FROM pragma_table_info('conversation_facts')")
            .fetch_all(&mut c)
            .await
            .unwrap()
    } else {
        let mut c = sqlx::PgConnection::connect(&app.db_url).await.unwrap();
        sqlx::query_scalar(
            "SELECT CAST(column_name AS TEXT) FROM information_schema.columns \
             WHERE table_name = 'conversation_facts' AND table_schema = current_schema()",
        )
        .fetch_all(&mut c)
        .await
        .unwrap()
    };
    columns.sort();
    let mut expected: Vec<String> = expected_columns()
        .into_iter()
        .chain(KEY_COLUMNS.iter().map(|c| (*c).to_owned()))
        .collect();
    expected.sort();
    assert_eq!(columns, expected);
}

//! TLS to PostgreSQL: a database URL with `sslmode=verify-full` connects only to a
//! server whose certificate its `sslrootcert` CA signed for the URL's host.
//! scripts/test.sh starts its cluster with TLS on and names the CA.

use agentdesk_server::store::{PostgresStore, Store};
use sqlx::Connection;

use crate::support::{PG_ENV, pg_setting};

#[tokio::test]
async fn postgresql_connections_are_verified_tls_when_the_url_asks_and_a_wrong_ca_is_refused() {
    let test = "postgresql_connections_are_verified_tls";
    let Some(ca) = pg_setting(test, "AGENTDESK_TEST_PG_CA") else {
        return;
    };
    let server = std::env::var(PG_ENV).expect("pg_setting checked it");
    let with_root = |root: &str| {
        let mut url = url::Url::parse(&server).expect("a URL");
        url.query_pairs_mut()
            .append_pair("sslmode", "verify-full")
            .append_pair("sslrootcert", root);
        url.to_string()
    };
    let url = with_root(&ca);
    let store = PostgresStore::open(&url)
        .await
        .expect("a verified TLS connection");
    store.ping().await.expect("queries over it");
    // The server's own view of such a session: encrypted.
    let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
    let ssl: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&mut conn)
        .await
        .expect("pg_stat_ssl");
    assert!(ssl, "the session is encrypted");
    conn.close().await.ok();

    // Trusting only the server's own certificate, not the CA that signed it: refused.
    let leaf = std::path::Path::new(&ca).with_file_name("server.crt");
    let refused = PostgresStore::open(&with_root(&leaf.to_string_lossy()))
        .await
        .err()
        .expect("a server the roots do not vouch for is refused");
    assert!(
        format!("{refused:#}")
            .to_lowercase()
            .contains("certificate"),
        "refused for its certificate: {refused:#}"
    );
}

//! The end-to-end harness: the real server (in this process, on 127.0.0.1:0, with a
//! fresh SQLite file and demo data), a chromedriver of its own, and headless Chromium.
//!
//! Tests return errors instead of panicking so that [`Harness::finish`] always closes
//! the browser; a panicking test would leave Chromium running.
//!
//! Nothing here can hang a run: every WebDriver call a helper makes has a time limit
//! ([`WD_LIMIT`]), the browser's own page-load and script limits are set, and a whole
//! scenario has [`SCENARIO_LIMIT`]. Chromium runs in a time zone different from the
//! server's (UTC) and from the demo users' profile zones ([`BROWSER_TZ`]), so that
//! date code that uses the browser's zone where it should use the user's shows up.

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use agentdesk_server::config::{SeedArgs, ServeConfig};
use agentdesk_server::{AppState, demo, store};
use anyhow::{Context, anyhow, bail};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use tokio::process::{Child, Command};

/// The demo data the browser tests see: small enough to seed in a second.
pub const SEED: SeedArgs = SeedArgs {
    contacts: 40,
    activities: 1_500,
    // "Thousands of activities" on contact 1 (Lucía Fernández).
    big_contact_activities: 2_500,
};

/// The longest any one WebDriver call may take before the scenario fails.
pub const WD_LIMIT: Duration = Duration::from_secs(30);
/// The longest one browser scenario may take, all steps included.
pub const SCENARIO_LIMIT: Duration = Duration::from_secs(300);
/// The browser's time zone: far from UTC and from every demo user's zone.
pub const BROWSER_TZ: &str = "Pacific/Kiritimati";

/// A WebDriver call under [`WD_LIMIT`].
pub async fn wd<T, E>(what: &str, call: impl Future<Output = Result<T, E>>) -> anyhow::Result<T>
where
    E: std::error::Error + Send + Sync + 'static,
{
    match tokio::time::timeout(WD_LIMIT, call).await {
        Ok(r) => r.with_context(|| format!("WebDriver: {what}")),
        Err(_) => bail!("WebDriver: {what} took longer than {WD_LIMIT:?}"),
    }
}

/// One browser session (its own Chromium, profile and sessionStorage) on the app.
pub struct Browser {
    pub base: String,
    pub client: Client,
}

pub struct Harness {
    main: Browser,
    server: tokio::task::JoinHandle<()>,
    driver: Child,
    webdriver: String,
    dir: tempfile::TempDir,
}

impl std::ops::Deref for Harness {
    type Target = Browser;
    fn deref(&self) -> &Browser {
        &self.main
    }
}

/// A new Chromium session through chromedriver, with its own profile directory.
async fn connect_browser(webdriver: &str, profile: &std::path::Path) -> anyhow::Result<Client> {
    let chromium = std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let caps = json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                "--lang=en-US",
                format!("--user-data-dir={}", profile.display()),
            ]
        }
    });
    let caps = match caps {
        serde_json::Value::Object(m) => m,
        _ => unreachable!("a JSON object literal"),
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match ClientBuilder::new(connector.clone())
            .capabilities(caps.clone())
            .connect(webdriver)
            .await
        {
            Ok(c) => {
                // The browser's own limits, so that a page or a script cannot hang a call.
                wd(
                    "set timeouts",
                    c.update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
                        Some(Duration::from_secs(20)),
                        Some(Duration::from_secs(30)),
                        Some(Duration::ZERO),
                    )),
                )
                .await?;
                return Ok(c);
            }
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(anyhow!("connecting to chromedriver: {e}")),
        }
    }
}

fn dist_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("dist")
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// chromedriver on a loopback port it binds itself (retried on another port should it
/// exit, e.g. because another process took the port first), ready when its `/status`
/// says so. Its Chromium runs in [`BROWSER_TZ`].
async fn start_chromedriver() -> anyhow::Result<(Child, String)> {
    let chromedriver =
        std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    let http = {
        agentdesk_server::outbound::install_crypto();
        reqwest::Client::builder()
    }
    .timeout(Duration::from_secs(5))
    .build()?;
    for _ in 0..10 {
        let port = free_port()?;
        let mut driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .env("TZ", BROWSER_TZ)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {chromedriver}"))?;
        let webdriver = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if driver.try_wait()?.is_some() {
                break;
            }
            if let Ok(r) = http.get(format!("{webdriver}/status")).send().await
                && let Ok(v) = r.json::<serde_json::Value>().await
                && v["value"]["ready"] == json!(true)
            {
                return Ok((driver, webdriver));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = driver.kill().await;
    }
    bail!("chromedriver did not become ready on any port")
}

impl Harness {
    pub async fn start() -> anyhow::Result<Self> {
        let dist = dist_dir();
        if !dist.join("index.html").exists() {
            bail!(
                "{} is missing: build the app first (scripts/test.sh does)",
                dist.display()
            );
        }
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}", dir.path().join("e2e.db").display());
        let store = store::open(&url).await?;
        store.migrate().await?;
        demo::seed(&store, &SEED).await?;
        let config = ServeConfig {
            dist_dir: dist,
            // A callback reminder reaches the desktop within a second of its time.
            reminder_check_secs: 1,
            // Follow-ups are polled within a second of being saved, and their stand-in
            // systems run on loopback.
            followup_check_secs: 1,
            outbound_allow_private: true,
            ..ServeConfig::default()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let state = AppState::new(store, config)?;
        let server = tokio::spawn(async move {
            let _ = agentdesk_server::serve(listener, state, std::future::pending()).await;
        });

        let (driver, webdriver) = start_chromedriver().await?;
        let client = connect_browser(&webdriver, &dir.path().join("chromium-profile")).await?;
        Ok(Harness {
            main: Browser { base, client },
            server,
            driver,
            webdriver,
            dir,
        })
    }

    /// A second, independent browser (another user signed in at the same time). Close it
    /// with [`Browser::close`].
    pub async fn another_browser(&self, name: &str) -> anyhow::Result<Browser> {
        let client = connect_browser(&self.webdriver, &self.dir.path().join(name)).await?;
        Ok(Browser {
            base: self.main.base.clone(),
            client,
        })
    }

    /// Close the browser and stop everything; call it whatever the test's outcome.
    pub async fn finish(mut self) {
        let _ = tokio::time::timeout(WD_LIMIT, self.main.client.close()).await;
        let _ = self.driver.kill().await;
        self.server.abort();
    }
}

impl Browser {
    pub async fn close(self) {
        let _ = tokio::time::timeout(WD_LIMIT, self.client.close()).await;
    }

    /// Check this browser recorded no app failure, then close it.
    pub async fn finish(self) -> anyhow::Result<()> {
        let _ = self.to_top().await;
        let checked = self.assert_no_app_errors().await;
        self.close().await;
        checked
    }

    pub async fn goto(&self, path: &str) -> anyhow::Result<()> {
        wd("goto", self.client.goto(&format!("{}{path}", self.base))).await?;
        Ok(())
    }

    /// Wait until `css` matches an element whose text satisfies `pred`; returns that text.
    pub async fn wait_text(
        &self,
        css: &str,
        pred: impl Fn(&str) -> bool,
    ) -> anyhow::Result<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut last = String::new();
        loop {
            // An element may go stale between finding and reading it: try again.
            if let Ok(els) = wd("find", self.client.find_all(Locator::Css(css))).await {
                for el in els {
                    if let Ok(t) = wd("text", el.text()).await {
                        if pred(&t) {
                            return Ok(t);
                        }
                        last = t;
                    }
                }
            }
            if Instant::now() > deadline {
                bail!("timed out waiting for `{css}` with the expected text (last seen: {last:?})");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Wait until `css` matches exactly `n` elements. A WebDriver error is an error, never
    /// "0 found" (which would make `wait_count(_, 0)` pass on a dead browser).
    pub async fn wait_count(&self, css: &str, n: usize) -> anyhow::Result<()> {
        self.wait_count_within(css, n, Duration::from_secs(10))
            .await
    }

    /// [`Browser::wait_count`] with a limit of its own, for what comes after a chain of
    /// requests on a machine busy with other browsers.
    pub async fn wait_count_within(
        &self,
        css: &str,
        n: usize,
        limit: Duration,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + limit;
        loop {
            let found = wd("find", self.client.find_all(Locator::Css(css)))
                .await?
                .len();
            if found == n {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("expected {n} elements matching `{css}`, found {found}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn wait_path(&self, path_and_query: &str) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let url = wd("current url", self.client.current_url()).await?;
            let got = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_string(),
            };
            if got == path_and_query {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("expected to be at {path_and_query}, but at {got}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The first element matching `css`, waited for up to 10 s.
    /// Whether the first element matching `css` is displayed (not hidden by CSS).
    pub async fn displayed(&self, css: &str) -> anyhow::Result<bool> {
        let el = self.element(css).await?;
        wd("displayed", el.is_displayed()).await
    }

    async fn element(&self, css: &str) -> anyhow::Result<fantoccini::elements::Element> {
        wd(
            "wait for element",
            self.client
                .wait()
                .at_most(Duration::from_secs(10))
                .for_element(Locator::Css(css)),
        )
        .await
    }

    pub async fn fill(&self, css: &str, text: &str) -> anyhow::Result<()> {
        let el = self.element(css).await?;
        wd("clear", el.clear()).await?;
        wd("type", el.send_keys(text)).await?;
        Ok(())
    }

    /// Choose the file at `path` in the file input `css`, as a user picking it would.
    pub async fn upload(&self, css: &str, path: &std::path::Path) -> anyhow::Result<()> {
        let el = self.element(css).await?;
        wd("choose a file", el.send_keys(&path.display().to_string())).await?;
        Ok(())
    }

    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        let el = self.element(css).await?;
        // Centre it first: the driver would scroll it to the very top, under the
        // sticky top bar.
        wd(
            "scroll",
            self.client.execute(
                "arguments[0].scrollIntoView({block: 'center'})",
                vec![serde_json::to_value(&el)?],
            ),
        )
        .await?;
        wd("click", el.click()).await?;
        Ok(())
    }

    /// Click the first element matching `css` whose text contains `text`.
    pub async fn click_text(&self, css: &str, text: &str) -> anyhow::Result<()> {
        self.wait_text(css, |t| t.contains(text)).await?;
        for el in wd("find", self.client.find_all(Locator::Css(css))).await? {
            if wd("text", el.text()).await?.contains(text) {
                wd("click", el.click()).await?;
                return Ok(());
            }
        }
        bail!("no `{css}` containing {text:?}")
    }

    /// Click `css` and return the text file the page hands the browser to save (an
    /// export), captured where the page turns it into a download link.
    pub async fn download_text(&self, css: &str) -> anyhow::Result<String> {
        self.client
            .execute(
                "window.__download = null; const make = URL.createObjectURL; \
                 URL.createObjectURL = b => { b.text().then(t => window.__download = t); return make(b); };",
                vec![],
            )
            .await?;
        self.click(css).await?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let v = self
                .client
                .execute("return window.__download", vec![])
                .await?;
            if let Some(t) = v.as_str() {
                return Ok(t.to_owned());
            }
            if Instant::now() >= deadline {
                bail!("no file was handed over after clicking `{css}`");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn select(&self, css: &str, value: &str) -> anyhow::Result<()> {
        let el = self.element(css).await?;
        wd("select", el.select_by_value(value)).await?;
        Ok(())
    }

    pub async fn login(&self, username: &str, password: &str) -> anyhow::Result<()> {
        self.fill("#username", username).await?;
        self.fill("#password", password).await?;
        self.click("button[type=submit]").await
    }

    /// Sign in over the API (not the browser) and return the bearer token.
    pub async fn api_token(&self, username: &str, password: &str) -> anyhow::Result<String> {
        let v: serde_json::Value = self
            .api(
                reqwest::Method::POST,
                "/auth/login",
                None,
                Some(json!({ "username": username, "password": password })),
            )
            .await?;
        v["token"]
            .as_str()
            .map(str::to_owned)
            .context("no token in the login answer")
    }

    /// A JSON API call from outside the browser, as an integrator would make it.
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> anyhow::Result<serde_json::Value> {
        let mut req = agentdesk_server::outbound::plain_client()
            .request(method, format!("{}/api/v1{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await?;
        let status = res.status();
        let text = res.text().await?;
        if !status.is_success() {
            bail!("{path}: {status} {text}");
        }
        Ok(serde_json::from_str(&text)?)
    }

    /// A new integration `name` of the demo team `team`, made by the demo admin: the
    /// team's id and the integration's bearer token.
    pub async fn integration(&self, team: &str, name: &str) -> anyhow::Result<(i64, String)> {
        use reqwest::Method;
        let admin = self.api_token("admin", "demo1234").await?;
        let teams = self
            .api(Method::GET, "/teams/summary", Some(&admin), None)
            .await?;
        let id = teams
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["name"] == team))
            .and_then(|t| t["id"].as_i64())
            .with_context(|| format!("no {team} team: {teams}"))?;
        let made = self
            .api(
                Method::POST,
                "/integrations",
                Some(&admin),
                Some(json!({"name": name, "team_id": id})),
            )
            .await?;
        let token = made["token"].as_str().context("no token")?.to_owned();
        Ok((id, token))
    }

    /// Save a PNG of the page to `target/e2e-screenshots/<name>.png`, for looking at the
    /// UI after a run (not an assertion).
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<()> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/e2e-screenshots");
        std::fs::create_dir_all(&dir)?;
        std::fs::write(
            dir.join(format!("{name}.png")),
            wd("screenshot", self.client.screenshot()).await?,
        )?;
        Ok(())
    }

    /// Back to the top-level page from any frame depth (the parent of the top is itself).
    pub async fn to_top(&self) -> anyhow::Result<()> {
        for _ in 0..3 {
            wd("parent frame", self.client.enter_parent_frame()).await?;
        }
        Ok(())
    }

    /// Size the window so that the page itself (the viewport) is `w`×`h`, as on a
    /// screen of that size with the browser's own bars hidden.
    pub async fn viewport(&self, w: u32, h: u32) -> anyhow::Result<()> {
        wd("window size", self.client.set_window_size(w, h)).await?;
        let v = wd(
            "script",
            self.client.execute(
                "return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight]",
                vec![],
            ),
        )
        .await?;
        let extra = |i: usize| v[i].as_u64().unwrap_or(0) as u32;
        wd(
            "window size",
            self.client.set_window_size(w + extra(0), h + extra(1)),
        )
        .await?;
        Ok(())
    }

    /// The `value` property of an input.
    pub async fn value(&self, css: &str) -> anyhow::Result<String> {
        let el = wd("find", self.client.find(Locator::Css(css))).await?;
        Ok(wd("value", el.prop("value")).await?.unwrap_or_default())
    }

    /// Texts of every element matching `css`, in document order.
    pub async fn texts(&self, css: &str) -> anyhow::Result<Vec<String>> {
        let mut out = Vec::new();
        for el in wd("find", self.client.find_all(Locator::Css(css))).await? {
            out.push(wd("text", el.text()).await?);
        }
        Ok(out)
    }

    /// The class attribute of every element matching `css`.
    pub async fn classes(&self, css: &str) -> anyhow::Result<Vec<String>> {
        let mut out = Vec::new();
        for el in wd("find", self.client.find_all(Locator::Css(css))).await? {
            out.push(wd("class", el.attr("class")).await?.unwrap_or_default());
        }
        Ok(out)
    }

    /// Wait until the URL's path and query satisfy `pred`; returns them.
    pub async fn wait_url(&self, pred: impl Fn(&str) -> bool) -> anyhow::Result<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let url = wd("current url", self.client.current_url()).await?;
            let got = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_string(),
            };
            if pred(&got) {
                return Ok(got);
            }
            if Instant::now() > deadline {
                bail!("the URL never matched; at {got}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The failures the app recorded in this tab (panics, uncaught errors: see
    /// `src/crash.rs`), for the document or frame the driver is in now.
    pub async fn app_errors(&self) -> anyhow::Result<Vec<String>> {
        let v = wd(
            "script",
            self.client.execute(
                "try { return JSON.parse(sessionStorage.getItem('agentdesk.errors') || '[]'); } \
                 catch (e) { return ['cannot read the error trail: ' + e]; }",
                vec![],
            ),
        )
        .await?;
        Ok(serde_json::from_value(v).unwrap_or_default())
    }

    /// Every resource this page has fetched since it was loaded (the Performance API).
    pub async fn loaded_resources(&self) -> anyhow::Result<Vec<String>> {
        let v = wd(
            "script",
            self.client.execute(
                "return performance.getEntriesByType('resource').map(e => e.name);",
                vec![],
            ),
        )
        .await?;
        Ok(serde_json::from_value(v)?)
    }

    /// Fail if the app recorded any panic or uncaught error in this tab.
    pub async fn assert_no_app_errors(&self) -> anyhow::Result<()> {
        let errors = self.app_errors().await?;
        if !errors.is_empty() {
            bail!("the app failed during the scenario: {errors:#?}");
        }
        if wd("find", self.client.find_all(Locator::Id("app-crashed")))
            .await?
            .is_empty()
        {
            Ok(())
        } else {
            bail!("the page shows the crash banner")
        }
    }

    pub async fn html_lang(&self) -> anyhow::Result<String> {
        let v = wd(
            "script",
            self.client
                .execute("return document.documentElement.lang", vec![]),
        )
        .await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }
}

/// Run a browser scenario and always tear the harness down, then report its outcome.
pub async fn run<F, Fut>(scenario: F)
where
    F: FnOnce(std::sync::Arc<Harness>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let h = match Harness::start().await {
        Ok(h) => std::sync::Arc::new(h),
        Err(e) => panic!("could not start the e2e harness: {e:#}"),
    };
    let outcome = match tokio::time::timeout(SCENARIO_LIMIT, scenario(h.clone())).await {
        Ok(o) => o,
        Err(_) => Err(anyhow!("the scenario took longer than {SCENARIO_LIMIT:?}")),
    };
    // Whatever the scenario checked, a panic or an uncaught error in the app fails it.
    let outcome = match outcome {
        Ok(()) => {
            let _ = h.to_top().await;
            h.assert_no_app_errors().await
        }
        e => e,
    };
    match std::sync::Arc::try_unwrap(h) {
        Ok(h) => h.finish().await,
        Err(_) => panic!("a scenario kept the harness alive"),
    }
    if let Err(e) = outcome {
        panic!("{e:#}");
    }
}

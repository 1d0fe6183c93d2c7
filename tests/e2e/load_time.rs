//! Cold-load timings of the desktop (#26): a benchmark, not a test (ignored by default;
//! `scripts/bench-load.sh` runs it). Each run is a new browser profile (empty cache).
//! Measured with the Performance API only, nothing in the app, so that any build can be
//! measured alike: navigation start → first contentful paint of the login page (the
//! page is empty until the app draws the form), and sign-in (the button pressed) → the
//! contact's first timeline page in the document and one frame later (drawn); plus the
//! bytes the first load fetched.

use crate::harness::{Browser, run};

/// Navigation start → first contentful paint (ms), once the browser has recorded it.
async fn first_paint(b: &Browser) -> anyhow::Result<f64> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let v = b
            .client
            .execute(
                "const e = performance.getEntriesByName('first-contentful-paint'); \
                 return e.length && document.querySelector('#login-title') ? e[0].startTime : null;",
                vec![],
            )
            .await?;
        if let Some(t) = v.as_f64() {
            return Ok(t);
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "no first paint");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Press "sign in" and time until the first timeline page is drawn (ms).
async fn sign_in_to_timeline(b: &Browser) -> anyhow::Result<f64> {
    b.fill("#username", "ana").await?;
    b.fill("#password", "demo1234").await?;
    let v = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const drawn = () => document.querySelector('#timeline:not(.loading) li');
             const t0 = performance.now();
             const obs = new MutationObserver(() => {
               if (drawn()) {
                 obs.disconnect();
                 requestAnimationFrame(() => done(performance.now() - t0));
               }
             });
             obs.observe(document.body, { childList: true, subtree: true, attributes: true });
             document.querySelector('button[type=submit]').click();
             setTimeout(() => done(null), 20000);",
            vec![],
        )
        .await?;
    v.as_f64()
        .ok_or_else(|| anyhow::anyhow!("the timeline was not drawn within 20 s"))
}

fn stats(name: &str, mut v: Vec<f64>) {
    v.sort_by(f64::total_cmp);
    let median = if v.len() % 2 == 1 {
        v[v.len() / 2]
    } else {
        (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
    };
    println!(
        "{name}: median {median:.0}, min {:.0}, max {:.0} ({} runs)",
        v[0],
        v[v.len() - 1],
        v.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: scripts/bench-load.sh"]
async fn cold_load_timings() {
    run(|h| async move {
        let runs: usize = std::env::var("LOAD_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10);
        let (mut form, mut timeline, mut bytes) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..runs {
            let b = h.another_browser(&format!("cold-{i}")).await?;
            let outcome = async {
                b.goto("/login?next=%2Fcontacts%2F1").await?;
                form.push(first_paint(&b).await?);
                let fetched = b
                    .client
                    .execute(
                        "return performance.getEntriesByType('navigation')
                           .concat(performance.getEntriesByType('resource'))
                           .reduce((n, e) => n + e.transferSize, 0);",
                        vec![],
                    )
                    .await?;
                bytes.push(fetched.as_f64().unwrap_or(0.0));
                timeline.push(sign_in_to_timeline(&b).await?);
                anyhow::Ok(())
            }
            .await;
            b.close().await;
            outcome?;
        }
        stats("navigation start -> login form painted (ms)", form);
        stats("sign-in -> first timeline page drawn (ms)", timeline);
        stats("bytes fetched by the first load (transferSize)", bytes);
        Ok(())
    })
    .await;
}

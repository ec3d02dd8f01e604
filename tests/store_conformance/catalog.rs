//! The service catalog: seeded once, created without duplicates, updated.

use downwatch::catalog::{Service, StatusKind, StatusSource};
use downwatch::store::StoreError;

use crate::backends::Durable;
use crate::fixtures::service;

durable_tests!(the_catalog_is_seeded_once_created_without_duplicates_and_updated);

async fn the_catalog_is_seeded_once_created_without_duplicates_and_updated(db: Durable) {
    assert!(db.catalog.list_services().await.expect("list").is_empty());
    let seed = [service("spotify", "Spotify"), service("netflix", "Netflix")];
    assert_eq!(db.catalog.seed_services(&seed).await.expect("seed"), 2);
    assert_eq!(
        db.catalog.seed_services(&seed).await.expect("seed again"),
        0
    );
    let listed = db.catalog.list_services().await.expect("list");
    assert_eq!(listed, [seed[1].clone(), seed[0].clone()]);

    let steam = service("steam", "Steam");
    db.catalog.create_service(&steam).await.expect("create");
    let again = db.catalog.create_service(&steam).await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");

    let mut renamed = steam.clone();
    renamed.name = "Steam (Valve)".into();
    renamed.aliases = vec!["valve".into(), "steampowered".into()];
    renamed.symptoms = vec!["store".into()];
    renamed.url = Some("https://store.steampowered.com".into());
    renamed.official_status = Some(StatusSource {
        kind: StatusKind::Statuspage,
        url: "https://status.steampowered.example/api/v2/summary.json".into(),
    });
    assert!(db.catalog.update_service(&renamed).await.expect("update"));
    assert!(!db
        .catalog
        .update_service(&service("nope", "Nope"))
        .await
        .expect("update"));
    let listed = db.catalog.list_services().await.expect("list");
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[2], renamed);

    // A replacement without a source or a URL clears them.
    let plain = Service {
        official_status: None,
        url: None,
        ..renamed
    };
    assert!(db.catalog.update_service(&plain).await.expect("update"));
    let listed = db.catalog.list_services().await.expect("list");
    assert_eq!(listed[2], plain);
}

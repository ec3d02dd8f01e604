//! The read cache: kept, stale while one reader rebuilds, waited for when too old, errors
//! not kept, the max age.

use futures_util::FutureExt;

use super::*;

async fn page(text: &'static str) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body(text)
}

async fn never() -> HttpResponse {
    panic!("built when it should have been kept")
}

#[tokio::test]
async fn readers_get_the_previous_answer_while_one_reader_rebuilds() {
    let cache = ReadCache::new(Duration::from_secs(60));
    let key = ReadKey::new("test", "netflix");
    let first = cache.get_or_build(key.clone(), page("one")).await;
    assert_eq!(first.body, "one");
    assert_eq!(cache.get_or_build(key.clone(), never()).await.body, "one");

    // The leader ticked: the next reader rebuilds, slowly.
    cache.bump();
    let (done, wait) = tokio::sync::oneshot::channel::<()>();
    let slow = cache.get_or_build(key.clone(), async move {
        let _ = wait.await;
        page("two").await
    });
    futures_util::pin_mut!(slow);
    assert!((&mut slow).now_or_never().is_none(), "the rebuild waits");
    // Meanwhile another reader gets the answer before, at once.
    assert_eq!(cache.get_or_build(key.clone(), never()).await.body, "one");
    done.send(()).expect("the rebuild waits for it");
    assert_eq!(slow.await.body, "two");
    assert_eq!(cache.get_or_build(key, never()).await.body, "two");
}

#[tokio::test]
async fn a_rebuild_given_up_half_way_is_taken_over_by_the_next_reader() {
    let cache = ReadCache::new(Duration::from_secs(60));
    let key = ReadKey::new("test", "netflix");
    cache.get_or_build(key.clone(), page("one")).await;
    cache.bump();
    {
        let abandoned = cache.get_or_build(key.clone(), std::future::pending());
        futures_util::pin_mut!(abandoned);
        assert!((&mut abandoned).now_or_never().is_none());
        // The reader disconnects: its handler's future is dropped.
    }
    assert_eq!(cache.get_or_build(key, page("two")).await.body, "two");
}

#[tokio::test]
async fn errors_are_not_kept_and_zero_keeps_nothing() {
    let cache = ReadCache::new(Duration::from_secs(60));
    let key = ReadKey::new("test", "netflix");
    let failed = cache
        .get_or_build(key.clone(), async {
            HttpResponse::ServiceUnavailable().body("later")
        })
        .await;
    assert_eq!(failed.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(cache.get_or_build(key, page("one")).await.body, "one");

    let off = ReadCache::new(Duration::ZERO);
    let key = ReadKey::new("test", "spotify");
    assert_eq!(off.get_or_build(key.clone(), page("one")).await.body, "one");
    assert_eq!(off.get_or_build(key, page("two")).await.body, "two");
}

#[tokio::test]
async fn an_answer_older_than_the_max_age_is_rebuilt() {
    let cache = ReadCache::new(Duration::from_millis(50));
    let key = ReadKey::new("test", "netflix");
    cache.get_or_build(key.clone(), page("one")).await;
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(cache.get_or_build(key, page("two")).await.body, "two");
}

#[tokio::test]
async fn readers_of_an_answer_too_old_to_show_wait_for_the_one_rebuild() {
    let cache = ReadCache::new(Duration::from_millis(20));
    let key = ReadKey::new("test", "netflix");
    cache.get_or_build(key.clone(), page("one")).await;
    // Nobody reads it for longer than twice the max age.
    tokio::time::sleep(Duration::from_millis(60)).await;
    let (done, wait) = tokio::sync::oneshot::channel::<()>();
    let slow = cache.get_or_build(key.clone(), async move {
        let _ = wait.await;
        page("two").await
    });
    futures_util::pin_mut!(slow);
    assert!((&mut slow).now_or_never().is_none(), "the rebuild waits");
    // Another reader neither gets the old page nor builds its own: it waits.
    let waiting = cache.get_or_build(key.clone(), never());
    futures_util::pin_mut!(waiting);
    assert!(
        (&mut waiting).now_or_never().is_none(),
        "it waits for the rebuild"
    );
    done.send(()).expect("the rebuild waits for it");
    assert_eq!(slow.await.body, "two");
    assert_eq!(waiting.await.body, "two");
}

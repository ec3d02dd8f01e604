//! The document's own checks: tags declared, and what the middleware adds documented.

use super::*;

#[test]
fn every_operation_is_tagged_with_a_declared_tag() {
    let doc = document();
    let tags: Vec<&str> = doc.tags.iter().flatten().map(|t| t.name.as_str()).collect();
    for (path, item) in &doc.paths.paths {
        for op in [&item.get, &item.post, &item.put, &item.delete]
            .into_iter()
            .flatten()
        {
            let tag = op.tags.as_ref().and_then(|t| t.first());
            assert!(
                tag.is_some_and(|t| tags.contains(&t.as_str())),
                "{path}: {tag:?}"
            );
        }
    }
}

#[test]
fn public_reads_document_their_etag_and_304() {
    let doc = document();
    let status = doc.paths.paths["/api/v1/services/{slug}/status"]
        .get
        .as_ref()
        .expect("get");
    assert!(status.responses.responses.contains_key("304"));
    let health = doc.paths.paths["/healthz"].get.as_ref().expect("get");
    assert!(!health.responses.responses.contains_key("304"));
}

#[test]
fn public_reads_document_their_rate_limit_and_optional_key() {
    let doc = document();
    let status = doc.paths.paths["/api/v1/services/{slug}/status"]
        .get
        .as_ref()
        .expect("get");
    let responses = &status.responses.responses;
    assert!(responses.contains_key("401") && responses.contains_key("429"));
    let Some(RefOr::T(ok)) = responses.get("200") else {
        panic!("200 documented inline");
    };
    assert!(ok.headers.contains_key("RateLimit-Remaining"));
    assert_eq!(status.security.as_ref().map(Vec::len), Some(3));
    let schemes = &doc
        .components
        .as_ref()
        .expect("components")
        .security_schemes;
    assert!(schemes.contains_key("api_key") && schemes.contains_key("api_key_header"));
    // Neither the probes nor the admin API are limited.
    for (path, method) in [("/healthz", "get"), ("/api/v1/admin/api-keys", "get")] {
        let item = &doc.paths.paths[path];
        let op = item.get.as_ref().expect(method);
        assert!(!op.responses.responses.contains_key("429"), "{path}");
    }
    let reports = doc.paths.paths["/api/v1/reports"]
        .post
        .as_ref()
        .expect("post");
    assert!(reports.security.is_none());
}

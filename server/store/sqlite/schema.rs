//! Diesel table definitions, matching `migrations_sqlite/`. Every timestamp is a `BigInt` of
//! microseconds since the Unix epoch; arrays are JSON `Text`.

diesel::table! {
    services (slug) {
        slug -> Text,
        name -> Text,
        category -> Text,
        aliases -> Text,
        url -> Nullable<Text>,
        country -> Nullable<Text>,
        symptoms -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    reports (id) {
        id -> BigInt,
        received_at -> BigInt,
        service -> Text,
        symptoms -> Text,
        counted -> Bool,
        reporter -> Binary,
        subnet -> Binary,
        country -> Nullable<Text>,
        subdivision -> Nullable<Text>,
        city -> Nullable<Text>,
        lat -> Nullable<Float>,
        lon -> Nullable<Float>,
        asn -> Nullable<Integer>,
        as_org -> Nullable<Text>,
        region_source -> Text,
    }
}

diesel::table! {
    bucket_repairs (service, minute) {
        service -> Text,
        minute -> BigInt,
        noted_at -> BigInt,
    }
}

diesel::table! {
    rollups (service, bucket, country, symptom) {
        service -> Text,
        bucket -> BigInt,
        country -> Text,
        symptom -> Text,
        reports -> Integer,
        unique_reporters -> Integer,
    }
}

diesel::table! {
    rollup_watermark (id) {
        id -> Integer,
        done_to -> BigInt,
    }
}

diesel::table! {
    incidents (id) {
        id -> BigInt,
        service -> Text,
        scope -> Text,
        status -> Text,
        severity -> Text,
        started_at -> BigInt,
        escalated_at -> Nullable<BigInt>,
        resolved_at -> Nullable<BigInt>,
        peak_at -> BigInt,
        peak_observed -> Double,
        peak_expected -> Double,
        peak_score -> Double,
        total_reports -> BigInt,
        evidence -> Json,
        methodology -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    incident_events (id) {
        id -> BigInt,
        incident_id -> BigInt,
        at -> BigInt,
        kind -> Text,
        state -> Text,
        observed -> Double,
        expected -> Double,
        score -> Double,
        detail -> Json,
    }
}

diesel::table! {
    detector_series (service, scope) {
        service -> Text,
        scope -> Text,
        tracker -> Json,
        updated_at -> BigInt,
    }
}

diesel::joinable!(incident_events -> incidents (incident_id));
diesel::allow_tables_to_appear_in_same_query!(
    incidents,
    incident_events,
    webhooks,
    webhook_deliveries
);

diesel::table! {
    api_keys (id) {
        id -> BigInt,
        name -> Text,
        prefix -> Text,
        key_hash -> Binary,
        rate_per_minute -> Nullable<Integer>,
        created_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        url -> Text,
        secret -> Text,
        description -> Nullable<Text>,
        created_at -> BigInt,
        disabled_at -> Nullable<BigInt>,
        enqueued_through -> BigInt,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        webhook_id -> BigInt,
        event_id -> BigInt,
        attempts -> Integer,
        status -> Text,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        next_attempt_at -> BigInt,
        created_at -> BigInt,
        delivered_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(webhook_deliveries -> incident_events (event_id));

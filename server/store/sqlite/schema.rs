//! Diesel table definitions, matching `migrations_sqlite/`. Every timestamp is INTEGER
//! microseconds since the Unix epoch ([`UnixMicros`]: `DateTime<Utc>` in Rust); lists of
//! strings are JSON text ([`TextList`]: `Vec<String>`).

#[cfg(doc)]
use super::types::{TextList, UnixMicros};

diesel::table! {
    use diesel::sql_types::*;
    use crate::store::sqlite::types::{TextList, UnixMicros};

    services (slug) {
        slug -> Text,
        name -> Text,
        category -> Text,
        aliases -> TextList,
        url -> Nullable<Text>,
        country -> Nullable<Text>,
        symptoms -> TextList,
        depends_on -> TextList,
        created_at -> UnixMicros,
        updated_at -> UnixMicros,
        status_kind -> Nullable<Text>,
        status_url -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::store::sqlite::types::{TextList, UnixMicros};

    reports (id) {
        id -> BigInt,
        received_at -> UnixMicros,
        service -> Text,
        symptoms -> TextList,
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
        platform -> Nullable<Text>,
        phrase -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::store::sqlite::types::{TextList, UnixMicros};

    bucket_repairs (service, minute) {
        service -> Text,
        minute -> UnixMicros,
        noted_at -> UnixMicros,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::store::sqlite::types::{TextList, UnixMicros};

    rollups (service, bucket, country, symptom) {
        service -> Text,
        bucket -> UnixMicros,
        country -> Text,
        symptom -> Text,
        reports -> Integer,
        unique_reporters -> Integer,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::store::sqlite::types::{TextList, UnixMicros};

    rollup_watermark (id) {
        id -> Integer,
        done_to -> UnixMicros,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::store::sqlite::types::{TextList, UnixMicros};

    incidents (id) {
        id -> BigInt,
        service -> Text,
        scope -> Text,
        status -> Text,
        severity -> Text,
        started_at -> UnixMicros,
        escalated_at -> Nullable<UnixMicros>,
        resolved_at -> Nullable<UnixMicros>,
        peak_at -> UnixMicros,
        peak_observed -> Double,
        peak_expected -> Double,
        peak_score -> Double,
        total_reports -> BigInt,
        evidence -> Json,
        methodology -> Text,
        updated_at -> UnixMicros,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::store::sqlite::types::{TextList, UnixMicros};

    incident_events (id) {
        id -> BigInt,
        incident_id -> BigInt,
        at -> UnixMicros,
        kind -> Text,
        state -> Text,
        observed -> Double,
        expected -> Double,
        score -> Double,
        detail -> Json,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::store::sqlite::types::{TextList, UnixMicros};

    detector_series (service, scope) {
        service -> Text,
        scope -> Text,
        tracker -> Json,
        updated_at -> UnixMicros,
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
    use diesel::sql_types::*;
    use crate::store::sqlite::types::{TextList, UnixMicros};

    api_keys (id) {
        id -> BigInt,
        name -> Text,
        prefix -> Text,
        key_hash -> Binary,
        rate_per_minute -> Nullable<Integer>,
        created_at -> UnixMicros,
        last_used_at -> Nullable<UnixMicros>,
        revoked_at -> Nullable<UnixMicros>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::store::sqlite::types::{TextList, UnixMicros};

    webhooks (id) {
        id -> BigInt,
        url -> Text,
        secret -> Text,
        description -> Nullable<Text>,
        created_at -> UnixMicros,
        disabled_at -> Nullable<UnixMicros>,
        enqueued_through -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::store::sqlite::types::{TextList, UnixMicros};

    webhook_deliveries (id) {
        id -> BigInt,
        webhook_id -> BigInt,
        event_id -> BigInt,
        attempts -> Integer,
        status -> Text,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        next_attempt_at -> UnixMicros,
        created_at -> UnixMicros,
        delivered_at -> Nullable<UnixMicros>,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(webhook_deliveries -> incident_events (event_id));

diesel::table! {
    use diesel::sql_types::*;
    use crate::store::sqlite::types::UnixMicros;

    outage_events (id) {
        id -> BigInt,
        status -> Text,
        started_at -> UnixMicros,
        ended_at -> Nullable<UnixMicros>,
        peak_at -> UnixMicros,
        peak_reports -> Double,
        reports -> Double,
        members -> Integer,
        cause_kind -> Nullable<Text>,
        cause_key -> Nullable<Text>,
        cause_confidence -> Nullable<Double>,
        rank -> Double,
        detail -> Json,
        updated_at -> UnixMicros,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::store::sqlite::types::UnixMicros;

    outage_members (incident_id) {
        incident_id -> BigInt,
        event_id -> BigInt,
        service -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::store::sqlite::types::UnixMicros;

    outage_countries (event_id, country) {
        event_id -> BigInt,
        country -> Text,
        share -> Double,
    }
}

diesel::joinable!(outage_members -> outage_events (event_id));
diesel::joinable!(outage_countries -> outage_events (event_id));
diesel::allow_tables_to_appear_in_same_query!(
    outage_events,
    outage_members,
    outage_countries,
    services,
    incidents
);

diesel::table! {
    use diesel::sql_types::*;
    use crate::store::sqlite::types::{TextList, UnixMicros};

    official_sources (service) {
        service -> Text,
        kind -> Text,
        url -> Text,
        indicator -> Nullable<Text>,
        components -> Text,
        checked_at -> UnixMicros,
        ok_at -> Nullable<UnixMicros>,
        unavailable_since -> Nullable<UnixMicros>,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::store::sqlite::types::{TextList, UnixMicros};

    official_component_changes (service, component, changed_at) {
        service -> Text,
        component -> Text,
        status -> Text,
        changed_at -> UnixMicros,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::store::sqlite::types::{TextList, UnixMicros};

    official_incidents (id) {
        id -> BigInt,
        service -> Text,
        external_id -> Text,
        title -> Text,
        impact -> Text,
        stage -> Text,
        url -> Nullable<Text>,
        components -> TextList,
        started_at -> UnixMicros,
        first_posted_at -> UnixMicros,
        resolved_at -> Nullable<UnixMicros>,
        updates -> Text,
        seen_at -> UnixMicros,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::store::sqlite::types::{TextList, UnixMicros};

    official_links (incident_id) {
        incident_id -> BigInt,
        official_id -> BigInt,
        service -> Text,
        onset_at -> UnixMicros,
        lead_minutes -> Integer,
        linked_at -> UnixMicros,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::store::sqlite::types::{TextList, UnixMicros};

    official_lease (name) {
        name -> Text,
        holder -> Text,
        expires_at -> UnixMicros,
    }
}

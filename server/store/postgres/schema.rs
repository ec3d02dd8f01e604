//! Diesel table definitions, matching `migrations/`.

diesel::table! {
    services (slug) {
        slug -> Text,
        name -> Text,
        category -> Text,
        aliases -> Array<Text>,
        url -> Nullable<Text>,
        country -> Nullable<Text>,
        symptoms -> Array<Text>,
        depends_on -> Array<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        status_kind -> Nullable<Text>,
        status_url -> Nullable<Text>,
    }
}

diesel::table! {
    reports (id, received_at) {
        id -> BigInt,
        received_at -> Timestamptz,
        service -> Text,
        symptoms -> Array<Text>,
        counted -> Bool,
        reporter -> Bytea,
        subnet -> Bytea,
        country -> Nullable<Text>,
        subdivision -> Nullable<Text>,
        city -> Nullable<Text>,
        lat -> Nullable<Float4>,
        lon -> Nullable<Float4>,
        asn -> Nullable<Integer>,
        as_org -> Nullable<Text>,
        region_source -> Text,
        platform -> Nullable<Text>,
        phrase -> Nullable<Text>,
    }
}

diesel::table! {
    bucket_repairs (service, minute) {
        service -> Text,
        minute -> Timestamptz,
        noted_at -> Timestamptz,
    }
}

diesel::table! {
    rollups (service, bucket, country, symptom) {
        service -> Text,
        bucket -> Timestamptz,
        country -> Text,
        symptom -> Text,
        reports -> Integer,
        unique_reporters -> Integer,
    }
}

diesel::table! {
    rollup_watermark (id) {
        id -> Bool,
        done_to -> Timestamptz,
    }
}

diesel::table! {
    incidents (id) {
        id -> BigInt,
        service -> Text,
        scope -> Text,
        status -> Text,
        severity -> Text,
        started_at -> Timestamptz,
        escalated_at -> Nullable<Timestamptz>,
        resolved_at -> Nullable<Timestamptz>,
        peak_at -> Timestamptz,
        peak_observed -> Double,
        peak_expected -> Double,
        peak_score -> Double,
        total_reports -> BigInt,
        evidence -> Jsonb,
        methodology -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    incident_events (id) {
        id -> BigInt,
        incident_id -> BigInt,
        at -> Timestamptz,
        kind -> Text,
        state -> Text,
        observed -> Double,
        expected -> Double,
        score -> Double,
        detail -> Jsonb,
    }
}

diesel::table! {
    detector_series (service, scope) {
        service -> Text,
        scope -> Text,
        tracker -> Jsonb,
        updated_at -> Timestamptz,
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
        key_hash -> Bytea,
        rate_per_minute -> Nullable<Integer>,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        url -> Text,
        secret -> Text,
        description -> Nullable<Text>,
        created_at -> Timestamptz,
        disabled_at -> Nullable<Timestamptz>,
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
        next_attempt_at -> Timestamptz,
        created_at -> Timestamptz,
        delivered_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(webhook_deliveries -> incident_events (event_id));

diesel::table! {
    outage_events (id) {
        id -> BigInt,
        status -> Text,
        started_at -> Timestamptz,
        ended_at -> Nullable<Timestamptz>,
        peak_at -> Timestamptz,
        peak_reports -> Double,
        reports -> Double,
        members -> Integer,
        cause_kind -> Nullable<Text>,
        cause_key -> Nullable<Text>,
        cause_confidence -> Nullable<Double>,
        rank -> Double,
        detail -> Jsonb,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    outage_members (incident_id) {
        incident_id -> BigInt,
        event_id -> BigInt,
        service -> Text,
    }
}

diesel::table! {
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
    official_sources (service) {
        service -> Text,
        kind -> Text,
        url -> Text,
        indicator -> Nullable<Text>,
        components -> Text,
        checked_at -> Timestamptz,
        ok_at -> Nullable<Timestamptz>,
        unavailable_since -> Nullable<Timestamptz>,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    official_component_changes (service, component, changed_at) {
        service -> Text,
        component -> Text,
        status -> Text,
        changed_at -> Timestamptz,
    }
}

diesel::table! {
    official_incidents (id) {
        id -> BigInt,
        service -> Text,
        external_id -> Text,
        title -> Text,
        impact -> Text,
        stage -> Text,
        url -> Nullable<Text>,
        components -> Array<Text>,
        started_at -> Timestamptz,
        first_posted_at -> Timestamptz,
        resolved_at -> Nullable<Timestamptz>,
        updates -> Text,
        seen_at -> Timestamptz,
    }
}

diesel::table! {
    official_links (incident_id) {
        incident_id -> BigInt,
        official_id -> BigInt,
        service -> Text,
        onset_at -> Timestamptz,
        lead_minutes -> Integer,
        linked_at -> Timestamptz,
    }
}

diesel::table! {
    official_lease (name) {
        name -> Text,
        holder -> Text,
        expires_at -> Timestamptz,
    }
}

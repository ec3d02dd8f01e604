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
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
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
    }
}

diesel::table! {
    bucket_repairs (service, minute) {
        service -> Text,
        minute -> Timestamptz,
        noted_at -> Timestamptz,
    }
}

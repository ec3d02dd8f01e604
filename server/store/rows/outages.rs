//! The query listing outage events, written once for both SQL backends: [`outage_query!`]
//! expands, where it is called, to a boxed diesel query over that backend's `super::schema`,
//! with `$time` turning a `DateTime<Utc>` into what the backend compares times with.

/// `outage_query!(filter, time)`: the events `filter` selects, in its order, at most
/// `filter.limit` of them, as [`OutageRow`](super)s.
macro_rules! outage_query {
    ($f:expr, $time:expr) => {{
        use super::schema::{outage_countries, outage_events, outage_members, services};
        use $crate::store::{OutageCursor, OutageOrder};
        let f = $f;
        let mut query = outage_events::table
            .select(OutageRow::as_select())
            .into_boxed();
        if let Some(status) = f.status {
            query = query.filter(outage_events::status.eq(status.as_str()));
        }
        if let Some(from) = f.from {
            query = query.filter(outage_events::started_at.ge($time(from)));
        }
        if let Some(to) = f.to {
            query = query.filter(outage_events::started_at.lt($time(to)));
        }
        if let Some(country) = &f.country {
            query = query.filter(
                outage_events::id.eq_any(
                    outage_countries::table
                        .filter(outage_countries::country.eq(country.as_str().to_owned()))
                        .select(outage_countries::event_id),
                ),
            );
        }
        if let Some(category) = &f.category {
            query = query.filter(
                outage_events::id.eq_any(
                    outage_members::table
                        .filter(
                            outage_members::service.eq_any(
                                services::table
                                    .filter(services::category.eq(category.clone()))
                                    .select(services::slug),
                            ),
                        )
                        .select(outage_members::event_id),
                ),
            );
        }
        if let Some(provider) = &f.provider {
            query = query
                .filter(outage_events::cause_kind.eq("provider"))
                .filter(outage_events::cause_key.eq(provider.clone()));
        }
        if let Some(service) = &f.service {
            query = query.filter(
                outage_events::id.eq_any(
                    outage_members::table
                        .filter(outage_members::service.eq(service.clone()))
                        .select(outage_members::event_id),
                ),
            );
        }
        match f.after {
            Some(OutageCursor::Recent { started_at, id }) => {
                let at = $time(started_at);
                query = query.filter(
                    outage_events::started_at
                        .lt(at)
                        .or(outage_events::started_at
                            .eq(at)
                            .and(outage_events::id.lt(id))),
                );
            }
            Some(OutageCursor::Rank { rank, id }) => {
                query = query.filter(
                    outage_events::rank
                        .lt(rank)
                        .or(outage_events::rank.eq(rank).and(outage_events::id.lt(id))),
                );
            }
            None => {}
        }
        let query = match f.order {
            OutageOrder::Recent => {
                query.order((outage_events::started_at.desc(), outage_events::id.desc()))
            }
            OutageOrder::Rank => {
                query.order((outage_events::rank.desc(), outage_events::id.desc()))
            }
        };
        query.limit(f.limit)
    }};
}

pub(crate) use outage_query;

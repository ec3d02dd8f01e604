//! The batch INSERT of the report log: one statement of fixed shape whatever the batch size,
//! each column bound as one array (`INSERT … SELECT … FROM unnest($1, …, $16)`).
//!
//! A multi-row `INSERT … VALUES` has 16 parameters per report: Postgres parses and plans a
//! new statement of up to 16,000 parameters for every batch, and diesel cannot keep it
//! prepared (its text changes with the batch size). This statement has 16 parameters, is
//! prepared once per connection, and Postgres plans it once.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Bytea, Float4, Integer, Nullable, Text, Timestamptz};
use diesel::QueryResult;

use crate::domain::Platform;
use crate::store::NewReport;

/// Separates a report's symptoms in the one text the statement splits again: symptom
/// codes are lower-case words, and no text a client sends keeps a control character.
const SYMPTOM_SEPARATOR: char = '\u{1f}';

/// `WITH ORDINALITY … ORDER BY ord`: rows are inserted, and so take their ids from the
/// sequence, in the batch's order.
const SQL: &str = "INSERT INTO reports (received_at, service, symptoms, counted, reporter, \
     subnet, country, subdivision, city, lat, lon, asn, as_org, region_source, platform, phrase) \
     SELECT received_at, service, string_to_array(symptoms, chr(31)), counted, reporter, \
     subnet, country, subdivision, city, lat, lon, asn, as_org, region_source, platform, phrase \
     FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
     WITH ORDINALITY AS t(received_at, service, symptoms, counted, reporter, subnet, country, \
     subdivision, city, lat, lon, asn, as_org, region_source, platform, phrase, ord) \
     ORDER BY ord RETURNING id";

/// A batch of reports as one array per column.
pub(super) struct AppendBatch<'a> {
    received_at: Vec<chrono::DateTime<chrono::Utc>>,
    service: Vec<&'a str>,
    symptoms: Vec<String>,
    counted: Vec<bool>,
    reporter: Vec<&'a [u8]>,
    subnet: Vec<&'a [u8]>,
    country: Vec<Option<&'a str>>,
    subdivision: Vec<Option<&'a str>>,
    city: Vec<Option<&'a str>>,
    lat: Vec<Option<f32>>,
    lon: Vec<Option<f32>>,
    asn: Vec<Option<i32>>,
    as_org: Vec<Option<&'a str>>,
    region_source: Vec<&'a str>,
    platform: Vec<Option<&'static str>>,
    phrase: Vec<Option<&'a str>>,
}

impl<'a> AppendBatch<'a> {
    pub(super) fn new(batch: &'a [NewReport]) -> Self {
        let n = batch.len();
        let mut b = Self {
            received_at: Vec::with_capacity(n),
            service: Vec::with_capacity(n),
            symptoms: Vec::with_capacity(n),
            counted: Vec::with_capacity(n),
            reporter: Vec::with_capacity(n),
            subnet: Vec::with_capacity(n),
            country: Vec::with_capacity(n),
            subdivision: Vec::with_capacity(n),
            city: Vec::with_capacity(n),
            lat: Vec::with_capacity(n),
            lon: Vec::with_capacity(n),
            asn: Vec::with_capacity(n),
            as_org: Vec::with_capacity(n),
            region_source: Vec::with_capacity(n),
            platform: Vec::with_capacity(n),
            phrase: Vec::with_capacity(n),
        };
        for r in batch {
            b.received_at.push(r.received_at);
            b.service.push(&r.service);
            b.symptoms.push(join_symptoms(&r.symptoms));
            b.counted.push(r.counted);
            b.reporter.push(&r.reporter);
            b.subnet.push(&r.subnet);
            b.country.push(r.country.as_deref());
            b.subdivision.push(r.subdivision.as_deref());
            b.city.push(r.city.as_deref());
            b.lat.push(r.lat);
            b.lon.push(r.lon);
            b.asn.push(r.asn);
            b.as_org.push(r.as_org.as_deref());
            b.region_source.push(r.region_source);
            b.platform.push(r.platform.map(Platform::as_str));
            b.phrase.push(r.phrase.as_deref());
        }
        b
    }
}

/// The symptoms as one text for `string_to_array(…, chr(31))`. A report always names at
/// least one symptom (an empty text would come back as no symptoms, which is the same).
fn join_symptoms(symptoms: &[String]) -> String {
    let mut joined = String::with_capacity(symptoms.iter().map(|s| s.len() + 1).sum());
    for (i, s) in symptoms.iter().enumerate() {
        if i > 0 {
            joined.push(SYMPTOM_SEPARATOR);
        }
        joined.push_str(s);
    }
    joined
}

impl QueryFragment<Pg> for AppendBatch<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // The text is the same for every batch: the statement is kept prepared.
        let mut sql = SQL.split('$');
        out.push_sql(sql.next().unwrap_or_default());
        let mut rest = |out: &mut AstPass<'_, 'b, Pg>| {
            // Each `$n` is replaced by the bind diesel numbers itself; keep what follows it.
            let tail = sql.next().unwrap_or_default();
            out.push_sql(tail.trim_start_matches(|c: char| c.is_ascii_digit()));
        };
        out.push_bind_param::<Array<Timestamptz>, _>(&self.received_at)?;
        rest(&mut out);
        out.push_bind_param::<Array<Text>, _>(&self.service)?;
        rest(&mut out);
        out.push_bind_param::<Array<Text>, _>(&self.symptoms)?;
        rest(&mut out);
        out.push_bind_param::<Array<Bool>, _>(&self.counted)?;
        rest(&mut out);
        out.push_bind_param::<Array<Bytea>, _>(&self.reporter)?;
        rest(&mut out);
        out.push_bind_param::<Array<Bytea>, _>(&self.subnet)?;
        rest(&mut out);
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.country)?;
        rest(&mut out);
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.subdivision)?;
        rest(&mut out);
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.city)?;
        rest(&mut out);
        out.push_bind_param::<Array<Nullable<Float4>>, _>(&self.lat)?;
        rest(&mut out);
        out.push_bind_param::<Array<Nullable<Float4>>, _>(&self.lon)?;
        rest(&mut out);
        out.push_bind_param::<Array<Nullable<Integer>>, _>(&self.asn)?;
        rest(&mut out);
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.as_org)?;
        rest(&mut out);
        out.push_bind_param::<Array<Text>, _>(&self.region_source)?;
        rest(&mut out);
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.platform)?;
        rest(&mut out);
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.phrase)?;
        rest(&mut out);
        Ok(())
    }
}

impl QueryId for AppendBatch<'_> {
    type QueryId = AppendBatch<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for AppendBatch<'_> {
    type SqlType = BigInt;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symptoms_are_joined_by_the_unit_separator() {
        let s = |v: &[&str]| join_symptoms(&v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        assert_eq!(s(&["login"]), "login");
        assert_eq!(s(&["login", "app"]), "login\u{1f}app");
        assert_eq!(SQL.matches('$').count(), 16);
    }
}

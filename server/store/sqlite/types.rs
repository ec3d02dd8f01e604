//! The SQL types of the SQLite schema that reach Rust as the Postgres ones do, so that both
//! backends' rows hold the same types: [`UnixMicros`], a time as INTEGER microseconds since
//! the Unix epoch, read as `DateTime<Utc>`; [`TextList`], a list of strings as a JSON array in
//! TEXT, read as `Vec<String>`. A value written or compared goes through its newtype,
//! [`Micros`] or [`JsonList`] (diesel's expressions cannot be implemented for chrono's and std's
//! types outside diesel). The file format is unchanged.

use chrono::{DateTime, Utc};
use diesel::deserialize::{self, FromSql};
use diesel::expression::AsExpression;
use diesel::query_builder::QueryId;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{BigInt, SqlType, Text};
use diesel::sqlite::{Sqlite, SqliteValue};

/// The SQL type of a time: INTEGER microseconds since the Unix epoch (UTC); read as
/// `DateTime<Utc>`, written as [`Micros`].
#[derive(Debug, Clone, Copy, Default, SqlType, QueryId)]
#[diesel(sqlite_type(name = "Long"))]
pub struct UnixMicros;

/// Times are ordered: `min` and `max` work on them.
impl diesel::sql_types::SqlOrd for UnixMicros {}

/// A time to write into a [`UnixMicros`] column or to compare one with; finer times are
/// truncated to the microsecond, as Postgres keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, AsExpression)]
#[diesel(sql_type = UnixMicros)]
pub struct Micros(pub DateTime<Utc>);

/// The SQL type of a list of strings: a JSON array in TEXT; read as `Vec<String>`, written as
/// [`JsonList`].
#[derive(Debug, Clone, Copy, Default, SqlType, QueryId)]
#[diesel(sqlite_type(name = "Text"))]
pub struct TextList;

/// A list of strings to write into a [`TextList`] column.
#[derive(Debug, Clone, PartialEq, Eq, AsExpression)]
#[diesel(sql_type = TextList)]
pub struct JsonList(pub Vec<String>);

impl FromSql<UnixMicros, Sqlite> for DateTime<Utc> {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let us = <i64 as FromSql<BigInt, Sqlite>>::from_sql(value)?;
        DateTime::from_timestamp_micros(us).ok_or_else(|| format!("time {us} out of range").into())
    }
}

/// For raw SQL: `.bind::<UnixMicros, _>(t)`.
impl ToSql<UnixMicros, Sqlite> for DateTime<Utc> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.timestamp_micros());
        Ok(IsNull::No)
    }
}

impl ToSql<UnixMicros, Sqlite> for Micros {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        <DateTime<Utc> as ToSql<UnixMicros, Sqlite>>::to_sql(&self.0, out)
    }
}

impl FromSql<TextList, Sqlite> for Vec<String> {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Sqlite>>::from_sql(value)?;
        serde_json::from_str(&text).map_err(|e| format!("not a JSON list: {e}").into())
    }
}

impl ToSql<TextList, Sqlite> for JsonList {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(serde_json::to_string(&self.0)?);
        Ok(IsNull::No)
    }
}

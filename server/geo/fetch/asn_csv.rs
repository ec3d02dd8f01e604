//! An ASN `.mmdb` built from ip-location-db's `asn` package, which ships CSV
//! only: `range_start,range_end,autonomous_system_number,autonomous_system_organization`.

use std::net::IpAddr;

use mmdb_writer::{Value, Writer};

/// `database_type` of the built database (contains "asn", as the loader expects).
pub(super) const DATABASE_TYPE: &str = "asn ipvAll (built from CSV)";

/// What [`build`] made.
pub(super) struct Built {
    pub mmdb: Vec<u8>,
    /// Rows placed in the database.
    pub rows: u64,
    /// Rows left out: unparsable, or in a range MaxMind DB keeps for IPv4
    /// aliases (such as 2001::/32).
    pub skipped: u64,
}

/// Builds an ASN database from the CSV texts (IPv4 and IPv6 alike).
pub(super) fn build(csvs: &[Vec<u8>]) -> Result<Built, String> {
    let mut writer = Writer::builder(DATABASE_TYPE)
        .description(&[(
            "en",
            "IP to ASN from ip-location-db (RouteViews, RIRs, DB-IP ASN Lite; CC BY 4.0)",
        )])
        .build();
    let (mut rows, mut skipped) = (0_u64, 0_u64);
    for csv in csvs {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(csv.as_slice());
        for record in reader.records() {
            let Ok(record) = record else {
                skipped += 1;
                continue;
            };
            let parsed = (
                record.get(0).and_then(|s| s.parse::<IpAddr>().ok()),
                record.get(1).and_then(|s| s.parse::<IpAddr>().ok()),
                record.get(2).and_then(|s| s.parse::<u32>().ok()),
            );
            let (Some(start), Some(end), Some(asn)) = parsed else {
                skipped += 1;
                continue;
            };
            let value = Value::map([
                ("autonomous_system_number", Value::from(asn)),
                (
                    "autonomous_system_organization",
                    Value::from(record.get(3).unwrap_or("").trim()),
                ),
            ]);
            if writer.insert_range(start, end, &value).is_ok() {
                rows += 1;
            } else {
                skipped += 1;
            }
        }
    }
    if rows == 0 {
        return Err("no usable row in the ASN CSV files".to_owned());
    }
    let mmdb = writer.to_bytes().map_err(|e| e.to_string())?;
    Ok(Built {
        mmdb,
        rows,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::GeoIp;

    #[test]
    fn csv_ranges_become_an_asn_database() {
        let v4 = b"1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\nnot,a,row\n".to_vec();
        let v6 = b"2001::,2001::ffff,6939,Teredo is aliased\n2a01:e00::,2a01:e3f:ffff:ffff:ffff:ffff:ffff:ffff,12322,Free SAS\n".to_vec();
        let built = build(&[v4, v6]).expect("build");
        assert_eq!((built.rows, built.skipped), (2, 2));

        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("asn.mmdb");
        std::fs::write(&path, &built.mmdb).expect("write");
        let geo = GeoIp::open(None, Some(&path)).expect("open");
        let cloudflare = geo.lookup("1.0.0.1".parse().expect("ip"));
        assert_eq!(cloudflare.asn, Some(13335));
        assert_eq!(cloudflare.as_org.as_deref(), Some("Cloudflare, Inc."));
        assert_eq!(
            geo.lookup("2a01:e0a::1".parse().expect("ip")).asn,
            Some(12322)
        );
    }

    #[test]
    fn no_usable_row_is_an_error() {
        assert!(build(&[b"x,y,z\n".to_vec()]).is_err());
    }
}

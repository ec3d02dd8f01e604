//! The connection behind [`super::RedisStore`]: one Redis server (a `ConnectionManager`) or a
//! Redis Cluster (the crate's async cluster client), behind `redis::aio::ConnectionLike` so that
//! every store method sends the same commands and pipelines either way.
//!
//! The cluster client routes each single command to the node owning its key, but sends a whole
//! pipeline to one node and fails it with `CROSSSLOT` when its keys live in several slots. A
//! batch of reports, a detector window or a batch of gate checks touches many services (many
//! slots), so [`RedisConn`] splits a non-transactional pipeline by slot, sends the parts
//! concurrently and puts the answers back in order. A `MULTI`/`EXEC` pipeline must be
//! single-slot and is sent whole.

use std::collections::HashMap;

use futures_util::future::try_join_all;
use redis::aio::{ConnectionLike, ConnectionManager, MultiplexedConnection};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::Slot;
use redis::{Arg, Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, Value};

/// Scheme of a Redis Cluster URL: `redis+cluster://host:port,host:port,...`.
pub const CLUSTER_SCHEME: &str = "redis+cluster://";

/// Where Redis is, from `REDIS_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisTarget {
    /// One server: a `redis://` (or `rediss://`, `unix://`) URL, used as given.
    Single(String),
    /// A Redis Cluster: a `redis://` URL per seed node (any reachable master or replica is
    /// enough; the client discovers the rest with `CLUSTER SLOTS`).
    Cluster(Vec<String>),
}

impl RedisTarget {
    /// Reads `redis+cluster://[user:password@]host:port,host:port,...[/][?query]` as a cluster
    /// (a host without a port means 6379; the user, password and query apply to every node);
    /// any other URL is a single server.
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        let has_scheme = url
            .get(..CLUSTER_SCHEME.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(CLUSTER_SCHEME));
        if !has_scheme {
            return Ok(Self::Single(url.to_owned()));
        }
        let rest = &url[CLUSTER_SCHEME.len()..];
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (userinfo, rest) = match rest.rsplit_once('@') {
            Some((u, r)) => (Some(u), r),
            None => (None, rest),
        };
        let (hosts, path) = match rest.split_once('/') {
            Some((h, p)) => (h, p),
            None => (rest, ""),
        };
        if !matches!(path, "" | "0") {
            return Err(format!(
                "{CLUSTER_SCHEME} URL names database /{path}: a Redis Cluster has only database 0"
            ));
        }
        let mut nodes = Vec::new();
        for host in hosts.split(',').map(str::trim) {
            if host.is_empty() {
                return Err(format!(
                    "{CLUSTER_SCHEME} URL has an empty node: list host:port,host:port,..."
                ));
            }
            // `[::1]:7000`, `10.0.0.1:7000`, `redis-a` (port 6379).
            let has_port = match host.rfind(':') {
                Some(i) => !host.ends_with(']') && host[i + 1..].parse::<u16>().is_ok(),
                None => false,
            };
            if !has_port && host.contains(':') && !host.ends_with(']') {
                return Err(format!("{CLUSTER_SCHEME} URL: {host:?} is not host:port"));
            }
            let port = if has_port { "" } else { ":6379" };
            let auth = userinfo.map(|u| format!("{u}@")).unwrap_or_default();
            let query = query.map(|q| format!("?{q}")).unwrap_or_default();
            nodes.push(format!("redis://{auth}{host}{port}/{query}"));
        }
        Ok(Self::Cluster(nodes))
    }
}

/// A connection to Redis: cheap to clone, every clone shares the underlying sockets.
#[derive(Clone)]
pub(crate) enum RedisConn {
    /// One server, reconnecting on failure (the store's shared connection).
    Managed(ConnectionManager),
    /// One server, a plain multiplexed connection (for blocking reads).
    Direct(MultiplexedConnection),
    /// A Redis Cluster: one multiplexed connection per node, commands routed by key slot.
    Cluster(ClusterConnection),
}

impl ConnectionLike for RedisConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Managed(c) => c.req_packed_command(cmd),
            Self::Direct(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Managed(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Direct(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(c) => {
                // A plain pipeline asks for every answer (offset 0); a transaction for EXEC's.
                let whole = !pipeline.is_transaction() && offset == 0 && count == pipeline.len();
                match whole.then(|| slot_groups(pipeline)).flatten() {
                    Some(groups) => Box::pin(query_split(c.clone(), pipeline, groups)),
                    None => c.req_packed_commands(pipeline, offset, count),
                }
            }
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Managed(c) => c.get_db(),
            Self::Direct(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}

/// The slot of the key a command is routed by, for the commands Downwatch sends; `None` for
/// keyless commands. A command this misjudges still fails loudly: the cluster client refuses
/// a sub-pipeline whose commands it routes to different slots.
pub(crate) fn command_slot(cmd: &Cmd) -> Option<Slot> {
    let args: Vec<&[u8]> = cmd
        .args_iter()
        .filter_map(|a| match a {
            Arg::Simple(a) => Some(a),
            _ => None,
        })
        .collect();
    let name = args.first()?.to_ascii_uppercase();
    let key = match name.as_slice() {
        b"EVAL" | b"EVALSHA" | b"EVAL_RO" | b"EVALSHA_RO" | b"FCALL" | b"FCALL_RO" => {
            let keys: usize = std::str::from_utf8(args.get(2)?).ok()?.parse().ok()?;
            if keys == 0 {
                return None;
            }
            args.get(3)?
        }
        b"XREAD" | b"XREADGROUP" => {
            let at = args
                .iter()
                .position(|a| a.eq_ignore_ascii_case(b"STREAMS"))?;
            args.get(at + 1)?
        }
        b"PING" | b"ECHO" | b"INFO" | b"TIME" | b"SCRIPT" | b"FUNCTION" | b"CLUSTER"
        | b"CONFIG" | b"CLIENT" | b"COMMAND" | b"MULTI" | b"EXEC" | b"DISCARD" | b"DBSIZE"
        | b"KEYS" | b"SCAN" | b"FLUSHDB" | b"FLUSHALL" | b"SELECT" | b"AUTH" | b"HELLO" => {
            return None
        }
        _ => args.get(1)?,
    };
    Some(Slot::for_key(key))
}

/// The pipeline's command indexes grouped by slot, in order of first appearance; `None` when
/// they all share one slot (or none), so the pipeline can go as it is.
fn slot_groups(pipeline: &Pipeline) -> Option<Vec<Vec<usize>>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut by_slot: HashMap<Option<Slot>, usize> = HashMap::new();
    for (i, cmd) in pipeline.cmd_iter().enumerate() {
        let group = *by_slot.entry(command_slot(cmd)).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[group].push(i);
    }
    (groups.len() > 1).then_some(groups)
}

/// Sends each slot's commands as a pipeline of its own, concurrently, and answers as if the
/// whole pipeline had gone to one server: one value (or server error) per command, in order.
async fn query_split(
    conn: ClusterConnection,
    pipeline: &Pipeline,
    groups: Vec<Vec<usize>>,
) -> Result<Vec<Value>, RedisError> {
    let cmds: Vec<&Cmd> = pipeline.cmd_iter().collect();
    let parts = groups.into_iter().map(|indexes| {
        let mut part = Pipeline::with_capacity(indexes.len());
        for &i in &indexes {
            part.add_command(cmds[i].clone());
        }
        let mut conn = conn.clone();
        async move {
            let values = conn.req_packed_commands(&part, 0, part.len()).await?;
            Ok::<_, RedisError>((indexes, values))
        }
    });
    let answers = try_join_all(parts).await?;
    let mut out = vec![Value::Nil; cmds.len()];
    for (indexes, values) in answers {
        if values.len() != indexes.len() {
            return Err(RedisError::from((
                ErrorKind::Client,
                "cluster pipeline part answered the wrong number of values",
            )));
        }
        for (i, value) in indexes.into_iter().zip(values) {
            out[i] = value;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_urls_list_their_nodes() {
        assert_eq!(
            RedisTarget::parse("redis://127.0.0.1:6379/").expect("single"),
            RedisTarget::Single("redis://127.0.0.1:6379/".into())
        );
        assert_eq!(
            RedisTarget::parse("redis+cluster://127.0.0.1:7000, 127.0.0.1:7001,redis-c/")
                .expect("cluster"),
            RedisTarget::Cluster(vec![
                "redis://127.0.0.1:7000/".into(),
                "redis://127.0.0.1:7001/".into(),
                "redis://redis-c:6379/".into(),
            ])
        );
        assert_eq!(
            RedisTarget::parse("Redis+Cluster://:s3cret@[::1]:7000,[::1]:7001?protocol=3")
                .expect("cluster"),
            RedisTarget::Cluster(vec![
                "redis://:s3cret@[::1]:7000/?protocol=3".into(),
                "redis://:s3cret@[::1]:7001/?protocol=3".into(),
            ])
        );
        assert!(RedisTarget::parse("redis+cluster://a:1,,b:2").is_err());
        assert!(RedisTarget::parse("redis+cluster://a:1/3").is_err());
        assert!(RedisTarget::parse("redis+cluster://a:port").is_err());
    }

    #[test]
    fn pipelines_split_by_key_slot() {
        let mut pipe = redis::pipe();
        pipe.hincr("dw:{s:netflix}:m:1", "total", 1)
            .ignore()
            .hincr("dw:{s:spotify}:m:1", "total", 1)
            .ignore()
            .expire("dw:{s:netflix}:m:1", 60)
            .ignore()
            .cmd("EVALSHA")
            .arg("abc")
            .arg(2)
            .arg("dw:{s:netflix}:rl")
            .arg("other")
            .cmd("ZADD")
            .arg("dw:active")
            .arg(1)
            .arg("netflix")
            .cmd("PING");
        let groups = slot_groups(&pipe).expect("several slots");
        assert_eq!(groups, vec![vec![0, 2, 3], vec![1], vec![4], vec![5]]);

        let mut one = redis::pipe();
        one.hgetall("dw:{s:netflix}:m:1")
            .pfcount(&["dw:{s:netflix}:u:1", "dw:{s:netflix}:u:2"]);
        assert_eq!(slot_groups(&one), None);
    }

    #[test]
    fn scripts_and_streams_route_by_their_keys() {
        let mut eval = redis::cmd("EVALSHA");
        eval.arg("sha").arg(1).arg("dw:{a:ff}:rl");
        assert_eq!(command_slot(&eval), Some(Slot::for_key("a:ff")));
        let mut keyless = redis::cmd("EVAL");
        keyless.arg("return 1").arg(0);
        assert_eq!(command_slot(&keyless), None);
        let mut xread = redis::cmd("XREAD");
        xread
            .arg("COUNT")
            .arg(5)
            .arg("STREAMS")
            .arg("dw:events")
            .arg("0-0");
        assert_eq!(command_slot(&xread), Some(Slot::for_key("dw:events")));
    }
}

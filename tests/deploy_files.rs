//! The deployment files — `docker-compose.yml`, `.env.example`, `Dockerfile` and
//! `.dockerignore` — checked statically, as text and YAML: no Docker engine is needed (and
//! none runs where these tests run). They catch the mistakes that would otherwise surface
//! only on a real `docker compose up`: a service without a health check, a hardcoded
//! secret, a variable Downwatch does not read, a file the image build needs but the build
//! context leaves out.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use globset::{GlobBuilder, GlobMatcher};
use yaml_rust2::{Yaml, YamlLoader};

/// The variables Downwatch reads besides its flags' (tracing's filter and the log format).
const LOG_VARIABLES: &[&str] = &["RUST_LOG", "DOWNWATCH_LOG_FORMAT"];

/// Every environment variable `downwatch serve` (what the image runs) reads: its flags'
/// variables, from the command line's own definition, and [`LOG_VARIABLES`].
fn known_variables() -> BTreeSet<String> {
    let cli = downwatch::cli::Cli::command();
    let serve = cli.find_subcommand("serve").expect("a serve subcommand");
    serve
        .get_arguments()
        .filter_map(|arg| arg.get_env())
        .map(|name| name.to_string_lossy().into_owned())
        .chain(LOG_VARIABLES.iter().map(|name| name.to_string()))
        .collect()
}

/// Variables whose value is a secret: in the compose file they may only be `${...}`
/// references that Compose must fill in (`:?`), and `.env.example` leaves them empty.
const SECRETS: &[&str] = &["POSTGRES_PASSWORD", "DOWNWATCH_SECRET"];

// --- helpers ------------------------------------------------------------------------------------

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative))
        .unwrap_or_else(|e| panic!("cannot read {relative}: {e}"))
}

fn compose() -> Yaml {
    let docs = YamlLoader::load_from_str(&read("docker-compose.yml"))
        .unwrap_or_else(|e| panic!("docker-compose.yml is not valid YAML: {e}"));
    assert_eq!(
        docs.len(),
        1,
        "docker-compose.yml must hold one YAML document"
    );
    docs.into_iter().next().expect("one document")
}

fn service<'a>(doc: &'a Yaml, name: &str) -> &'a Yaml {
    let service = &doc["services"][name];
    assert!(
        service.as_hash().is_some(),
        "docker-compose.yml has no service `{name}`"
    );
    service
}

/// A YAML scalar as Compose reads it (`8080`, `true` and `"8080"` alike).
fn scalar(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A service's `environment`, in either of Compose's forms (map, or list of `KEY=VALUE`).
/// A variable without a value (`- KEY`, `KEY:`) is passed through from Compose's own
/// environment; it comes back as `None`.
fn environment(service: &Yaml) -> Vec<(String, Option<String>)> {
    match &service["environment"] {
        Yaml::Hash(map) => map
            .iter()
            .map(|(k, v)| {
                let key = scalar(k).expect("environment keys are strings");
                (key, scalar(v))
            })
            .collect(),
        Yaml::Array(items) => items
            .iter()
            .map(|item| {
                let item = scalar(item).expect("environment list items are strings");
                match item.split_once('=') {
                    Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                    None => (item, None),
                }
            })
            .collect(),
        Yaml::BadValue | Yaml::Null => Vec::new(),
        other => panic!("environment must be a map or a list, not {other:?}"),
    }
}

fn env_value(service: &Yaml, name: &str) -> String {
    environment(service)
        .into_iter()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v)
        .unwrap_or_else(|| panic!("the service does not set {name}"))
}

/// One `${NAME...}` or `$NAME` in a compose value: the variable and what follows its name
/// (`:-default`, `:?message`, or nothing).
#[derive(Debug, Clone, PartialEq)]
struct Reference {
    name: String,
    modifier: String,
}

/// `value` with each `${NAME...}` or `$NAME` replaced by `replace(reference)`, in order
/// (`$$`, a literal dollar, stays).
fn substitute(value: &str, mut replace: impl FnMut(Reference) -> String) -> String {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::new();
    let mut rest = value;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(stripped) = after.strip_prefix('$') {
            out.push_str("$$");
            rest = stripped;
            continue;
        }
        let (inner, next, braced) = match after.strip_prefix('{') {
            Some(braced) => {
                let close = braced
                    .find('}')
                    .unwrap_or_else(|| panic!("unclosed ${{ in {value:?}"));
                (&braced[..close], &braced[close + 1..], true)
            }
            None => {
                let len = after.find(|c| !is_name(c)).unwrap_or(after.len());
                (&after[..len], &after[len..], false)
            }
        };
        let name_len = inner.find(|c| !is_name(c)).unwrap_or(inner.len());
        if braced || name_len > 0 {
            out.push_str(&replace(Reference {
                name: inner[..name_len].to_owned(),
                modifier: inner[name_len..].to_owned(),
            }));
        } else {
            out.push('$');
        }
        rest = next;
    }
    out.push_str(rest);
    out
}

/// The variable references in a compose value, in order (`$$` is a literal dollar).
fn references(value: &str) -> Vec<Reference> {
    let mut found = Vec::new();
    substitute(value, |reference| {
        found.push(reference);
        String::new()
    });
    found
}

/// `value` with every reference replaced by `${NAME}`: what is left is the shape of the
/// value, without defaults or error messages that could contain `:`, `/` or `@`.
fn collapse_references(value: &str) -> String {
    substitute(value, |reference| format!("${{{}}}", reference.name))
}

/// The value Compose gives `value` when every variable is unset and nothing is required:
/// `${X:-default}` becomes `default`.
fn with_defaults(value: &str) -> String {
    substitute(value, |reference| {
        let default = reference.modifier.strip_prefix(":-");
        let default = default.or_else(|| reference.modifier.strip_prefix('-'));
        default.unwrap_or_default().to_owned()
    })
}

/// Whether `value` is exactly one `${NAME:?...}` (or `${NAME?...}`): Compose fails when
/// the variable is not set rather than starting without it.
fn is_required_reference(value: &str, name: &str) -> bool {
    let refs = references(value);
    value.starts_with("${")
        && value.ends_with('}')
        && refs.len() == 1
        && refs[0].name == name
        && (refs[0].modifier.starts_with(":?") || refs[0].modifier.starts_with('?'))
}

/// Host and port of a `scheme://[user[:password]@]host[:port][/path]` URL, after
/// collapsing references; and the password as written.
fn url_parts(url: &str) -> (String, Option<String>, Option<String>) {
    let collapsed = collapse_references(url);
    let (_, after_scheme) = collapsed
        .split_once("://")
        .unwrap_or_else(|| panic!("{url:?} is not a URL"));
    let authority = after_scheme.split('/').next().unwrap_or_default();
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h.to_owned(), Some(p.to_owned())),
        None => (hostport.to_owned(), None),
    };
    let password = userinfo
        .and_then(|u| u.split_once(':'))
        .map(|(_, p)| p.to_owned());
    (host, port, password)
}

/// Every `${NAME}` / `$NAME` anywhere in the compose file.
fn compose_variables() -> BTreeSet<String> {
    read("docker-compose.yml")
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .flat_map(references)
        .map(|r| r.name)
        .collect()
}

/// `NAME=value` lines of `.env.example` (commented-out `# NAME=value` lines count too).
fn env_example() -> Vec<(String, String)> {
    read(".env.example")
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let line = line.strip_prefix('#').map(str::trim_start).unwrap_or(line);
            let (name, value) = line.split_once('=')?;
            let is_name = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            is_name.then(|| (name.to_owned(), value.trim().to_owned()))
        })
        .collect()
}

/// One Dockerfile instruction: keyword (upper case) and its arguments, continuation lines
/// joined and comment lines dropped.
#[derive(Debug)]
struct Instruction {
    keyword: String,
    args: String,
}

fn dockerfile() -> Vec<Instruction> {
    let text = read("Dockerfile");
    let mut instructions = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        if let Some(body) = trimmed.strip_suffix('\\') {
            current.push_str(body);
            current.push(' ');
            continue;
        }
        current.push_str(trimmed);
        let joined = std::mem::take(&mut current);
        let joined = joined.trim();
        if joined.is_empty() {
            continue;
        }
        let (keyword, args) = joined
            .split_once(char::is_whitespace)
            .unwrap_or((joined, ""));
        instructions.push(Instruction {
            keyword: keyword.to_ascii_uppercase(),
            args: args.trim().to_owned(),
        });
    }
    assert!(
        current.trim().is_empty(),
        "the Dockerfile ends inside a continued line"
    );
    instructions
}

/// The Dockerfile's stages: each starts with its FROM.
fn stages(instructions: &[Instruction]) -> Vec<&[Instruction]> {
    let mut starts: Vec<usize> = (0..instructions.len())
        .filter(|&n| instructions[n].keyword == "FROM")
        .collect();
    starts.push(instructions.len());
    starts
        .windows(2)
        .map(|w| &instructions[w[0]..w[1]])
        .collect()
}

fn final_stage(instructions: &[Instruction]) -> &[Instruction] {
    stages(instructions)
        .pop()
        .expect("the Dockerfile has at least one FROM")
}

/// The words of a shell-form or JSON-form (`["a", "b"]`) argument list, flags included.
fn words(args: &str) -> Vec<String> {
    let args = args.trim();
    if args.starts_with('[') {
        let parsed: Vec<String> = serde_json::from_str(args)
            .unwrap_or_else(|e| panic!("{args:?} is not a JSON string array: {e}"));
        parsed
    } else {
        args.split_whitespace().map(str::to_owned).collect()
    }
}

/// `.dockerignore` as Docker applies it: patterns in order, the last one matching a path (or
/// one of its parent directories) decides, `!` lets a path back in; `*` and `?` stay within
/// one path segment, `**` spans any number.
struct DockerIgnore {
    patterns: Vec<(bool, GlobMatcher)>,
}

impl DockerIgnore {
    fn load() -> Self {
        Self::parse(&read(".dockerignore"))
    }

    fn parse(text: &str) -> Self {
        let patterns = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (negated, pattern) = match l.strip_prefix('!') {
                    Some(p) => (true, p.trim()),
                    None => (false, l),
                };
                let segments: Vec<&str> = pattern
                    .split('/')
                    .filter(|s| !s.is_empty() && *s != ".")
                    .collect();
                let glob = GlobBuilder::new(&segments.join("/"))
                    .literal_separator(true)
                    .build()
                    .unwrap_or_else(|e| panic!(".dockerignore: {l:?}: {e}"));
                (negated, glob.compile_matcher())
            })
            .collect();
        Self { patterns }
    }

    /// Whether the file or directory at `path` (relative to the repo, `/`-separated) is
    /// left out of the build context.
    fn excludes(&self, path: &str) -> bool {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut excluded = false;
        for (negated, glob) in &self.patterns {
            if (1..=segments.len()).any(|n| glob.is_match(segments[..n].join("/"))) {
                excluded = !negated;
            }
        }
        excluded
    }
}

/// Every file under `dir` (relative to the repo), as `/`-separated relative paths.
fn files_under(dir: &str) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let relative = path.strip_prefix(base).expect("under the repo");
                out.push(
                    relative
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    let mut out = Vec::new();
    walk(&root(), &root().join(dir), &mut out);
    out.sort();
    out
}

/// The first string literal after `marker` in `text`, for each occurrence.
fn literals_after<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
    text.match_indices(marker)
        .filter_map(|(at, _)| {
            let rest = &text[at + marker.len()..];
            let open = rest.find('"')?;
            // Only when the literal follows the marker directly (spaces, `(`, `=` between).
            if !rest[..open]
                .chars()
                .all(|c| c.is_whitespace() || c == '(' || c == '=')
            {
                return None;
            }
            let literal = &rest[open + 1..];
            let close = literal.find('"')?;
            Some(&literal[..close])
        })
        .collect()
}

/// Files and directories the crate reads at compile time, relative to the repo: embedded
/// migrations, `include_str!`/`include_bytes!` files, `include_dir!`/rust-embed folders.
fn compile_time_inputs() -> BTreeSet<String> {
    let mut inputs = BTreeSet::new();
    for file in files_under("server").iter().filter(|f| f.ends_with(".rs")) {
        let text = read(file);
        let dir = Path::new(file).parent().expect("a file has a directory");
        for literal in literals_after(&text, "embed_migrations!") {
            inputs.insert(literal.to_owned());
        }
        for marker in ["include_str!", "include_bytes!"] {
            for literal in literals_after(&text, marker) {
                inputs.insert(normalize(&dir.join(literal)));
            }
        }
        for marker in ["include_dir!", "#[folder ="] {
            for literal in literals_after(&text, marker) {
                let literal = literal.trim_start_matches("$CARGO_MANIFEST_DIR/");
                inputs.insert(literal.trim_end_matches('/').to_owned());
            }
        }
        for literal in literals_after(&text, "env!(\"CARGO_MANIFEST_DIR\"),") {
            inputs.insert(literal.trim_start_matches('/').to_owned());
        }
    }
    inputs
}

/// `a/b/../c` as `a/c`, `/`-separated.
fn normalize(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for component in path.components() {
        match component {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

// --- docker-compose.yml -------------------------------------------------------------------------

#[test]
fn the_compose_file_defines_postgres_redis_and_downwatch() {
    let doc = compose();
    for name in ["postgres", "redis", "downwatch"] {
        service(&doc, name);
    }
    assert!(
        service(&doc, "downwatch")["build"].as_str().is_some()
            || service(&doc, "downwatch")["build"].as_hash().is_some(),
        "downwatch is built from this repository's Dockerfile"
    );
}

#[test]
fn every_service_has_a_healthcheck() {
    let doc = compose();
    for name in ["postgres", "redis", "downwatch"] {
        let check = &service(&doc, name)["healthcheck"];
        assert!(
            check.as_hash().is_some(),
            "service {name} has no healthcheck"
        );
        assert_ne!(
            check["disable"].as_bool(),
            Some(true),
            "service {name} disables its healthcheck"
        );
        let test = match &check["test"] {
            Yaml::Array(items) => items.iter().filter_map(scalar).collect::<Vec<_>>(),
            Yaml::String(s) => vec![s.clone()],
            other => panic!("service {name}: healthcheck test must be set, not {other:?}"),
        };
        assert!(
            test.len() >= 2 || (test.len() == 1 && !test[0].is_empty()),
            "service {name}: empty healthcheck test {test:?}"
        );
        assert_ne!(test[0], "NONE", "service {name}: healthcheck test is NONE");
    }
    let probe = |name: &str| format!("{:?}", service(&doc, name)["healthcheck"]["test"]);
    assert!(
        probe("postgres").contains("pg_isready"),
        "{}",
        probe("postgres")
    );
    assert!(probe("redis").contains("redis-cli"), "{}", probe("redis"));
    assert!(
        probe("downwatch").contains("/healthz"),
        "{}",
        probe("downwatch")
    );
}

#[test]
fn downwatch_starts_only_once_postgres_and_redis_are_healthy() {
    let doc = compose();
    let depends_on = &service(&doc, "downwatch")["depends_on"];
    assert!(
        depends_on.as_hash().is_some(),
        "downwatch's depends_on must be a map with conditions, not {depends_on:?}"
    );
    for dependency in ["postgres", "redis"] {
        assert_eq!(
            depends_on[dependency]["condition"].as_str(),
            Some("service_healthy"),
            "downwatch must wait for {dependency} to be healthy"
        );
    }
}

#[test]
fn downwatch_publishes_its_port_8080() {
    let doc = compose();
    let downwatch = service(&doc, "downwatch");
    let ports = downwatch["ports"]
        .as_vec()
        .expect("downwatch publishes ports");
    let container_ports: Vec<String> = ports
        .iter()
        .map(|port| match port {
            Yaml::Hash(_) => scalar(&port["target"]).expect("long-syntax ports have a target"),
            short => {
                let short = collapse_references(&scalar(short).expect("a port mapping"));
                let container = short.rsplit(':').next().unwrap_or_default();
                container.trim_end_matches("/tcp").to_owned()
            }
        })
        .collect();
    assert!(
        container_ports.iter().any(|p| p == "8080"),
        "no published port maps to the container's 8080: {container_ports:?}"
    );
    let listen = env_value(downwatch, "DOWNWATCH_LISTEN");
    assert!(
        listen == "0.0.0.0:8080" || listen == "[::]:8080",
        "inside the container Downwatch must listen on all interfaces, port 8080, not {listen}"
    );
}

#[test]
fn postgres_keeps_its_data_in_a_declared_named_volume() {
    let doc = compose();
    let declared = doc["volumes"]
        .as_hash()
        .expect("docker-compose.yml declares top-level volumes");
    let mounts = service(&doc, "postgres")["volumes"]
        .as_vec()
        .expect("postgres mounts volumes");
    let data = mounts
        .iter()
        .find_map(|mount| {
            let (source, target) = match mount {
                Yaml::Hash(_) => (scalar(&mount["source"])?, scalar(&mount["target"])?),
                short => {
                    let short = scalar(short)?;
                    let mut parts = short.split(':');
                    (parts.next()?.to_owned(), parts.next()?.to_owned())
                }
            };
            (target == "/var/lib/postgresql/data").then_some(source)
        })
        .expect("postgres mounts a volume at /var/lib/postgresql/data (PGDATA of postgres:16)");
    assert!(
        !data.starts_with('.') && !data.starts_with('/') && !data.starts_with('~'),
        "Postgres data must be a named volume, not the bind mount {data}"
    );
    assert!(
        declared.contains_key(&Yaml::String(data.clone())),
        "volume {data} is not declared under the top-level volumes"
    );
}

#[test]
fn downwatch_is_given_only_variables_it_reads() {
    let doc = compose();
    let known = known_variables();
    let unknown: Vec<String> = environment(service(&doc, "downwatch"))
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| !known.contains(k))
        .collect();
    assert!(
        unknown.is_empty(),
        "downwatch does not read {unknown:?} (a typo, or a setting that does not exist)"
    );
}

#[test]
fn every_variable_these_tests_accept_is_read_by_downwatch() {
    let sources: String = files_under("server")
        .iter()
        .filter(|f| f.ends_with(".rs"))
        .map(|f| read(f))
        .collect();
    // The flags' variables are read by clap, as the command line defines them.
    for name in LOG_VARIABLES {
        let read_here = if *name == "RUST_LOG" {
            // tracing-subscriber's EnvFilter reads RUST_LOG.
            sources.contains("from_default_env") || sources.contains("\"RUST_LOG\"")
        } else {
            sources.contains(&format!("\"{name}\""))
        };
        assert!(
            read_here,
            "{name} is no longer read by the server: drop it from LOG_VARIABLES and the deploy files"
        );
    }
}

#[test]
fn no_secret_is_written_into_the_compose_file() {
    let doc = compose();
    let postgres = service(&doc, "postgres");
    let downwatch = service(&doc, "downwatch");
    let password = env_value(postgres, "POSTGRES_PASSWORD");
    assert!(
        is_required_reference(&password, "POSTGRES_PASSWORD"),
        "POSTGRES_PASSWORD must be ${{POSTGRES_PASSWORD:?...}}, not {password:?}"
    );
    let secret = env_value(downwatch, "DOWNWATCH_SECRET");
    assert!(
        is_required_reference(&secret, "DOWNWATCH_SECRET"),
        "DOWNWATCH_SECRET must be ${{DOWNWATCH_SECRET:?...}}, not {secret:?}"
    );
    let admin = env_value(downwatch, "DOWNWATCH_ADMIN_TOKEN");
    let admin_refs = references(&admin);
    assert!(
        admin.starts_with("${")
            && admin.ends_with('}')
            && admin_refs.len() == 1
            && admin_refs[0].name == "DOWNWATCH_ADMIN_TOKEN"
            && with_defaults(&admin).is_empty(),
        "DOWNWATCH_ADMIN_TOKEN must come from the environment with no default, not {admin:?}"
    );
    let (_, _, db_password) = url_parts(&env_value(downwatch, "DATABASE_URL"));
    assert_eq!(
        db_password.as_deref(),
        Some("${POSTGRES_PASSWORD}"),
        "DATABASE_URL's password must be the POSTGRES_PASSWORD reference"
    );
}

#[test]
fn database_and_redis_urls_point_at_the_compose_services() {
    let doc = compose();
    let downwatch = service(&doc, "downwatch");
    let database_url = env_value(downwatch, "DATABASE_URL");
    assert!(
        database_url.starts_with("postgres://") || database_url.starts_with("postgresql://"),
        "{database_url}"
    );
    let (host, port, _) = url_parts(&database_url);
    assert_eq!(host, "postgres", "DATABASE_URL host");
    assert!(
        matches!(port.as_deref(), None | Some("5432")),
        "DATABASE_URL port {port:?}"
    );
    let database = collapse_references(&database_url)
        .rsplit_once('/')
        .map(|(_, db)| db.split('?').next().unwrap_or_default().to_owned())
        .unwrap_or_default();
    assert_eq!(
        env_value(service(&doc, "postgres"), "POSTGRES_DB"),
        database,
        "DATABASE_URL names the database the postgres service creates"
    );
    let user = collapse_references(&database_url)
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once(':'))
        .map(|(user, _)| user.to_owned())
        .unwrap_or_default();
    assert_eq!(
        env_value(service(&doc, "postgres"), "POSTGRES_USER"),
        user,
        "DATABASE_URL's user is the one the postgres service creates"
    );

    let redis_url = env_value(downwatch, "REDIS_URL");
    assert!(redis_url.starts_with("redis://"), "{redis_url}");
    let (host, port, _) = url_parts(&redis_url);
    assert_eq!(host, "redis", "REDIS_URL host");
    assert!(
        matches!(port.as_deref(), None | Some("6379")),
        "REDIS_URL port {port:?}"
    );
}

#[test]
fn the_geoip_databases_are_read_from_a_read_only_mount() {
    let doc = compose();
    let downwatch = service(&doc, "downwatch");
    let mounts: Vec<(String, String, String)> = downwatch["volumes"]
        .as_vec()
        .expect("downwatch mounts the GeoIP directory")
        .iter()
        .filter_map(|mount| {
            let short = scalar(mount)?;
            let parts: Vec<&str> = short.split(':').collect();
            Some((
                parts.first()?.to_string(),
                parts.get(1)?.to_string(),
                parts.get(2).unwrap_or(&"rw").to_string(),
            ))
        })
        .collect();
    for variable in ["GEOIP_CITY_DB", "GEOIP_ASN_DB"] {
        let path = env_value(downwatch, variable);
        let mount = mounts
            .iter()
            .find(|(_, target, _)| path.starts_with(&format!("{target}/")))
            .unwrap_or_else(|| panic!("{variable}={path} is in no mounted directory"));
        assert!(
            mount.0.starts_with("./"),
            "the GeoIP directory is bound from the project directory: {mount:?}"
        );
        assert!(
            mount.2.split(',').any(|o| o == "ro"),
            "the GeoIP mount must be read-only: {mount:?}"
        );
    }
}

#[test]
fn the_no_detector_switch_is_true_or_false() {
    // clap reads DOWNWATCH_NO_DETECTOR as a bool: `1`, `yes` or an empty value stop the server.
    let doc = compose();
    if let Some((_, Some(value))) = environment(service(&doc, "downwatch"))
        .into_iter()
        .find(|(k, _)| k == "DOWNWATCH_NO_DETECTOR")
    {
        let value = with_defaults(&value);
        assert!(
            value == "true" || value == "false",
            "DOWNWATCH_NO_DETECTOR defaults to {value:?}"
        );
    }
    if let Some((_, value)) = env_example()
        .into_iter()
        .find(|(k, _)| k == "DOWNWATCH_NO_DETECTOR")
    {
        assert!(
            value == "true" || value == "false",
            ".env.example: {value:?}"
        );
    }
}

#[test]
fn every_compose_variable_is_documented_in_the_example_env_file_and_no_other() {
    let used = compose_variables();
    let documented: BTreeSet<String> = env_example().into_iter().map(|(k, _)| k).collect();
    let undocumented: Vec<_> = used.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "docker-compose.yml uses {undocumented:?}, which .env.example does not list"
    );
    let unused: Vec<_> = documented.difference(&used).collect();
    assert!(
        unused.is_empty(),
        ".env.example lists {unused:?}, which docker-compose.yml never uses"
    );
}

#[test]
fn the_example_env_file_leaves_the_secrets_empty() {
    let example = env_example();
    for secret in SECRETS {
        let value = example
            .iter()
            .find(|(k, _)| k == secret)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!(".env.example does not list {secret}"));
        assert!(
            value.is_empty(),
            ".env.example must not suggest a value for {secret}, or it will be used as is"
        );
    }
}

#[test]
fn the_env_file_with_the_real_secrets_is_ignored_by_git() {
    // `cp .env.example .env` puts the secrets in the work tree: `git add -A` must skip it.
    let ignored = read(".gitignore");
    assert!(
        ignored
            .lines()
            .map(str::trim)
            .any(|l| l == ".env" || l == "/.env"),
        ".gitignore must list /.env"
    );
}

// --- Dockerfile and .dockerignore ---------------------------------------------------------------

#[test]
fn the_image_is_built_in_one_stage_and_run_from_another() {
    let instructions = dockerfile();
    let stages = stages(&instructions);
    assert!(
        stages.len() >= 2,
        "the Dockerfile needs a build and a runtime stage"
    );
    let base = &stages.last().expect("a final stage")[0].args;
    assert!(
        !base.contains("rust:"),
        "the final stage must not ship the Rust toolchain: FROM {base}"
    );
}

#[test]
fn the_final_stage_runs_as_a_non_root_user() {
    let instructions = dockerfile();
    let user = final_stage(&instructions)
        .iter()
        .rev()
        .find(|i| i.keyword == "USER")
        .map(|i| i.args.clone())
        .expect("the final stage sets a USER");
    let name = user.split(':').next().unwrap_or_default();
    assert!(
        !name.is_empty() && name != "root" && name != "0",
        "the final stage runs as {user}"
    );
}

#[test]
fn the_final_stage_checks_its_health_on_healthz() {
    let instructions = dockerfile();
    let check = final_stage(&instructions)
        .iter()
        .rev()
        .find(|i| i.keyword == "HEALTHCHECK")
        .map(|i| i.args.clone())
        .expect("the final stage has a HEALTHCHECK");
    assert_ne!(check.trim(), "NONE");
    assert!(check.contains("/healthz"), "HEALTHCHECK {check}");
}

#[test]
fn the_final_stage_exposes_8080_and_serves_on_it() {
    let instructions = dockerfile();
    let stage = final_stage(&instructions);
    let exposed: Vec<String> = stage
        .iter()
        .filter(|i| i.keyword == "EXPOSE")
        .flat_map(|i| words(&i.args))
        .map(|p| p.trim_end_matches("/tcp").to_owned())
        .collect();
    assert!(exposed.iter().any(|p| p == "8080"), "EXPOSE {exposed:?}");

    let env: Vec<String> = stage
        .iter()
        .filter(|i| i.keyword == "ENV")
        .flat_map(|i| words(&i.args))
        .collect();
    assert!(
        env.iter().any(|w| w == "DOWNWATCH_LISTEN=0.0.0.0:8080"),
        "the image must listen on all interfaces by default: ENV {env:?}"
    );
    let last = |keyword: &str| {
        stage
            .iter()
            .rev()
            .find(|i| i.keyword == keyword)
            .map(|i| words(&i.args))
            .unwrap_or_default()
    };
    assert_eq!(last("ENTRYPOINT"), ["downwatch"]);
    assert_eq!(last("CMD"), ["serve"]);
}

#[test]
fn the_binary_is_built_in_release_mode_from_the_lockfile() {
    let instructions = dockerfile();
    let builds: Vec<&Instruction> = instructions
        .iter()
        .filter(|i| i.keyword == "RUN" && i.args.contains("cargo build"))
        .collect();
    assert!(!builds.is_empty(), "no RUN cargo build in the Dockerfile");
    for build in builds {
        let words = words(&build.args);
        for flag in ["--release", "--locked"] {
            assert!(
                words.iter().any(|w| w == flag),
                "`{}` lacks {flag}",
                build.args
            );
        }
    }
}

#[test]
fn the_dependency_layer_fakes_and_then_refreshes_the_crate_roots_cargo_toml_names() {
    let manifest: toml::Table = read("Cargo.toml").parse().expect("Cargo.toml is TOML");
    let lib = manifest["lib"]["path"].as_str().expect("[lib] path");
    let bin = manifest["bin"]
        .as_array()
        .expect("[[bin]]")
        .iter()
        .find(|b| b["name"].as_str() == Some("downwatch"))
        .and_then(|b| b["path"].as_str())
        .expect("[[bin]] downwatch with a path");
    let instructions = dockerfile();
    let builds: Vec<&Instruction> = instructions
        .iter()
        .filter(|i| i.keyword == "RUN" && i.args.contains("cargo build"))
        .collect();
    assert!(
        builds.len() >= 2,
        "expected a dependency build on placeholders, then the real build"
    );
    for root_file in [lib, bin] {
        assert!(
            builds[0].args.contains(root_file),
            "the placeholder build must create {root_file}: {}",
            builds[0].args
        );
        let last = builds.last().expect("a real build");
        assert!(
            last.args.contains("touch") && last.args.contains(root_file),
            "the real build must touch {root_file}, or cargo keeps the placeholder: {}",
            last.args
        );
    }
}

#[test]
fn every_path_the_dockerfile_copies_from_the_build_context_exists_and_is_sent() {
    let ignore = DockerIgnore::load();
    let instructions = dockerfile();
    let copies: Vec<&Instruction> = instructions
        .iter()
        .filter(|i| i.keyword == "COPY" || i.keyword == "ADD")
        .filter(|i| !i.args.contains("--from="))
        .collect();
    assert!(
        !copies.is_empty(),
        "the Dockerfile copies nothing from the context"
    );
    for copy in copies {
        let words: Vec<String> = words(&copy.args)
            .into_iter()
            .filter(|w| !w.starts_with("--"))
            .collect();
        let (_destination, sources) = words.split_last().expect("COPY source... destination");
        assert!(!sources.is_empty(), "COPY without a source: {}", copy.args);
        for source in sources {
            assert!(
                !source.contains(['*', '?', '[']),
                "COPY {source}: name the path, a wildcard hides a missing file"
            );
            let path = source.trim_start_matches("./");
            assert!(
                root().join(path).exists(),
                "the Dockerfile copies {source}, which is not in the repository"
            );
            if path != "." && !path.is_empty() {
                assert!(
                    !ignore.excludes(path),
                    "the Dockerfile copies {source}, which .dockerignore leaves out"
                );
            }
        }
    }
}

#[test]
fn the_build_context_holds_every_file_the_crate_is_compiled_from() {
    let ignore = DockerIgnore::load();
    let inputs = compile_time_inputs();
    assert!(
        inputs.contains("migrations"),
        "the scan should find embed_migrations!(\"migrations\"); found {inputs:?}"
    );
    let mut needed: Vec<String> = vec!["Cargo.toml".into(), "Cargo.lock".into()];
    if root().join("build.rs").exists() {
        needed.push("build.rs".into());
    }
    needed.extend(files_under("server"));
    for input in &inputs {
        if root().join(input).is_dir() {
            needed.extend(files_under(input));
        } else {
            needed.push(input.clone());
        }
    }
    let left_out: Vec<&String> = needed.iter().filter(|p| ignore.excludes(p)).collect();
    assert!(
        left_out.is_empty(),
        ".dockerignore leaves out files the build needs: {left_out:?}"
    );
}

#[test]
fn the_build_context_leaves_out_build_output_history_local_data_and_secrets() {
    let ignore = DockerIgnore::load();
    for path in [
        "target",
        "target/release/downwatch",
        ".git",
        ".git/config",
        "downwatch-data/store.db",
        "bench/out/ingest.txt",
        ".env",
        "geoip/city.mmdb",
        "tests/fixtures/test-city.mmdb",
        "server/.env",
    ] {
        assert!(
            ignore.excludes(path),
            "{path} would be sent to the Docker build"
        );
    }
}

#[test]
fn the_dockerignore_matcher_follows_docker_rules() {
    // The matcher the two tests above rely on, on Docker's own documented examples.
    let ignore = DockerIgnore::parse("*/temp*\n**/*.md\n!README.md\ntarget\n");
    assert!(ignore.excludes("somedir/temporary.txt"));
    assert!(ignore.excludes("somedir/temp"));
    assert!(!ignore.excludes("somedir/sub/temporary.txt"));
    assert!(ignore.excludes("docs/deploy.md"));
    assert!(!ignore.excludes("README.md"));
    assert!(ignore.excludes("target/debug/downwatch"));
    assert!(!ignore.excludes("targets"));
    assert!(!ignore.excludes("server/lib.rs"));
}

#[test]
fn compose_references_are_read_with_their_defaults_and_requirements() {
    // The helpers the compose tests rely on.
    let refs = references("a${X:-1}b$$c$Y ${Z:?need z}");
    assert_eq!(
        refs,
        [
            Reference {
                name: "X".into(),
                modifier: ":-1".into()
            },
            Reference {
                name: "Y".into(),
                modifier: String::new()
            },
            Reference {
                name: "Z".into(),
                modifier: ":?need z".into()
            },
        ]
    );
    assert_eq!(with_defaults("${PORT:-8080}:8080"), "8080:8080");
    assert_eq!(collapse_references("${P:-80}:80"), "${P}:80");
    assert!(is_required_reference("${S:?set S (see .env.example)}", "S"));
    assert!(!is_required_reference("${S:-changeme}", "S"));
    assert!(!is_required_reference("changeme", "S"));
    let (host, port, password) = url_parts("postgres://u:${PW:?set PW: a/b@c}@postgres:5432/db");
    assert_eq!(
        (host.as_str(), port.as_deref(), password.as_deref()),
        ("postgres", Some("5432"), Some("${PW}"))
    );
}

//! Forming new events from incidents that belong to none:
//!
//! 1. **Onsets close in time.** Sorted by onset, incidents at most `onset_gap_minutes` (3)
//!    apart chain into a cluster spanning at most `max_span_minutes` (10).
//! 2. **Shapes that correlate.** Within a cluster, two incidents are linked when their onsets
//!    are close and their excess over normal correlates (Pearson ≥ 0.5) over the minutes
//!    from 10 before the cluster's first onset to now; linked incidents make a group.
//! 3. **One group per cause.** When a group holds two causes each unlikely by chance
//!    (below 1 in 1,000) that explain few of each other's members (≤ 25%) — a CDN's
//!    dependents and an ISP's customers failing in the same minutes — it is split in two,
//!    members going to the cause that explains them (a network or country first: that is
//!    evidence about their own reports), the others to the group their shape follows best.
//!    Groups of one cluster that a cause (below 1 in 1,000 by chance) explains together are
//!    joined first: a provider's dependents may fail in two waves of different shapes.
//! 4. **Beyond chance.** A group of at least 3 is an event when that many onsets within its
//!    window (its span, at least 3 minutes) would happen by chance with probability at most
//!    1e-5, given the background rate of onsets and the number of active services — at most
//!    1e-7 when no likely cause can be named at all (nothing but time and shape links the
//!    services, so the coincidence must be a hundred times rarer).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::background::BackgroundRate;
use super::causes::{self, Profile};
use super::config::GroupingConfig;
use super::deps::ProviderStats;
use super::shape::{common_window, dot, standardised, Shape};
use super::types::{minutes, Candidate, CauseKind};

/// A candidate with what the engine derives from it once per tick.
#[derive(Debug, Clone)]
pub struct Prepared<'a> {
    pub candidate: &'a Candidate,
    pub shape: Shape,
    pub profile: Profile,
}

impl<'a> Prepared<'a> {
    pub fn new(candidate: &'a Candidate) -> Self {
        let shape = Shape::of(&candidate.series);
        let profile = Profile::of(candidate, &shape);
        Self {
            candidate,
            shape,
            profile,
        }
    }

    pub fn onset(&self) -> DateTime<Utc> {
        self.candidate.onset
    }
}

/// What formation needs besides the candidates.
pub struct Context<'a> {
    pub cfg: &'a GroupingConfig,
    pub background: BackgroundRate,
    pub active_services: usize,
    pub stats: &'a ProviderStats,
    pub provider_rises: &'a HashMap<String, DateTime<Utc>>,
}

/// The groups (indexes into `pool`) that are events now.
pub fn form(pool: &[&Prepared<'_>], ctx: &Context<'_>) -> Vec<Vec<usize>> {
    let cfg = ctx.cfg;
    let mut order: Vec<usize> = (0..pool.len()).collect();
    order.sort_by_key(|&i| (pool[i].onset(), pool[i].candidate.incident_id));
    let mut groups = Vec::new();
    for cluster in onset_clusters(pool, &order, cfg) {
        if cluster.len() < cfg.min_members {
            continue;
        }
        let Some(vectors) = cluster_shapes(pool, &cluster, cfg) else {
            continue;
        };
        let components = merge_by_cause(pool, linked(pool, &cluster, &vectors, cfg), ctx);
        for component in components {
            for group in split_by_cause(pool, &component, &cluster, &vectors, ctx) {
                if group.len() >= cfg.min_members && beyond_chance(pool, &group, ctx) {
                    groups.push(group);
                }
            }
        }
    }
    groups
}

/// Runs of onsets at most `onset_gap_minutes` apart, each spanning at most
/// `max_span_minutes`.
fn onset_clusters(
    pool: &[&Prepared<'_>],
    order: &[usize],
    cfg: &GroupingConfig,
) -> Vec<Vec<usize>> {
    let mut clusters: Vec<Vec<usize>> = Vec::new();
    for &i in order {
        let onset = pool[i].onset();
        let joins = clusters.last().is_some_and(|c| {
            let first = pool[c[0]].onset();
            let last = pool[c[c.len() - 1]].onset();
            (onset - last).num_minutes() <= cfg.onset_gap_minutes
                && (onset - first).num_minutes() <= cfg.max_span_minutes
        });
        match clusters.last_mut() {
            Some(c) if joins => c.push(i),
            _ => clusters.push(vec![i]),
        }
    }
    clusters
}

/// Each member's standardised shape over the cluster's common window (`None`: flat, or not
/// covering it).
fn cluster_shapes(
    pool: &[&Prepared<'_>],
    cluster: &[usize],
    cfg: &GroupingConfig,
) -> Option<Vec<Option<Vec<f64>>>> {
    let first = pool[cluster[0]].onset() - minutes(cfg.pre_onset_minutes);
    let (from, to) = common_window(cluster.iter().map(|&i| &pool[i].shape), first)?;
    Some(
        cluster
            .iter()
            .map(|&i| pool[i].shape.slice(from, to).and_then(standardised))
            .collect(),
    )
}

/// Connected components of the "close onsets and correlated shapes" links, as pool indexes.
fn linked(
    pool: &[&Prepared<'_>],
    cluster: &[usize],
    vectors: &[Option<Vec<f64>>],
    cfg: &GroupingConfig,
) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..cluster.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for a in 0..cluster.len() {
        let Some(va) = &vectors[a] else { continue };
        for b in a + 1..cluster.len() {
            let gap = (pool[cluster[b]].onset() - pool[cluster[a]].onset()).num_minutes();
            if gap > cfg.onset_gap_minutes {
                break; // sorted by onset: every later one is further
            }
            let Some(vb) = &vectors[b] else { continue };
            if dot(va, vb) >= cfg.min_correlation {
                let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
    }
    let mut components: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, &member) in cluster.iter().enumerate() {
        let r = root(&mut parent, i);
        components.entry(r).or_default().push(member);
    }
    let mut out: Vec<Vec<usize>> = components.into_values().collect();
    out.sort();
    out
}

/// Joins linked components (two members or more) of one cluster when a cause unlikely by
/// chance explains members of each: a provider's dependents whose shapes split in two
/// groups (a first wave, a second) are one outage.
fn merge_by_cause(
    pool: &[&Prepared<'_>],
    components: Vec<Vec<usize>>,
    ctx: &Context<'_>,
) -> Vec<Vec<usize>> {
    let mut linked: Vec<Vec<usize>> = components.into_iter().filter(|c| c.len() >= 2).collect();
    if linked.len() < 2 {
        return linked;
    }
    let all: Vec<usize> = linked.concat();
    let component_of: Vec<usize> = linked
        .iter()
        .enumerate()
        .flat_map(|(c, members)| std::iter::repeat_n(c, members.len()))
        .collect();
    let profiles: Vec<&Profile> = all.iter().map(|&i| &pool[i].profile).collect();
    let mut target: Vec<usize> = (0..linked.len()).collect();
    for r in causes::rank(&profiles, ctx.provider_rises, ctx.stats, ctx.cfg) {
        if r.chance > ctx.cfg.split_chance || r.explains.len() < ctx.cfg.min_members {
            continue;
        }
        let mut touched: Vec<usize> = r
            .explains
            .iter()
            .map(|&m| target[component_of[m]])
            .collect();
        touched.sort_unstable();
        touched.dedup();
        if let Some(&into) = touched.first() {
            for t in target.iter_mut() {
                if touched.contains(t) {
                    *t = into;
                }
            }
        }
    }
    let mut merged: Vec<Vec<usize>> = vec![Vec::new(); linked.len()];
    for (c, members) in linked.iter_mut().enumerate() {
        merged[target[c]].append(members);
    }
    merged.retain(|m| !m.is_empty());
    merged.iter_mut().for_each(|m| m.sort_unstable());
    merged
}

/// Splits a component whose members carry two or more distinct causes, each unlikely by
/// chance, into one group per cause.
fn split_by_cause(
    pool: &[&Prepared<'_>],
    component: &[usize],
    cluster: &[usize],
    vectors: &[Option<Vec<f64>>],
    ctx: &Context<'_>,
) -> Vec<Vec<usize>> {
    let cfg = ctx.cfg;
    let profiles: Vec<&Profile> = component.iter().map(|&i| &pool[i].profile).collect();
    let mut significant = causes::rank(&profiles, ctx.provider_rises, ctx.stats, cfg);
    significant.retain(|r| r.chance <= cfg.split_chance && r.explains.len() >= cfg.min_members);
    significant.sort_by(|a, b| a.chance.total_cmp(&b.chance));
    let mut seeds: Vec<(CauseKind, Vec<usize>)> = Vec::new();
    for r in significant {
        let distinct = seeds.iter().all(|(_, s)| {
            let shared = r.explains.iter().filter(|i| s.contains(i)).count();
            (shared as f64) <= cfg.split_overlap * s.len().min(r.explains.len()) as f64
        });
        if distinct {
            seeds.push((r.cause.cause, r.explains));
        }
    }
    if seeds.len() < 2 {
        return vec![component.to_vec()];
    }
    let specificity = |k: &CauseKind| match k {
        CauseKind::Network { .. } => 0,
        CauseKind::Country { .. } => 1,
        CauseKind::Provider { .. } => 2,
    };
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); seeds.len()];
    let mut unexplained = Vec::new();
    for (m, &i) in component.iter().enumerate() {
        let best = (0..seeds.len())
            .filter(|&s| seeds[s].1.contains(&m))
            .min_by_key(|&s| specificity(&seeds[s].0));
        match best {
            Some(s) => groups[s].push(i),
            None => unexplained.push(i),
        }
    }
    let position: HashMap<usize, usize> =
        cluster.iter().enumerate().map(|(p, &i)| (i, p)).collect();
    let vector_of = |i: usize| position.get(&i).and_then(|&p| vectors[p].as_ref());
    for i in unexplained {
        let follows = |g: &Vec<usize>| {
            let Some(v) = vector_of(i) else { return 0.0 };
            let sims: Vec<f64> = g
                .iter()
                .filter_map(|&j| vector_of(j).map(|w| dot(v, w)))
                .collect();
            sims.iter().sum::<f64>() / sims.len().max(1) as f64
        };
        let best = (0..groups.len())
            .max_by(|&a, &b| follows(&groups[a]).total_cmp(&follows(&groups[b])))
            .unwrap_or(0);
        groups[best].push(i);
    }
    groups.iter_mut().for_each(|g| g.sort());
    groups
}

/// Whether as many onsets as `group` has, within its window, are beyond chance.
fn beyond_chance(pool: &[&Prepared<'_>], group: &[usize], ctx: &Context<'_>) -> bool {
    let onsets = group.iter().map(|&i| pool[i].onset());
    let (first, last) = onsets.fold((None, None), |(lo, hi): (Option<DateTime<Utc>>, _), t| {
        (
            Some(lo.map_or(t, |l: DateTime<Utc>| l.min(t))),
            Some(hi.map_or(t, |h: DateTime<Utc>| h.max(t))),
        )
    });
    let (Some(first), Some(last)) = (first, last) else {
        return false;
    };
    let window = ((last - first).num_minutes() + 1).max(ctx.cfg.onset_gap_minutes);
    let chance = ctx
        .background
        .chance_of(group.len(), ctx.active_services, window);
    let profiles: Vec<&Profile> = group.iter().map(|&i| &pool[i].profile).collect();
    // `rank` names only causes of at least `min_confidence`.
    let explained = !causes::rank(&profiles, ctx.provider_rises, ctx.stats, ctx.cfg).is_empty();
    let most = if explained {
        ctx.cfg.max_chance
    } else {
        ctx.cfg.max_chance_unexplained
    };
    chance <= most
}

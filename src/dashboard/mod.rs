//! The HTML dashboard (SPEC §4.3): the overview, one page per subnet and
//! the search results, rendered from one generation. Colours come from
//! [`crate::alarm::evaluate`], the evaluation `dhcpstats alarm` prints.
//!
//! Pages are plain HTML with one inline stylesheet ([`html`]): no script,
//! no external URL, so they work offline and under the strict policy of
//! [`html::content_security_policy`]. Links are the only interaction:
//! two orders of the overview, a subnet's page, a search form (GET).
//!
//! This module makes bytes; caching, ETags and HTTP are the routes' and
//! the generation's business.

pub mod html;

use std::collections::HashMap;
use std::net::Ipv4Addr;

use crate::alarm::{self, Pool, State};
use crate::cache::{Generation, ReadState};
use crate::clock::format_rfc3339;
use crate::diag::Severity;
use crate::report::json::lease_text_pairs;
use crate::report::v6::{Subnet6Report, classify6};
use crate::report::{Counts, SubnetRef, SubnetReport, classify};
use crate::search::{Hit, Hits, counted_name};
use html::Page;

/// What a page is made from.
pub struct Context<'a> {
    pub generation: &'a Generation,
    pub read: &'a ReadState,
    pub alarms: &'a alarm::Settings,
}

/// The two orders of the overview.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// As declared in dhcpd.conf.
    Declared,
    /// Highest used share first.
    MostUsed,
}

impl Order {
    /// From the query string: `sort=used` is [`Order::MostUsed`].
    pub fn from_query(query: &str) -> Order {
        let used = query.split('&').any(|p| p == "sort=used");
        if used {
            Order::MostUsed
        } else {
            Order::Declared
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Order::Declared => "declared",
            Order::MostUsed => "used",
        }
    }
}

/// The link to a subnet's page.
pub fn subnet_href(cidr: &str) -> String {
    format!("/dashboard/{cidr}")
}

/// The pools of a generation, and which pool each subnet belongs to.
struct Pools {
    pools: Vec<Pool>,
    by_subnet: HashMap<String, usize>,
}

impl Pools {
    fn of(cx: &Context<'_>) -> Pools {
        let g = cx.generation;
        let conf6 = g.conf6.as_ref().map(|c| &c.conf);
        let pools = alarm::evaluate(&g.conf.conf, conf6, &g.report, cx.alarms);
        let mut by_subnet = HashMap::new();
        for (i, p) in pools.iter().enumerate() {
            // A subnet's row shows its addresses' pool; a subnet6's
            // temporary and prefix pools have rows of their own.
            if p.kind != alarm::PoolKind::Addresses {
                continue;
            }
            for cidr in &p.subnets {
                by_subnet.insert(cidr.clone(), i);
            }
        }
        Pools { pools, by_subnet }
    }

    fn of_subnet(&self, cidr: &str) -> Option<&Pool> {
        self.by_subnet.get(cidr).and_then(|&i| self.pools.get(i))
    }
}

/// The counts a pool of `kind` has in the subnet `cidr` (v4 or v6).
fn pool_counts<'a>(g: &'a Generation, cidr: &str, kind: alarm::PoolKind) -> Option<&'a Counts> {
    match g.report.locate(cidr)? {
        SubnetRef::V4(i) => g.report.subnets.get(i).map(|sr| &sr.ips),
        SubnetRef::V6(i) => {
            let sr = g.report.v6.subnets.get(i)?;
            match kind {
                alarm::PoolKind::Addresses => Some(&sr.ips),
                alarm::PoolKind::Temporary => sr.temporary.as_ref(),
                alarm::PoolKind::Prefixes => sr.prefixes.as_ref(),
            }
        }
    }
}

fn used(c: &Counts) -> u128 {
    c.active + c.abandoned
}

fn percent(used: u128, total: u128) -> f64 {
    if total == 0 {
        0.0
    } else {
        used as f64 * 100.0 / total as f64
    }
}

fn sum_counts<'a>(all: impl Iterator<Item = &'a Counts>) -> Counts {
    let mut s = Counts::default();
    for c in all {
        s.total += c.total;
        s.active += c.active;
        s.free += c.free;
        s.backup += c.backup;
        s.expired += c.expired;
        s.released += c.released;
        s.abandoned += c.abandoned;
        s.reset += c.reset;
        s.unused += c.unused;
        s.statics += c.statics;
    }
    s
}

/// A stacked bar: used (coloured by the alarm state), abandoned (part of
/// used), expired, the other leased states; the rest is unused.
fn bar(p: &mut Page, c: &Counts, state: State) {
    let segments = [
        (format!("used {}", state.as_str()), c.active),
        ("abandoned".to_string(), c.abandoned),
        ("expired".to_string(), c.expired),
        (
            "other".to_string(),
            c.free + c.backup + c.released + c.reset,
        ),
    ];
    p.raw("<span class=\"bar\" title=\"");
    p.num(format!("{:.1}", percent(used(c), c.total)))
        .raw("% used\">");
    // Widths from rounded running sums: they never add up to over 100.
    let mut sum = 0u128;
    let mut drawn = 0u128;
    for (class, n) in segments {
        sum += n;
        // Exact: only a ::/0 range holds more than 2^128 / 100.
        let end = sum
            .min(c.total)
            .saturating_mul(100)
            .checked_div(c.total)
            .unwrap_or(0);
        let width = end.saturating_sub(drawn);
        drawn = end.max(drawn);
        if width > 0 {
            p.raw("<i class=\"")
                .raw(&class)
                .raw(" w")
                .num(width)
                .raw("\"></i>");
        }
    }
    p.raw("</span>");
}

fn state_cell(p: &mut Page, state: State, note: Option<&str>) {
    p.raw("<td class=\"state ")
        .raw(state.as_str())
        .raw("\">")
        .text(state.as_str());
    if let Some(n) = note {
        p.raw(" <small>(").text(n).raw(")</small>");
    }
    p.raw("</td>");
}

/// Title, when the data was read, staleness, files and diagnostics, and
/// the search form.
fn header(p: &mut Page, cx: &Context<'_>, query: &str) {
    let info = &cx.generation.info;
    p.raw("<header><h1><a href=\"/dashboard\">dhcpstats</a></h1>");
    if let Some(error) = &cx.read.error {
        p.raw("<p class=\"banner critical\">The last read of the files failed");
        if let Some(at) = cx.read.failed_at {
            p.raw(" at ").text(&format_rfc3339(at));
        }
        p.raw(": ").text(error).raw(". These numbers are from ");
        p.text(&format_rfc3339(info.built_at))
            .raw(" and may be stale.</p>");
    }
    let latest = [&info.leases, &info.leases6]
        .into_iter()
        .flatten()
        .max_by_key(|l| l.read_at);
    p.raw("<p class=\"meta\">Data read ");
    if let Some(l) = latest {
        p.text(&format_rfc3339(l.read_at))
            .raw(" (generation ")
            .num(info.id)
            .raw(", lease file read ")
            .text(l.last_read.as_str())
            .raw(")");
    }
    p.raw("; counted for ")
        .text(&format_rfc3339(info.evaluated_at));
    if let Some(until) = info.valid_until {
        p.raw(", exact until ").text(&format_rfc3339(until));
    }
    p.raw("</p>");
    let d = &info.diagnostics;
    let (e, w, n) = (
        d.count(Severity::Error),
        d.count(Severity::Warning),
        d.count(Severity::Note),
    );
    p.raw("<p class=\"meta\">Diagnostics: ");
    let plural = |n: u64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    for (count, word, class) in [(e, "error", "critical"), (w, "warning", "warning")] {
        if count > 0 {
            p.raw("<span class=\"state ")
                .raw(class)
                .raw("\">")
                .text(&plural(count, word))
                .raw("</span>, ");
        } else {
            p.text(&plural(0, word)).raw(", ");
        }
    }
    p.text(&plural(n, "note"))
        .raw(" (<a href=\"/status\">/status</a> lists them; <code>dhcpstats check</code> explains)")
        .raw("</p>");
    p.raw("<form class=\"search\" method=\"get\" action=\"/dashboard\" role=\"search\">");
    p.raw("<input type=\"search\" name=\"q\" placeholder=\"IP, MAC, client id or host name\" aria-label=\"search\" value=\"")
        .attr(query)
        .raw("\"><button type=\"submit\">Search</button></form></header>\n");
}

/// The files a generation was read from.
fn files_table(p: &mut Page, cx: &Context<'_>) {
    let info = &cx.generation.info;
    p.raw("<h2>Files</h2><div class=\"scroll\"><table><tr><th>role</th><th>path</th><th class=\"n\">size</th><th>modified</th></tr>");
    let leases = [(&info.leases, "leases"), (&info.leases6, "leases6")]
        .into_iter()
        .filter_map(|(l, role)| l.as_ref().map(|l| (&l.stamp, role)));
    for (stamp, role) in info
        .conf_files
        .iter()
        .map(|f| (f, "configuration"))
        .chain(leases)
    {
        p.raw("<tr>")
            .cell(role)
            .cell(&stamp.path.display().to_string())
            .num_cell(stamp.identity.size)
            .cell(&format_rfc3339(stamp.identity.mtime_seconds()))
            .raw("</tr>");
    }
    p.raw("</table></div>\n");
}

const NUMBER_COLUMNS: &str = "<th class=\"n\">used %</th><th class=\"n\">used</th><th class=\"n\">total</th><th class=\"n\">active</th><th class=\"n\">abandoned</th><th class=\"n\">expired</th><th class=\"n\">free</th><th class=\"n\">released</th><th class=\"n\">backup</th><th class=\"n\">reset</th><th class=\"n\">unused</th><th class=\"n\">static</th>";

fn number_cells(p: &mut Page, c: &Counts) {
    p.raw("<td class=\"n\">")
        .num(format!("{:.1}", percent(used(c), c.total)))
        .raw("</td>");
    for n in [
        used(c),
        c.total,
        c.active,
        c.abandoned,
        c.expired,
        c.free,
        c.released,
        c.backup,
        c.reset,
        c.unused,
        c.statics,
    ] {
        p.count_cell(n);
    }
}

fn legend(p: &mut Page) {
    p.raw("<p class=\"legend meta\">Bars:<i class=\"used\"></i>active<i class=\"abandoned\"></i>abandoned (with active: used)<i class=\"expired\"></i>expired<i class=\"other\"></i>free, released, backup, reset; the rest is unused. Colour of used: the alarm state (")
        .raw("<span class=\"state ok\">ok</span>, <span class=\"state warning\">warning</span>, <span class=\"state critical\">critical</span>).</p>");
}

/// The overview: pools by state, shared networks, subnets.
pub fn overview(cx: &Context<'_>, order: Order) -> Vec<u8> {
    let g = cx.generation;
    let pools = Pools::of(cx);
    let mut p = Page::new("dhcpstats");
    header(&mut p, cx, "");

    let count = |s: State| {
        pools
            .pools
            .iter()
            .filter(|pool| pool.state == s && !pool.ignored)
            .count()
    };
    p.raw("<p class=\"counts\"><span>")
        .num(pools.pools.len())
        .raw(" pools:</span>");
    for state in [State::Critical, State::Warning, State::Ok] {
        let n = count(state);
        let class = if n == 0 { "zero" } else { state.as_str() };
        p.raw("<span class=\"state ")
            .raw(class)
            .raw("\">")
            .num(n)
            .raw(" ")
            .text(state.as_str())
            .raw("</span>");
    }
    p.raw("</p>");
    p.raw("<nav>Order: ");
    for (o, href, label) in [
        (Order::Declared, "/dashboard", "as declared"),
        (Order::MostUsed, "/dashboard?sort=used", "most used first"),
    ] {
        let class = if o == order { " class=\"on\"" } else { "" };
        p.raw("<a")
            .raw(class)
            .raw(" href=\"")
            .attr(href)
            .raw("\">")
            .text(label)
            .raw("</a>");
    }
    p.raw("</nav>");
    legend(&mut p);

    // Shared networks: the pools that are one.
    pool_table(
        &mut p,
        g,
        &pools,
        order,
        ("Shared networks", "shared network"),
        |pool| pool.level == alarm::Level::SharedNetwork && pool.kind == alarm::PoolKind::Addresses,
    );

    // (cidr, shared network, NA or v4 counts), v4 first.
    let conf6 = g.conf6.as_ref().map(|c| &c.conf);
    let mut subnets: Vec<(&str, Option<&str>, &Counts)> = g
        .report
        .subnets
        .iter()
        .map(|sr| {
            let shared = g
                .conf
                .conf
                .subnets
                .get(sr.subnet)
                .and_then(|s| s.shared_network.as_deref());
            (sr.cidr.as_str(), shared, &sr.ips)
        })
        .chain(g.report.v6.subnets.iter().map(|sr| {
            let shared = conf6
                .and_then(|c| c.subnets6.get(sr.subnet))
                .and_then(|s| s.shared_network.as_deref());
            (sr.cidr.as_str(), shared, &sr.ips)
        }))
        .collect();
    if order == Order::MostUsed {
        subnets.sort_by(|a, b| {
            percent(used(b.2), b.2.total).total_cmp(&percent(used(a.2), a.2.total))
        });
    }
    p.raw("<h2>Subnets</h2><div class=\"scroll\"><table><tr><th>subnet</th><th>shared network</th><th>state</th><th>use</th>")
        .raw(NUMBER_COLUMNS)
        .raw("</tr>\n");
    for (cidr, shared, ips) in subnets {
        let pool = pools.of_subnet(cidr);
        let state = pool.map_or(State::Ok, |pool| pool.state);
        p.raw("<tr><td>")
            .link(&subnet_href(cidr), cidr)
            .raw("</td>")
            .cell(shared.unwrap_or(""));
        let note = match pool {
            Some(pool) if pool.ignored => Some("ignored"),
            Some(pool) if pool.level == alarm::Level::SharedNetwork => Some("shared network"),
            _ => None,
        };
        state_cell(&mut p, state, note);
        p.raw("<td>");
        bar(&mut p, ips, state);
        p.raw("</td>");
        number_cells(&mut p, ips);
        p.raw("</tr>\n");
    }
    p.raw("</table></div>\n");
    pool_table(
        &mut p,
        g,
        &pools,
        order,
        ("DHCPv6 temporary and prefix pools", "pool"),
        |pool| pool.kind != alarm::PoolKind::Addresses,
    );
    files_table(&mut p, cx);
    footer(&mut p);
    p.finish()
}

/// A table of the pools `keep` selects (a row each, with their subnets),
/// under a title; nothing when there is none.
fn pool_table(
    p: &mut Page,
    g: &Generation,
    pools: &Pools,
    order: Order,
    (title, first_column): (&str, &str),
    keep: impl Fn(&Pool) -> bool,
) {
    let mut rows: Vec<(&Pool, Counts)> = pools
        .pools
        .iter()
        .filter(|pool| keep(pool))
        .map(|pool| {
            let counts = sum_counts(
                pool.subnets
                    .iter()
                    .filter_map(|c| pool_counts(g, c, pool.kind)),
            );
            (pool, counts)
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    if order == Order::MostUsed {
        rows.sort_by(|a, b| b.0.percent().total_cmp(&a.0.percent()));
    }
    p.raw("<h2>")
        .text(title)
        .raw("</h2><div class=\"scroll\"><table><tr><th>")
        .text(first_column)
        .raw("</th><th>state</th><th>use</th>")
        .raw(NUMBER_COLUMNS)
        .raw("<th>subnets</th></tr>\n");
    for (pool, counts) in &rows {
        p.raw("<tr><td>").text(&pool.name).raw("</td>");
        state_cell(p, pool.state, pool.ignored.then_some("ignored"));
        p.raw("<td>");
        bar(p, counts, pool.state);
        p.raw("</td>");
        number_cells(p, counts);
        p.raw("<td>");
        for (i, cidr) in pool.subnets.iter().enumerate() {
            if i > 0 {
                p.raw(", ");
            }
            p.link(&subnet_href(cidr), cidr);
        }
        p.raw("</td></tr>\n");
    }
    p.raw("</table></div>\n");
}

fn footer(p: &mut Page) {
    p.raw("<p class=\"meta\">dhcpstats ")
        .text(crate::VERSION)
        .raw(" · JSON: <a href=\"/subnets?summary\">/subnets?summary</a> · <a href=\"/status\">/status</a> · <a href=\"/metrics\">/metrics</a></p>\n");
}

/// One subnet's page: every number, the pool, ranges, options, statics
/// and leases. `None` if `index` names no subnet.
pub fn subnet_page(cx: &Context<'_>, index: usize) -> Option<Vec<u8>> {
    let g = cx.generation;
    let sr = g.report.subnets.get(index)?;
    let subnet = g.conf.conf.subnets.get(sr.subnet)?;
    let pools = Pools::of(cx);
    let pool = pools.of_subnet(&sr.cidr);
    let state = pool.map_or(State::Ok, |pool| pool.state);
    let mut p = subnet_page_start(cx, &sr.cidr, subnet.shared_network.as_deref());

    p.raw("<div class=\"scroll\"><table><tr><th>state</th><th>use</th>")
        .raw(NUMBER_COLUMNS)
        .raw("</tr><tr>");
    state_cell(&mut p, state, None);
    p.raw("<td>");
    bar(&mut p, &sr.ips, state);
    p.raw("</td>");
    number_cells(&mut p, &sr.ips);
    p.raw("</tr></table></div>");
    if let Some(pool) = pool {
        p.raw("<p class=\"meta\">Alarm unit: ")
            .text(&pool.name)
            .raw(", ")
            .num(pool.used)
            .raw(" of ")
            .num(pool.total)
            .raw(" used (")
            .num(format!("{:.1}", pool.percent()))
            .raw(" %); warning from ")
            .num(pool.warning_at())
            .raw(", critical from ")
            .num(pool.critical_at())
            .raw(" used");
        if pool.ignored {
            p.raw("; ignored by an override");
        } else if pool.below_min_size() {
            p.raw("; below min_size, never alarms");
        }
        p.raw(".</p>");
    }
    legend(&mut p);

    p.raw("<h2>Ranges</h2><div class=\"scroll\"><table><tr><th>low</th><th>high</th><th class=\"n\">addresses</th><th></th></tr>");
    for r in &subnet.ranges {
        p.raw("<tr>")
            .cell(&r.low.to_string())
            .cell(&r.high.to_string())
            .count_cell(u128::from(r.size()))
            .cell(if r.dynamic_bootp { "dynamic-bootp" } else { "" })
            .raw("</tr>");
    }
    p.raw("</table></div>");

    let o = &subnet.options;
    options_table(
        &mut p,
        &[
            ("routers", o.routers.as_ref().map(|v| v.join(", "))),
            ("dns_servers", o.dns_servers.as_ref().map(|v| v.join(", "))),
            ("ntp_servers", o.ntp_servers.as_ref().map(|v| v.join(", "))),
            ("domain_name", o.domain_name.clone()),
            ("ddns_domain_name", o.ddns_domain_name.clone()),
        ],
    );

    p.raw("<h2>Reservations (")
        .num(sr.statics.len())
        .raw(")</h2><div class=\"scroll\"><table><tr><th>host</th><th>ip address</th><th>mac address</th><th>host name</th></tr>");
    for e in &sr.statics {
        p.raw("<tr>")
            .cell(&e.name)
            .cell(&e.ip_address.to_string())
            .cell(e.mac_address.as_deref().unwrap_or(""))
            .cell(e.host_name.as_deref().unwrap_or(""))
            .raw("</tr>");
    }
    p.raw("</table></div>");

    leases_table(&mut p, cx, sr);
    footer(&mut p);
    Some(p.finish())
}

/// A subnet's page up to its numbers: header, links, title.
fn subnet_page_start(cx: &Context<'_>, cidr: &str, shared: Option<&str>) -> Page {
    let mut p = Page::new(&format!("{cidr} · dhcpstats"));
    header(&mut p, cx, "");
    p.raw("<nav><a href=\"/dashboard\">← overview</a><a href=\"/subnets/")
        .attr(cidr)
        .raw("\">JSON</a></nav>");
    p.raw("<h2>").text(cidr);
    if let Some(n) = shared {
        p.raw(" <small>in shared network ").text(n).raw("</small>");
    }
    p.raw("</h2>");
    p
}

/// The options a subnet sets, one row each (unset ones left out).
fn options_table(p: &mut Page, options: &[(&str, Option<String>)]) {
    p.raw("<h2>Options</h2><div class=\"scroll\"><table>");
    for (name, value) in options {
        if let Some(v) = value {
            p.raw("<tr><th>")
                .text(name)
                .raw("</th>")
                .cell(v)
                .raw("</tr>");
        }
    }
    p.raw("</table></div>");
}

/// A subnet6's page: its NA numbers (and temporary and prefix pools),
/// ranges, options, reservations and leases. `None` if `index` names no
/// subnet6.
pub fn subnet6_page(cx: &Context<'_>, index: usize) -> Option<Vec<u8>> {
    let g = cx.generation;
    let sr = g.report.v6.subnets.get(index)?;
    let conf6 = &g.conf6.as_ref()?.conf;
    let subnet = conf6.subnets6.get(sr.subnet)?;
    let pools = Pools::of(cx);
    let mut p = subnet_page_start(cx, &sr.cidr, subnet.shared_network.as_deref());
    p.raw("<div class=\"scroll\"><table><tr><th>pool</th><th>state</th><th>use</th>")
        .raw(NUMBER_COLUMNS)
        .raw("</tr>");
    for (label, kind, counts) in [
        (
            "addresses (IA_NA)",
            alarm::PoolKind::Addresses,
            Some(&sr.ips),
        ),
        (
            "temporary (IA_TA)",
            alarm::PoolKind::Temporary,
            sr.temporary.as_ref(),
        ),
        (
            "prefixes (IA_PD)",
            alarm::PoolKind::Prefixes,
            sr.prefixes.as_ref(),
        ),
    ] {
        let Some(c) = counts else { continue };
        let pool = pools
            .pools
            .iter()
            .find(|pool| pool.kind == kind && pool.subnets.contains(&sr.cidr));
        let state = pool.map_or(State::Ok, |pool| pool.state);
        p.raw("<tr>").cell(label);
        state_cell(&mut p, state, pool.map(|pool| pool.name.as_str()));
        p.raw("<td>");
        bar(&mut p, c, state);
        p.raw("</td>");
        number_cells(&mut p, c);
        p.raw("</tr>");
    }
    p.raw("</table></div>");
    legend(&mut p);

    p.raw("<h2>Ranges</h2><div class=\"scroll\"><table><tr><th>kind</th><th>low</th><th>high</th><th class=\"n\">size</th></tr>");
    for (kind, ranges) in [
        ("addresses", &subnet.ranges),
        ("temporary", &subnet.temporary),
    ] {
        for r in ranges {
            p.raw("<tr>")
                .cell(kind)
                .cell(&r.low.to_string())
                .cell(&r.high.to_string())
                .count_cell(r.size())
                .raw("</tr>");
        }
    }
    for r in &subnet.prefixes {
        p.raw("<tr>")
            .cell(&format!("prefixes /{}", r.bits))
            .cell(&r.low.to_string())
            .cell(&r.high.to_string())
            .count_cell(r.count())
            .raw("</tr>");
    }
    p.raw("</table></div>");

    let o = &subnet.options;
    options_table(
        &mut p,
        &[
            ("dns_servers", o.dns_servers.as_ref().map(|v| v.join(", "))),
            (
                "domain_search",
                o.domain_search.as_ref().map(|v| v.join(", ")),
            ),
        ],
    );

    p.raw("<h2>Reservations (")
        .num(sr.statics.len())
        .raw(")</h2><div class=\"scroll\"><table><tr><th>host</th><th>ip address</th><th>prefix</th><th>mac address</th><th>client id</th><th>host name</th></tr>");
    for e in &sr.statics {
        p.raw("<tr>")
            .cell(&e.name)
            .cell(&e.ip_address.map(|a| a.to_string()).unwrap_or_default())
            .cell(
                &e.prefix
                    .map(|(a, l)| format!("{a}/{l}"))
                    .unwrap_or_default(),
            )
            .cell(e.mac_address.as_deref().unwrap_or(""))
            .cell(e.client_id.as_deref().unwrap_or(""))
            .cell(e.host_name.as_deref().unwrap_or(""))
            .raw("</tr>");
    }
    p.raw("</table></div>");
    leases6_table(&mut p, g, sr);
    footer(&mut p);
    Some(p.finish())
}

fn leases6_table(p: &mut Page, g: &Generation, sr: &Subnet6Report) {
    let Some(db) = g.db6.as_ref() else { return };
    p.raw("<h2>Leases (")
        .num(sr.leases.len())
        .raw(")</h2><div class=\"scroll\"><table><tr><th>address or prefix</th><th>counted as</th><th>ia-type</th><th>binding-state</th><th>ends</th><th>cltt</th><th>preferred-life</th><th>max-life</th><th>ia-id</th><th>other fields</th></tr>\n");
    for key in &sr.leases {
        let Some(l) = db.get(key) else {
            continue;
        };
        let text = key.text();
        let time = |t: Option<crate::dhcp::time::LeaseTime>| {
            t.map(|t| {
                crate::dhcp::time::LeaseTimeText::new(t)
                    .as_str()
                    .to_string()
            })
            .unwrap_or_default()
        };
        p.raw("<tr id=\"")
            .attr(&text)
            .raw("\">")
            .cell(&text)
            .cell(counted_name(classify6(l, g.report.now)))
            .cell(l.kind.as_str())
            .cell(l.state.as_str())
            .cell(&time(Some(l.ends())))
            .cell(&time(l.cltt()))
            .cell(
                &l.preferred_life()
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
            )
            .cell(&l.max_life().map(|v| v.to_string()).unwrap_or_default())
            .raw("<td class=\"wrap\">")
            .text(db.ia_id(key, l))
            .raw("</td><td class=\"wrap\">");
        let mut first = true;
        for f in crate::dhcp::lease_fields::Fields::new(&l.vars) {
            if let crate::dhcp::lease_fields::Field::Set(name, value) = f {
                if !first {
                    p.raw("; ");
                }
                first = false;
                p.text(&String::from_utf8_lossy(name))
                    .raw(" = ")
                    .text(&String::from_utf8_lossy(value));
            }
        }
        p.raw("</td></tr>\n");
    }
    p.raw("</table></div>");
}

/// Fields with a column of their own in the leases table; the others go
/// to the last column as `key = value`.
const LEASE_COLUMNS: [&str; 6] = [
    "binding-state",
    "starts",
    "ends",
    "hardware-ethernet",
    "client-hostname",
    "uid",
];

fn leases_table(p: &mut Page, cx: &Context<'_>, sr: &SubnetReport) {
    let g = cx.generation;
    p.raw("<h2>Leases (")
        .num(sr.leases.len())
        .raw(")</h2><div class=\"scroll\"><table><tr><th>address</th><th>counted as</th>");
    for c in LEASE_COLUMNS {
        p.raw("<th>").text(c).raw("</th>");
    }
    p.raw("<th>other fields</th></tr>\n");
    for &addr in &sr.leases {
        let Some(lease) = g.db.leases.get(&addr) else {
            continue;
        };
        let pairs = lease_text_pairs(g.db.fields.get(addr).unwrap_or_default());
        let text = Ipv4Addr::from(addr).to_string();
        p.raw("<tr id=\"")
            .attr(&text)
            .raw("\">")
            .cell(&text)
            .cell(counted_name(classify(lease, g.report.now)));
        for c in LEASE_COLUMNS {
            let v = pairs.iter().find(|(k, _)| k == c).map(|(_, v)| v.as_str());
            p.cell(v.unwrap_or(""));
        }
        p.raw("<td class=\"wrap\">");
        let mut first = true;
        for (k, v) in pairs
            .iter()
            .filter(|(k, _)| !LEASE_COLUMNS.contains(&k.as_str()))
        {
            if !first {
                p.raw("; ");
            }
            first = false;
            p.text(k).raw(" = ").text(v);
        }
        p.raw("</td></tr>\n");
    }
    p.raw("</table></div>");
}

/// The search results page (`/dashboard?q=`).
pub fn search_page(cx: &Context<'_>, hits: &Hits<'_>) -> Vec<u8> {
    let g = cx.generation;
    let mut p = Page::new(&format!("{} · search · dhcpstats", hits.query.text));
    header(&mut p, cx, &hits.query.text);
    p.raw("<nav><a href=\"/dashboard\">← overview</a></nav><h2>")
        .num(hits.hits.len())
        .raw(if hits.hits.len() == 1 {
            " hit"
        } else {
            " hits"
        })
        .raw(" for “")
        .text(&hits.query.text)
        .raw("”</h2>");
    if hits.truncated {
        p.raw("<p class=\"banner warning\">Only the first ")
            .num(crate::search::MAX_HITS)
            .raw(" hits are shown: give more of the text.</p>");
    }
    p.raw("<div class=\"scroll\"><table><tr><th>what</th><th>address</th><th>subnet</th><th>state</th><th>mac address</th><th>name</th><th>client id</th><th>ends</th></tr>\n");
    let subnet_cidr = |i: usize| g.report.subnets.get(i).map(|sr| sr.cidr.as_str());
    for hit in &hits.hits {
        p.raw("<tr>");
        match hit {
            Hit::Lease {
                addr,
                subnet,
                counted,
            } => {
                let pairs = lease_text_pairs(g.db.fields.get(*addr).unwrap_or_default());
                let field = |prefix: &str| {
                    pairs
                        .iter()
                        .find(|(k, _)| k.starts_with(prefix))
                        .map_or("", |(_, v)| v.as_str())
                };
                let text = Ipv4Addr::from(*addr).to_string();
                p.cell("lease");
                subnet_link_cells(&mut p, subnet.and_then(subnet_cidr), &text);
                p.cell(counted_name(*counted))
                    .cell(field("hardware-"))
                    .cell(field("client-hostname"))
                    .cell(field("uid"))
                    .cell(field("ends"));
            }
            Hit::Static { subnet, entry } => {
                let name = match &entry.host_name {
                    Some(h) if *h != entry.name => format!("{} ({h})", entry.name),
                    _ => entry.name.clone(),
                };
                p.cell("reservation");
                subnet_link_cells(&mut p, subnet_cidr(*subnet), &entry.ip_address.to_string());
                p.cell("static")
                    .cell(entry.mac_address.as_deref().unwrap_or(""))
                    .cell(&name)
                    .cell("")
                    .cell("");
            }
            Hit::Lease6 {
                key,
                subnet,
                counted,
            } => {
                let cidr6 = |i: usize| g.report.v6.subnets.get(i).map(|sr| sr.cidr.as_str());
                let lease = g.db6.as_ref().and_then(|db| Some((db, db.get(key)?)));
                p.cell("lease");
                subnet_link_cells(&mut p, subnet.and_then(cidr6), &key.text());
                p.cell(counted_name(*counted)).cell("").cell("");
                match lease {
                    Some((db, l)) => {
                        p.raw("<td class=\"wrap\">")
                            .text(db.ia_id(key, l))
                            .raw("</td>")
                            .cell(crate::dhcp::time::LeaseTimeText::new(l.ends()).as_str());
                    }
                    None => {
                        p.cell("").cell("");
                    }
                }
            }
            Hit::Static6 { subnet, entry } => {
                let cidr6 = g.report.v6.subnets.get(*subnet).map(|sr| sr.cidr.as_str());
                let name = match &entry.host_name {
                    Some(h) if *h != entry.name => format!("{} ({h})", entry.name),
                    _ => entry.name.clone(),
                };
                let address = entry
                    .ip_address
                    .map(|a| a.to_string())
                    .or(entry.prefix.map(|(a, l)| format!("{a}/{l}")))
                    .unwrap_or_default();
                p.cell("reservation");
                subnet_link_cells(&mut p, cidr6, &address);
                p.cell("static")
                    .cell(entry.mac_address.as_deref().unwrap_or(""))
                    .cell(&name)
                    .cell(entry.client_id.as_deref().unwrap_or(""))
                    .cell("");
            }
        }
        p.raw("</tr>\n");
    }
    p.raw("</table></div>");
    footer(&mut p);
    p.finish()
}

/// The address (linking to its row on the subnet's page) and the subnet.
fn subnet_link_cells(p: &mut Page, cidr: Option<&str>, address: &str) {
    match cidr {
        Some(cidr) => {
            p.raw("<td>")
                .link(&format!("{}#{address}", subnet_href(cidr)), address)
                .raw("</td><td>")
                .link(&subnet_href(cidr), cidr)
                .raw("</td>");
        }
        None => {
            p.cell(address).cell("in no subnet");
        }
    }
}

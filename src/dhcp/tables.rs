//! What dhcpd 4.4 knows, as data: its option spaces, every option's name,
//! code and value format, the parameters of the `server` space (the
//! statements like `default-lease-time 600;`) and the enumerations their
//! values come from. [`crate::dhcp::statements`] interprets the formats.
//!
//! Formats use dhcpd's one-letter atoms, documented in dhcp-options(5)
//! and checked against the installed dhcpd 4.4.3 (tests/integration/
//! differential.rs):
//!
//! | atom | value |
//! |---|---|
//! | `I` | IPv4 address or host name |
//! | `6` | IPv6 address |
//! | `l` `L` `s` `S` `b` `B` | signed/unsigned 32/16/8-bit integer |
//! | `T` | lease time: a number or `infinite` |
//! | `f` | boolean: `true` `false` `on` `off` `ignore` |
//! | `t` | text: a string or a single bare word |
//! | `X` `E…` | a string or a colon-separated hex list |
//! | `d` | a domain name, unquoted |
//! | `D` | a comma-separated list of quoted domain names |
//! | `N<enum>.` | one word of the named enumeration |
//! | `Z` | no value |
//! | `A` / `a` | the whole format / the last atom repeats, comma-separated |
//! | `o` | the preceding atom may be left out |

/// One option of one space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionDef {
    pub space: &'static str,
    pub name: &'static str,
    pub code: u32,
    pub format: &'static str,
}

macro_rules! options {
    ($space:literal: $(($name:literal, $code:literal, $format:literal)),* $(,)?) => {
        &[$(OptionDef { space: $space, name: $name, code: $code, format: $format }),*]
    };
}

/// The standard DHCPv4 options (space `dhcp`, the default).
const DHCP: &[OptionDef] = options!("dhcp":
    ("subnet-mask", 1, "I"), ("time-offset", 2, "l"), ("routers", 3, "IA"),
    ("time-servers", 4, "IA"), ("ien116-name-servers", 5, "IA"),
    ("domain-name-servers", 6, "IA"), ("log-servers", 7, "IA"),
    ("cookie-servers", 8, "IA"), ("lpr-servers", 9, "IA"),
    ("impress-servers", 10, "IA"), ("resource-location-servers", 11, "IA"),
    ("host-name", 12, "t"), ("boot-size", 13, "S"), ("merit-dump", 14, "t"),
    ("domain-name", 15, "t"), ("swap-server", 16, "I"), ("root-path", 17, "t"),
    ("extensions-path", 18, "t"), ("ip-forwarding", 19, "f"),
    ("non-local-source-routing", 20, "f"), ("policy-filter", 21, "IIA"),
    ("max-dgram-reassembly", 22, "S"), ("default-ip-ttl", 23, "B"),
    ("path-mtu-aging-timeout", 24, "L"), ("path-mtu-plateau-table", 25, "SA"),
    ("interface-mtu", 26, "S"), ("all-subnets-local", 27, "f"),
    ("broadcast-address", 28, "I"), ("perform-mask-discovery", 29, "f"),
    ("mask-supplier", 30, "f"), ("router-discovery", 31, "f"),
    ("router-solicitation-address", 32, "I"), ("static-routes", 33, "IIA"),
    ("trailer-encapsulation", 34, "f"), ("arp-cache-timeout", 35, "L"),
    ("ieee802-3-encapsulation", 36, "f"), ("default-tcp-ttl", 37, "B"),
    ("tcp-keepalive-interval", 38, "L"), ("tcp-keepalive-garbage", 39, "f"),
    ("nis-domain", 40, "t"), ("nis-servers", 41, "IA"), ("ntp-servers", 42, "IA"),
    ("vendor-encapsulated-options", 43, "E."), ("netbios-name-servers", 44, "IA"),
    ("netbios-dd-server", 45, "IA"), ("netbios-node-type", 46, "B"),
    ("netbios-scope", 47, "t"), ("font-servers", 48, "IA"),
    ("x-display-manager", 49, "IA"), ("dhcp-requested-address", 50, "I"),
    ("dhcp-lease-time", 51, "L"), ("dhcp-option-overload", 52, "B"),
    ("dhcp-message-type", 53, "B"), ("dhcp-server-identifier", 54, "I"),
    ("dhcp-parameter-request-list", 55, "BA"), ("dhcp-message", 56, "t"),
    ("dhcp-max-message-size", 57, "S"), ("dhcp-renewal-time", 58, "L"),
    ("dhcp-rebinding-time", 59, "L"), ("vendor-class-identifier", 60, "X"),
    ("dhcp-client-identifier", 61, "X"), ("nwip-domain", 62, "t"),
    ("nwip-suboptions", 63, "Enwip."), ("nisplus-domain", 64, "t"),
    ("nisplus-servers", 65, "IA"), ("tftp-server-name", 66, "t"),
    ("bootfile-name", 67, "t"), ("mobile-ip-home-agent", 68, "IA"),
    ("smtp-server", 69, "IA"), ("pop-server", 70, "IA"), ("nntp-server", 71, "IA"),
    ("www-server", 72, "IA"), ("finger-server", 73, "IA"), ("irc-server", 74, "IA"),
    ("streettalk-server", 75, "IA"),
    ("streettalk-directory-assistance-server", 76, "IA"), ("user-class", 77, "t"),
    ("slp-directory-agent", 78, "fIa"), ("slp-service-scope", 79, "fto"),
    ("fqdn", 81, "Efqdn."), ("relay-agent-information", 82, "Eagent."),
    ("nds-servers", 85, "IA"), ("nds-tree-name", 86, "t"), ("nds-context", 87, "t"),
    ("bcms-controller-names", 88, "D"), ("bcms-controller-address", 89, "Ia"),
    ("client-last-transaction-time", 91, "L"), ("associated-ip", 92, "Ia"),
    ("pxe-system-type", 93, "Sa"), ("pxe-interface-id", 94, "BBB"),
    ("pxe-client-id", 97, "BX"), ("uap-servers", 98, "t"), ("pcode", 100, "t"),
    ("tcode", 101, "t"), ("v6-only-preferred", 108, "L"),
    ("netinfo-server-address", 112, "Ia"), ("netinfo-server-tag", 113, "t"),
    ("default-url", 114, "t"), ("auto-config", 116, "B"),
    ("name-service-search", 117, "Sa"), ("subnet-selection", 118, "I"),
    ("domain-search", 119, "Dc"), ("vivco", 124, "Evendor-class."),
    ("vivso", 125, "Evendor."), ("v4-lost", 137, "d"), ("capwap-ac-v4", 138, "Ia"),
    ("sip-ua-cs-domains", 141, "Dc"), ("ipv4-address-andsf", 142, "IA"),
    ("rdnss-selection", 146, "BIID"), ("tftp-server-address", 150, "Ia"),
    ("v4-portparams", 159, "BBS"), ("v4-captive-portal", 160, "t"),
    ("loader-configfile", 209, "t"), ("loader-pathprefix", 210, "t"),
    ("loader-reboottime", 211, "L"), ("option-6rd", 212, "BB6Ia"),
    ("v4-access-domain", 213, "d"),
);

/// Relay agent information (option 82) sub-options, `agent.NAME`.
const AGENT: &[OptionDef] = options!("agent":
    ("circuit-id", 1, "X"), ("remote-id", 2, "X"), ("agent-id", 3, "I"),
    ("DOCSIS-device-class", 4, "L"), ("link-selection", 5, "I"),
    ("relay-port", 19, "Z"),
);

/// The `server` space: dhcpd's configuration parameters, written as bare
/// statements (`default-lease-time 600;`).
const SERVER: &[OptionDef] = options!("server":
    ("default-lease-time", 1, "T"), ("max-lease-time", 2, "T"),
    ("min-lease-time", 3, "T"), ("dynamic-bootp-lease-cutoff", 4, "T"),
    ("dynamic-bootp-lease-length", 5, "L"), ("boot-unknown-clients", 6, "f"),
    ("dynamic-bootp", 7, "f"), ("allow-bootp", 8, "f"), ("allow-booting", 9, "f"),
    ("one-lease-per-client", 10, "f"), ("get-lease-hostnames", 11, "f"),
    ("use-host-decl-names", 12, "f"), ("use-lease-addr-for-default-route", 13, "f"),
    ("min-secs", 14, "B"), ("filename", 15, "t"), ("server-name", 16, "t"),
    ("next-server", 17, "I"), ("authoritative", 18, "f"),
    ("vendor-option-space", 19, "U"), ("always-reply-rfc1048", 20, "f"),
    ("site-option-space", 21, "X"), ("always-broadcast", 22, "f"),
    ("ddns-domainname", 23, "t"), ("ddns-hostname", 24, "t"),
    ("ddns-rev-domainname", 25, "t"), ("lease-file-name", 26, "t"),
    ("pid-file-name", 27, "t"), ("duplicates", 28, "f"), ("declines", 29, "f"),
    ("ddns-updates", 30, "f"), ("omapi-port", 31, "S"), ("local-port", 32, "S"),
    ("limited-broadcast-address", 33, "I"), ("remote-port", 34, "S"),
    ("local-address", 35, "I"), ("omapi-key", 36, "d"),
    ("stash-agent-options", 37, "f"), ("ddns-ttl", 38, "T"),
    ("ddns-update-style", 39, "Nddns-styles."), ("client-updates", 40, "f"),
    ("update-optimization", 41, "f"), ("ping-check", 42, "f"),
    ("update-static-leases", 43, "f"), ("log-facility", 44, "Nsyslog-facilities."),
    ("do-forward-updates", 45, "f"), ("ping-timeout", 46, "T"),
    ("infinite-is-reserved", 47, "f"), ("update-conflict-detection", 48, "f"),
    ("leasequery", 49, "f"), ("adaptive-lease-time-threshold", 50, "B"),
    ("do-reverse-updates", 51, "f"), ("fqdn-reply", 52, "f"),
    ("preferred-lifetime", 53, "T"), ("dhcpv6-lease-file-name", 54, "t"),
    ("dhcpv6-pid-file-name", 55, "t"), ("limit-addrs-per-ia", 56, "L"),
    ("limit-prefs-per-ia", 57, "L"), ("delayed-ack", 58, "S"),
    ("max-ack-delay", 59, "L"), ("dhcp-cache-threshold", 78, "B"),
    ("dont-use-fsync", 79, "f"), ("ddns-local-address4", 80, "I"),
    ("ddns-local-address6", 81, "6"), ("ignore-client-uids", 82, "f"),
    ("log-threshold-low", 83, "B"), ("log-threshold-high", 84, "B"),
    ("echo-client-id", 85, "f"), ("server-id-check", 86, "f"),
    ("prefix-length-mode", 87, "Nprefix_length_modes."),
    ("dhcpv6-set-tee-times", 88, "f"), ("abandon-lease-time", 89, "T"),
    ("check-secs-byte-order", 90, "f"), ("ddns-dual-stack-mixed-mode", 91, "f"),
    ("ddns-guard-id-must-match", 92, "f"), ("ddns-other-guard-is-dynamic", 93, "f"),
    ("release-on-roam", 94, "f"), ("local-address6", 95, "6"),
    ("bind-local-address6", 96, "f"), ("ping-cltt-secs", 97, "T"),
    ("ping-timeout-ms", 98, "T"),
);

/// The FQDN option's virtual sub-options, `fqdn.NAME`.
const FQDN: &[OptionDef] = options!("fqdn":
    ("no-client-update", 1, "f"), ("server-update", 2, "f"), ("encoded", 3, "f"),
    ("rcode1", 4, "B"), ("rcode2", 5, "B"), ("hostname", 6, "t"),
    ("domainname", 7, "t"), ("fqdn", 8, "t"),
);

const NWIP: &[OptionDef] = options!("nwip":
    ("nsq-broadcast", 5, "f"), ("preferred-dss", 6, "IA"),
    ("nearest-nwip-server", 7, "IA"), ("autoretries", 8, "B"),
    ("autoretry-secs", 9, "B"), ("nwip-1-1", 10, "f"), ("primary-dss", 11, "I"),
);

const ISC: &[OptionDef] = options!("isc": ("media", 1, "t"), ("update-assist", 2, "X"));
const VENDOR_CLASS: &[OptionDef] = options!("vendor-class": ("isc", 2495, "X"));
const VENDOR: &[OptionDef] = options!("vendor": ("isc", 2495, "Eisc."));

/// DHCPv6 options (`dhcp6.NAME`), as an IPv4 configuration may name them
/// in expressions.
const DHCP6: &[OptionDef] = options!("dhcp6":
    ("client-id", 1, "X"), ("server-id", 2, "X"), ("ia-na", 3, "X"),
    ("ia-ta", 4, "X"), ("ia-addr", 5, "X"), ("oro", 6, "SA"), ("preference", 7, "B"),
    ("elapsed-time", 8, "S"), ("relay-msg", 9, "X"), ("unicast", 12, "6"),
    ("status-code", 13, "Nstatus-codes.to"), ("rapid-commit", 14, "Z"),
    ("vendor-opts", 17, "Evsio."), ("interface-id", 18, "X"),
    ("reconf-msg", 19, "Ndhcpv6-messages."), ("reconf-accept", 20, "Z"),
    ("sip-servers-names", 21, "D"), ("sip-servers-addresses", 22, "6A"),
    ("name-servers", 23, "6A"), ("domain-search", 24, "D"), ("ia-pd", 25, "X"),
    ("ia-prefix", 26, "X"), ("nis-servers", 27, "6A"), ("nisp-servers", 28, "6A"),
    ("nis-domain-name", 29, "D"), ("nisp-domain-name", 30, "D"),
    ("sntp-servers", 31, "6A"), ("info-refresh-time", 32, "T"),
    ("bcms-server-d", 33, "D"), ("bcms-server-a", 34, "6A"),
    ("geoconf-civic", 36, "X"), ("remote-id", 37, "X"), ("subscriber-id", 38, "X"),
    ("fqdn", 39, "Efqdn6-if-you-see-me-its-a-bug-bug-bug."), ("pana-agent", 40, "6A"),
    ("new-posix-timezone", 41, "t"), ("new-tzdb-timezone", 42, "t"), ("ero", 43, "SA"),
    ("lq-query", 44, "X"), ("client-data", 45, "X"), ("clt-time", 46, "L"),
    ("lq-relay-data", 47, "6X"), ("lq-client-link", 48, "6A"), ("v6-lost", 51, "d"),
    ("capwap-ac-v6", 52, "6a"), ("relay-id", 53, "X"), ("v6-access-domain", 57, "d"),
    ("sip-ua-cs-list", 58, "D"), ("bootfile-url", 59, "t"), ("bootfile-param", 60, "X"),
    ("client-arch-type", 61, "SA"), ("nii", 62, "BBB"), ("aftr-name", 64, "d"),
    ("erp-local-domain-name", 65, "d"), ("rdnss-selection", 74, "6BD"),
    ("client-linklayer-addr", 79, "X"), ("solmax-rt", 82, "L"), ("inf-max-rt", 83, "L"),
    ("dhcpv4-msg", 87, "X"), ("dhcp4-o-dhcp6-server", 88, "6A"),
    ("v6-captive-portal", 103, "t"), ("relay-source-port", 135, "S"),
    ("ipv6-address-andsf", 143, "6A"),
);

/// Every built-in space, in the order dhcpd registers them.
pub const SPACES: &[(&str, &[OptionDef])] = &[
    ("dhcp", DHCP),
    ("agent", AGENT),
    ("server", SERVER),
    ("fqdn", FQDN),
    ("nwip", NWIP),
    ("isc", ISC),
    ("vendor-class", VENDOR_CLASS),
    ("vendor", VENDOR),
    ("dhcp6", DHCP6),
];

/// The named enumerations of `N<name>.` formats.
pub const ENUMS: &[(&str, &[&str])] = &[
    ("ddns-styles", &["none", "ad-hoc", "interim", "standard"]),
    (
        "syslog-facilities",
        &[
            "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
            "authpriv", "ftp", "local0", "local1", "local2", "local3", "local4", "local5",
            "local6", "local7",
        ],
    ),
    (
        "prefix_length_modes",
        &["ignore", "prefer", "exact", "minimum", "maximum"],
    ),
    (
        "status-codes",
        &[
            "success",
            "UnspecFail",
            "NoAddrsAvail",
            "NoBinding",
            "NotOnLink",
            "UseMulticast",
            "NoPrefixAvail",
            "UnknownQueryType",
            "MalformedQuery",
            "NotConfigured",
            "NotAllowed",
            "QueryTerminated",
        ],
    ),
];

/// Whether `space` is built in.
pub fn is_space(space: &str) -> bool {
    SPACES.iter().any(|(s, _)| s.eq_ignore_ascii_case(space))
}

/// A built-in option by space and name (names compare case-insensitively,
/// as dhcpd's keyword lookup does; the definition keeps dhcpd's spelling).
pub fn find(space: &str, name: &str) -> Option<&'static OptionDef> {
    let (_, defs) = SPACES.iter().find(|(s, _)| s.eq_ignore_ascii_case(space))?;
    defs.iter().find(|d| d.name.eq_ignore_ascii_case(name))
}

/// The values of an enumeration, by the name in an `N<name>.` format.
pub fn enumeration(name: &str) -> Option<&'static [&'static str]> {
    ENUMS.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_within_a_space() {
        for (space, defs) in SPACES {
            let mut names: Vec<String> = defs.iter().map(|d| d.name.to_ascii_lowercase()).collect();
            names.sort();
            let before = names.len();
            names.dedup();
            assert_eq!(before, names.len(), "duplicate name in {space}");
            assert!(defs.iter().all(|d| d.space == *space));
        }
    }

    #[test]
    fn lookups_ignore_case_and_keep_dhcpd_spelling() {
        assert_eq!(
            find("agent", "docsis-device-class").map(|d| d.name),
            Some("DOCSIS-device-class")
        );
        assert_eq!(find("dhcp", "Routers").map(|d| d.format), Some("IA"));
        assert!(find("dhcp", "rapid-commit").is_none());
        assert_eq!(enumeration("ddns-styles").map(|v| v.len()), Some(4));
    }
}

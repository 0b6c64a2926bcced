//! The auction notice (`tonne-auction-notice/1`, docs/market.md "Auction events"): what the
//! administering jurisdictions publish and register before a joint auction — the date and the
//! auction exchange rate, each jurisdiction's reserve price, the allowances each offers in the
//! current and the advance auction (state-owned and consigned, by vintage), the rule variants
//! the reference leaves open, and the registered bidders.
//!
//! Amounts are read from their JSON text exactly (a number or a string: `27.94`, `"27.94"`),
//! never through floats. Unknown fields are errors. Every error names its field path.

use crate::auction::TieUnit;
use crate::csv_input::{MAX_GUARANTEE_DOLLARS, MAX_QUANTITY, parse_amount, parse_dollars};
use crate::currency::{Currency, ExchangeRate, Rounding};
use crate::rules::{self, PurchaseLimits};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use tonne_core::{AccountId, Timestamp};

pub const FORMAT: &str = "tonne-auction-notice/1";

/// Bidders one notice may register (a limit on everything).
pub const MAX_BIDDERS: usize = 100_000;
/// Offer lines and consignments one auction may list.
pub const MAX_OFFER_LINES: usize = 10_000;

/// A problem with the notice, at a field path (`bidders[3].bid_guarantee.currency`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct NoticeError {
    pub path: String,
    pub message: String,
}

fn err(path: impl Into<String>, message: impl Into<String>) -> NoticeError {
    NoticeError {
        path: path.into(),
        message: message.into(),
    }
}

/// A JSON number or string as its text.
fn raw_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let raw: &RawValue = Deserialize::deserialize(d)?;
    let text = raw.get();
    Ok(text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
        .to_owned())
}

/// Dollars (or Canadian dollars) with at most two decimals, into cents.
fn price_cents<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    parse_dollars(&raw_text(d)?).map_err(serde::de::Error::custom)
}

fn opt_price_cents<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    price_cents(d).map(Some)
}

fn guarantee_cents<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    parse_amount(&raw_text(d)?, MAX_GUARANTEE_DOLLARS).map_err(serde::de::Error::custom)
}

fn exchange_rate<'de, D: Deserializer<'de>>(d: D) -> Result<ExchangeRate, D::Error> {
    ExchangeRate::parse(&raw_text(d)?).map_err(serde::de::Error::custom)
}

fn date<'de, D: Deserializer<'de>>(d: D) -> Result<AuctionDate, D::Error> {
    AuctionDate::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
}

/// A calendar date `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct AuctionDate {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl AuctionDate {
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a date YYYY-MM-DD");
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Result<u16, String> {
            let t = &s[r];
            if !t.bytes().all(|c| c.is_ascii_digit()) {
                return Err(bad());
            }
            t.parse().map_err(|_| bad())
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return Err(bad()),
        };
        if year < 2000 || day == 0 || day > days {
            return Err(bad());
        }
        Ok(Self {
            year,
            month: month as u8,
            day: day as u8,
        })
    }
}

impl fmt::Display for AuctionDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for AuctionDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The auction exchange rate and where it comes from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeRateInput {
    /// CAD per USD, e.g. `"1.3654"`: the Bank of Canada daily average published on the
    /// business day before the auction (QC-s.54.1, VERIFIED).
    #[serde(deserialize_with = "exchange_rate")]
    pub cad_per_usd: ExchangeRate,
    #[serde(default)]
    pub source: Option<String>,
}

/// How the sold quantity is shared between jurisdictions (reference/cap-and-trade.md §1.1
/// "WHOSE ALLOWANCES ARE SOLD", a: DERIVED from the May 2020 auction, no rule text — keep
/// configurable). One variant today; the field makes the choice explicit in every notice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JurisdictionSplit {
    /// Pro rata to the quantity each jurisdiction offered in that auction; rounded down, then
    /// one allowance each in random-number order (the QC-s.54.1 pattern; rounding UNVERIFIED).
    #[default]
    ProRataOffered,
}

/// How one bid guarantee covers the current and the advance auction (one guarantee covers both:
/// Auction Examples, "Application of a Single Bid Guarantee to Current and Advance Auction",
/// VERIFIED; how it is apportioned is not in the reference pack: UNVERIFIED).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuaranteeOrder {
    /// The current auction's bids are screened against the whole guarantee; the advance
    /// auction's against what is left after the maximum bid value of the current bids that
    /// passed the screens (UNVERIFIED).
    #[default]
    CurrentFirst,
}

/// The rule variants of one auction event. Every one the reference marks UNVERIFIED or DERIVED
/// is a parameter here, with the reference's default.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRulesInput {
    /// Purchase limits by bidder category, shares of the allowances offered (basis points,
    /// with mark and source). Absent: the shipped programme rules of the first jurisdiction
    /// listed (`tonne market rules --jurisdiction US-CA`: 25 % / 4 % / 25 %, UNVERIFIED,
    /// reference/cap-and-trade.md §1.3).
    #[serde(default)]
    pub purchase_limits: Option<PurchaseLimits>,
    /// Tie rule rounding unit (UNVERIFIED, §1.4; default whole allowances).
    #[serde(default)]
    pub tie_unit: TieUnit,
    /// CAD ↔ USD rounding to the cent (UNVERIFIED, §1.1; default half up).
    #[serde(default)]
    pub conversion_rounding: Rounding,
    #[serde(default)]
    pub jurisdiction_split: JurisdictionSplit,
    /// Consigned allowances sell before state-owned ones within a jurisdiction
    /// (California: VERIFIED-SECONDARY, CARB via NGI May 2020; Québec: VERIFIED QC-s.52
    /// para 5; §1.1 b). Default true.
    #[serde(default = "yes")]
    pub consigned_first: bool,
    #[serde(default)]
    pub guarantee_order: GuaranteeOrder,
    /// A direct corporate association's joint purchase limit when its members fall in
    /// different categories (UNVERIFIED: no rule text in the reference; default the largest
    /// member's).
    #[serde(default)]
    pub association_purchase_limit: AssociationLimit,
}

/// Which member's category limit a direct corporate association shares (UNVERIFIED).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssociationLimit {
    #[default]
    LargestMember,
    SmallestMember,
}

fn yes() -> bool {
    true
}

impl Default for EventRulesInput {
    fn default() -> Self {
        Self {
            purchase_limits: None,
            tie_unit: TieUnit::default(),
            conversion_rounding: Rounding::default(),
            jurisdiction_split: JurisdictionSplit::default(),
            consigned_first: true,
            guarantee_order: GuaranteeOrder::default(),
            association_purchase_limit: AssociationLimit::default(),
        }
    }
}

/// A jurisdiction taking part: its currency and its own auction reserve price.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JurisdictionInput {
    /// ISO 3166-2 (`US-CA`, `CA-QC`).
    pub code: String,
    pub currency: Currency,
    /// Its minimum price in its own currency (dollars, ≤ 2 decimals). Absent: the published
    /// reserve price of the auction's year in its shipped programme rules.
    #[serde(default, deserialize_with = "opt_price_cents")]
    pub reserve_price: Option<u64>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// The registry account (an `auction_holding` account) its allowances are sold from.
    /// Optional: only the settlement output ([`super::settlement`]) needs it.
    #[serde(default)]
    pub auction_account: Option<AccountId>,
}

/// Allowances of one consignor (e.g. an electrical distribution utility) in an offer line.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consignment {
    pub consignor: String,
    pub quantity: u64,
}

/// A jurisdiction's allowances of one vintage in one auction.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    pub jurisdiction: String,
    pub vintage: u16,
    /// Allowances the jurisdiction itself offers.
    #[serde(default)]
    pub state_owned: u64,
    /// Allowances consigned to the auction (REG-§95910(d); QC: allocated without charge to be
    /// auctioned).
    #[serde(default)]
    pub consigned: Vec<Consignment>,
}

impl Offer {
    pub fn consigned_total(&self) -> u64 {
        self.consigned.iter().map(|c| c.quantity).sum()
    }
    pub fn total(&self) -> u64 {
        self.state_owned + self.consigned_total()
    }
}

/// What one auction (current or advance) offers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offering {
    pub offers: Vec<Offer>,
}

impl Offering {
    pub fn supply(&self) -> u64 {
        self.offers.iter().map(Offer::total).sum()
    }
    /// The vintages offered, ascending.
    pub fn vintages(&self) -> Vec<u16> {
        let v: BTreeSet<u16> = self.offers.iter().map(|o| o.vintage).collect();
        v.into_iter().collect()
    }
}

/// Purchase-limit category of a registered entity (reference/cap-and-trade.md §1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityType {
    /// Covered entity: "covered and opt-in entities" limit; a compliance entity.
    Covered,
    /// Opt-in covered entity: same limit; a compliance entity.
    OptIn,
    /// Electrical distribution utility: a covered entity, with its own limit where the rule set
    /// has one (`electrical_distribution_utility_bp`), else the covered entities'.
    ElectricalDistributionUtility,
    /// Voluntarily associated entity: the "all others" limit.
    VoluntarilyAssociated,
}

impl EntityType {
    /// Counts toward "allowances purchased by compliance entities" in the results summary.
    pub fn is_compliance_entity(self) -> bool {
        !matches!(self, EntityType::VoluntarilyAssociated)
    }
}

/// The bid guarantee an applicant submitted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BidGuarantee {
    /// Dollars of `currency`, ≤ 2 decimals.
    #[serde(deserialize_with = "guarantee_cents")]
    pub amount: u64,
    pub currency: Currency,
}

/// Allowances the bidder may still acquire before reaching its holding limits (limited
/// exemption included), computed by the registry: current-vintage limit for the current
/// auction, future-vintage limit for the advance auction (QC-s.32, VERIFIED). Absent: no
/// holding-limit screen in that auction.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldingHeadroom {
    #[serde(default)]
    pub current: Option<u64>,
    #[serde(default)]
    pub advance: Option<u64>,
}

/// A registered applicant.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bidder {
    /// The id its bids carry (e.g. its CITSS entity id or the group's).
    pub id: String,
    /// The jurisdiction it is registered in; one of the notice's.
    pub jurisdiction: String,
    pub entity_type: EntityType,
    /// Whether its application was approved: only qualified bidders may bid.
    pub qualified: bool,
    pub bid_guarantee: BidGuarantee,
    #[serde(default)]
    pub holding_headroom: HoldingHeadroom,
    /// The currency it pays in; default its jurisdiction's. California entities bid and pay in
    /// USD (REG-§95911(a)(4)); Québec entities may use USD or CAD (Auction Examples).
    #[serde(default)]
    pub payment_currency: Option<Currency>,
    /// The registry holding account its allowances are delivered to. Optional: only the
    /// settlement output ([`super::settlement`]) needs it.
    #[serde(default)]
    pub holding_account: Option<AccountId>,
    /// The direct corporate association it belongs to, if any: bidders naming the same one
    /// share their purchase limit and holding headroom ([`super::association`]).
    #[serde(default)]
    pub corporate_association: Option<String>,
}

/// An auction notice, parsed and validated.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    pub format: String,
    /// E.g. "Joint Auction #46".
    pub name: String,
    #[serde(deserialize_with = "date")]
    pub date: AuctionDate,
    #[serde(default)]
    pub note: Option<String>,
    pub exchange_rate: ExchangeRateInput,
    #[serde(default)]
    pub rules: EventRulesInput,
    pub jurisdictions: Vec<JurisdictionInput>,
    pub current: Offering,
    #[serde(default)]
    pub advance: Option<Offering>,
    pub bidders: Vec<Bidder>,
    /// The registry's id of this auction day; its settlements are `<id>-current` and
    /// `<id>-advance`. Optional; absent: the date (`2026-02-18-current`).
    #[serde(default)]
    pub auction_id: Option<String>,
    /// When bidding closed: an RFC 3339 instant whose local date is `date`
    /// (`2026-02-18T13:00:00-08:00`). Optional: the default time of the settlement commands.
    #[serde(default)]
    pub closes_at: Option<String>,
}

/// Longest `auction_id`: the registry's id limit less the `-advance` suffix.
pub const MAX_AUCTION_ID_LEN: usize = tonne_core::limits::MAX_ID_LEN - "-advance".len();

/// 1-64 printable characters, the same rule as the bids file's bidder column.
fn check_id(path: &str, id: &str) -> Result<(), NoticeError> {
    if id.is_empty() || id.len() > 64 || id.chars().any(char::is_control) {
        return Err(err(path, "an id of 1-64 printable characters is required"));
    }
    Ok(())
}

impl Notice {
    /// Parses and validates a notice, naming the field of the first problem.
    pub fn parse(text: &str) -> Result<Self, NoticeError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let mut n: Self = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            err(
                if path == "." { "(notice)".into() } else { path },
                e.inner().to_string(),
            )
        })?;
        n.fill_defaults()?;
        n.validate()?;
        Ok(n)
    }

    /// Takes absent reserve prices and purchase limits from the shipped programme rules.
    pub fn fill_defaults(&mut self) -> Result<(), NoticeError> {
        let year = self.date.year;
        for (i, j) in self.jurisdictions.iter_mut().enumerate() {
            if j.reserve_price.is_some() {
                continue;
            }
            let published = rules::builtin(&j.code).and_then(|r| {
                let p = r.reserve_prices.get(&year)?.clone();
                (r.currency == j.currency.to_string()).then_some(p)
            });
            let Some(p) = published else {
                return Err(err(
                    format!("jurisdictions[{i}].reserve_price"),
                    format!(
                        "not given, and the shipped {} rules publish no {year} reserve price in {}",
                        j.code, j.currency
                    ),
                ));
            };
            j.reserve_price = Some(p.value);
            j.source.get_or_insert(format!(
                "shipped {} rules: {} ({})",
                j.code, p.source, p.mark
            ));
        }
        if self.rules.purchase_limits.is_none() {
            let first = self.jurisdictions.first().map(|j| j.code.as_str());
            let r = first.and_then(rules::builtin).ok_or_else(|| {
                err(
                    "rules.purchase_limits",
                    "not given, and the first jurisdiction has no shipped programme rules",
                )
            })?;
            self.rules.purchase_limits = Some(r.purchase_limits);
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<(), NoticeError> {
        if self.format != FORMAT {
            return Err(err(
                "format",
                format!("{:?} is not {FORMAT:?}", self.format),
            ));
        }
        if self.name.trim().is_empty() {
            return Err(err("name", "an auction name is required"));
        }
        if let Some(id) = &self.auction_id
            && (id.is_empty()
                || id.len() > MAX_AUCTION_ID_LEN
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
        {
            return Err(err(
                "auction_id",
                format!(
                    "1-{MAX_AUCTION_ID_LEN} letters, digits, '-', '_', '.' or ':' (it names the registry's settlements)"
                ),
            ));
        }
        if let Some(t) = &self.closes_at {
            Timestamp::parse(t).map_err(|e| err("closes_at", e.to_string()))?;
            let date = self.date.to_string();
            if t.get(..10) != Some(date.as_str()) {
                return Err(err(
                    "closes_at",
                    format!(
                        "{t:?} is not on the auction date {date} (write it in local time, with its offset)"
                    ),
                ));
            }
        }
        let pl = self.purchase_limits();
        for (n, v) in [
            ("covered_bp", pl.covered_bp),
            ("other_bp", pl.other_bp),
            ("advance_bp", pl.advance_bp),
            (
                "electrical_distribution_utility_bp",
                pl.electrical_distribution_utility_bp.unwrap_or(0),
            ),
        ] {
            if v > 10_000 {
                return Err(err(
                    format!("rules.purchase_limits.{n}"),
                    format!("{v} basis points is more than 100 %"),
                ));
            }
        }
        if self.jurisdictions.is_empty() {
            return Err(err(
                "jurisdictions",
                "at least one jurisdiction offers allowances",
            ));
        }
        let mut codes = BTreeMap::new();
        for (i, j) in self.jurisdictions.iter().enumerate() {
            check_id(&format!("jurisdictions[{i}].code"), &j.code)?;
            if codes.insert(j.code.as_str(), j.currency).is_some() {
                return Err(err(
                    format!("jurisdictions[{i}].code"),
                    format!("{} appears twice", j.code),
                ));
            }
        }
        self.check_offering("current", &self.current, &codes, |v| v <= self.date.year)?;
        if let Some(a) = &self.advance {
            // REG-§95910(c)(2)(B) (VERIFIED): the advance auction sells budget year t+3.
            self.check_offering("advance", a, &codes, |v| v == self.date.year + 3)?;
        }
        if self.bidders.len() > MAX_BIDDERS {
            return Err(err("bidders", format!("more than {MAX_BIDDERS} bidders")));
        }
        let mut ids = BTreeSet::new();
        for (i, b) in self.bidders.iter().enumerate() {
            let path = format!("bidders[{i}]");
            check_id(&format!("{path}.id"), &b.id)?;
            if let Some(a) = &b.corporate_association {
                check_id(&format!("{path}.corporate_association"), a)?;
            }
            if !ids.insert(b.id.as_str()) {
                return Err(err(format!("{path}.id"), format!("{} appears twice", b.id)));
            }
            let Some(&home) = codes.get(b.jurisdiction.as_str()) else {
                return Err(err(
                    format!("{path}.jurisdiction"),
                    format!(
                        "{:?} is not one of the notice's jurisdictions",
                        b.jurisdiction
                    ),
                ));
            };
            if let Some(c) = b.payment_currency
                && c != home
                && c != Currency::USD
            {
                // REG-§95911(a)(4): USD; Québec entities may also use CAD (Auction Examples).
                return Err(err(
                    format!("{path}.payment_currency"),
                    format!("a bidder registered in a {home} jurisdiction pays in USD or {home}"),
                ));
            }
            if b.bid_guarantee.currency != Currency::USD && b.bid_guarantee.currency != home {
                return Err(err(
                    format!("{path}.bid_guarantee.currency"),
                    format!("a bidder registered in a {home} jurisdiction posts USD or {home}"),
                ));
            }
            for (n, v) in [
                ("current", b.holding_headroom.current),
                ("advance", b.holding_headroom.advance),
            ] {
                if v.is_some_and(|v| v > MAX_QUANTITY) {
                    return Err(err(
                        format!("{path}.holding_headroom.{n}"),
                        format!("above {MAX_QUANTITY}"),
                    ));
                }
            }
        }
        Ok(())
    }

    fn check_offering(
        &self,
        name: &str,
        o: &Offering,
        codes: &BTreeMap<&str, Currency>,
        vintage_ok: impl Fn(u16) -> bool,
    ) -> Result<(), NoticeError> {
        if o.offers.is_empty() || o.offers.len() > MAX_OFFER_LINES {
            return Err(err(
                format!("{name}.offers"),
                format!("1 to {MAX_OFFER_LINES} offer lines"),
            ));
        }
        let mut seen = BTreeSet::new();
        let mut supply: u128 = 0;
        for (i, line) in o.offers.iter().enumerate() {
            let path = format!("{name}.offers[{i}]");
            if !codes.contains_key(line.jurisdiction.as_str()) {
                return Err(err(
                    format!("{path}.jurisdiction"),
                    format!(
                        "{:?} is not one of the notice's jurisdictions",
                        line.jurisdiction
                    ),
                ));
            }
            if !vintage_ok(line.vintage) {
                let rule = if name == "advance" {
                    format!(
                        "the advance auction offers vintage {} (the auction year + 3, REG-§95910(c)(2)(B))",
                        self.date.year + 3
                    )
                } else {
                    format!(
                        "the current auction offers vintages up to the auction year {} (REG-§95910(c)(1), (d))",
                        self.date.year
                    )
                };
                return Err(err(format!("{path}.vintage"), rule));
            }
            if !seen.insert((line.jurisdiction.as_str(), line.vintage)) {
                return Err(err(
                    path,
                    format!(
                        "{} vintage {} is listed twice",
                        line.jurisdiction, line.vintage
                    ),
                ));
            }
            if line.consigned.len() > MAX_OFFER_LINES {
                return Err(err(format!("{path}.consigned"), "too many consignments"));
            }
            let mut consignors = BTreeSet::new();
            for (k, c) in line.consigned.iter().enumerate() {
                check_id(&format!("{path}.consigned[{k}].consignor"), &c.consignor)?;
                if !consignors.insert(c.consignor.as_str()) {
                    return Err(err(
                        format!("{path}.consigned[{k}].consignor"),
                        format!("{} appears twice", c.consignor),
                    ));
                }
                supply += u128::from(c.quantity);
            }
            supply += u128::from(line.state_owned);
        }
        if supply == 0 || supply > u128::from(MAX_QUANTITY) {
            return Err(err(
                format!("{name}.offers"),
                format!("the allowances offered add up to {supply}: expected 1 to {MAX_QUANTITY}"),
            ));
        }
        Ok(())
    }

    /// The purchase limits in force (filled in by [`Notice::fill_defaults`]).
    pub fn purchase_limits(&self) -> &PurchaseLimits {
        self.rules
            .purchase_limits
            .as_ref()
            .expect("purchase limits are filled in before validation")
    }

    pub fn jurisdiction(&self, code: &str) -> Option<&JurisdictionInput> {
        self.jurisdictions.iter().find(|j| j.code == code)
    }

    /// When bidding closed, if the notice says.
    pub fn closes_at(&self) -> Option<Timestamp> {
        self.closes_at
            .as_deref()
            .map(|t| Timestamp::parse(t).expect("validated at parse"))
    }

    /// The registry's id of this auction day: `auction_id`, or the date.
    pub fn registry_auction_id(&self) -> String {
        self.auction_id
            .clone()
            .unwrap_or_else(|| self.date.to_string())
    }

    /// A bidder's payment currency: as registered, or its jurisdiction's.
    pub fn payment_currency(&self, b: &Bidder) -> Currency {
        b.payment_currency.unwrap_or_else(|| {
            self.jurisdiction(&b.jurisdiction)
                .map_or(Currency::USD, |j| j.currency)
        })
    }
}

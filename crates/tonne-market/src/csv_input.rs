//! The auction's input files (docs/market.md): bids `bidder,price,quantity` and limits
//! `bidder,purchase_limit,holding_headroom,bid_guarantee`. Every error names its line and
//! column; prices are dollars with at most two decimals, read exactly into cents.

use crate::auction::{Bid, LOT, Limits};
use std::collections::{BTreeMap, VecDeque};
use std::io::Read;

/// Bids one auction file may hold (a limit on everything).
pub const MAX_BIDS: usize = 1_000_000;
/// Largest price accepted, in cents ($1,000,000 per allowance).
pub const MAX_PRICE_CENTS: u64 = 100_000_000;
/// Largest bid guarantee, in dollars.
pub const MAX_GUARANTEE_DOLLARS: u64 = 1_000_000_000_000;
/// Largest quantity in one field, in allowances.
pub const MAX_QUANTITY: u64 = 1_000_000_000_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}, line {line}{}: {message}", column.map(|c| format!(", column {c}")).unwrap_or_default())]
pub struct InputError {
    pub file: &'static str,
    pub line: u64,
    pub column: Option<&'static str>,
    pub message: String,
}

/// Dollars with at most two decimals (`29.15`, `30`, `0.5`) into cents, up to `max_dollars`.
/// No sign, no exponent: amounts are read exactly, never through floats.
pub fn parse_amount(s: &str, max_dollars: u64) -> Result<u64, String> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (s.contains('.') && !digits(frac)) {
        return Err(format!("{s:?} is not an amount in dollars (e.g. 29.15)"));
    }
    if frac.len() > 2 {
        return Err(format!(
            "{s:?} has more than two decimals (amounts are in whole cents)"
        ));
    }
    let w = whole
        .parse::<u64>()
        .ok()
        .filter(|w| *w <= max_dollars)
        .ok_or_else(|| format!("{s:?} is above ${max_dollars}"))?;
    let f = match frac.len() {
        0 => 0,
        1 => frac.parse::<u64>().expect("a digit") * 10,
        _ => frac.parse::<u64>().expect("digits"),
    };
    Ok(w * 100 + f)
}

/// A bid price or reserve price in dollars, into cents.
pub fn parse_dollars(s: &str) -> Result<u64, String> {
    parse_amount(s, MAX_PRICE_CENTS / 100)
}

/// A bid guarantee in dollars, into cents.
fn parse_guarantee(s: &str) -> Result<u64, String> {
    parse_amount(s, MAX_GUARANTEE_DOLLARS)
}

fn parse_count(s: &str) -> Result<u64, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{s:?} is not a whole number of allowances"));
    }
    s.parse::<u64>()
        .ok()
        .filter(|v| *v <= MAX_QUANTITY)
        .ok_or_else(|| format!("{s:?} is above {MAX_QUANTITY}"))
}

/// Counts the lines of what passes through it. The csv crate's record line numbers skip blank
/// lines and are one short in CRLF files (and a record's start offset points into the previous
/// terminator), so a row's line is found from where the reader stopped after it: the line of
/// its last byte, less the line breaks inside its fields.
struct LineCounter<R> {
    inner: R,
    read: u64,
    /// Offsets of the newlines read but not yet passed by a record.
    newlines: VecDeque<u64>,
    passed: u64,
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, _) in buf[..n].iter().enumerate().filter(|(_, b)| **b == b'\n') {
            self.newlines.push_back(self.read + i as u64);
        }
        self.read += n as u64;
        Ok(n)
    }
}

impl<R> LineCounter<R> {
    /// The line (1-based) of the byte at `offset`; offsets must not decrease between calls.
    fn line_at(&mut self, offset: u64) -> u64 {
        while self.newlines.front().is_some_and(|&nl| nl < offset) {
            self.newlines.pop_front();
            self.passed += 1;
        }
        self.passed + 1
    }
}

type Reader<R> = csv::Reader<LineCounter<R>>;

fn reader<R: Read>(input: R) -> Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(LineCounter {
            inner: input,
            read: 0,
            newlines: VecDeque::new(),
            passed: 0,
        })
}

fn check_header<R: Read>(
    file: &'static str,
    rdr: &mut Reader<R>,
    want: &[&str],
) -> Result<(), InputError> {
    let h = rdr.headers().map_err(|e| InputError {
        file,
        line: 1,
        column: None,
        message: e.to_string(),
    })?;
    let got: Vec<&str> = h.iter().collect();
    if got != want {
        return Err(InputError {
            file,
            line: 1,
            column: None,
            message: format!("header is {:?}; expected {}", got.join(","), want.join(",")),
        });
    }
    Ok(())
}

/// Where a row is, for its errors.
struct At {
    file: &'static str,
    line: u64,
}

impl At {
    fn err(&self, column: &'static str, message: impl Into<String>) -> InputError {
        InputError {
            file: self.file,
            line: self.line,
            column: Some(column),
            message: message.into(),
        }
    }

    /// The row's bidder id: 1-64 printable characters.
    fn bidder<'r>(&self, rec: &'r csv::StringRecord) -> Result<&'r str, InputError> {
        let b = rec.get(0).unwrap_or("");
        if b.is_empty() || b.len() > 64 || b.chars().any(char::is_control) {
            return Err(self.err(
                "bidder",
                "a bidder id of 1-64 printable characters is required",
            ));
        }
        Ok(b)
    }
}

fn rows<R: Read>(
    file: &'static str,
    rdr: &mut Reader<R>,
    mut row: impl FnMut(&At, &csv::StringRecord) -> Result<(), InputError>,
) -> Result<(), InputError> {
    let mut rec = csv::StringRecord::new();
    let mut n = 0usize;
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => {
                return Err(InputError {
                    file,
                    line: {
                        let end = rdr.position().byte();
                        rdr.get_mut().line_at(end.saturating_sub(1))
                    },
                    column: None,
                    message: match e.kind() {
                        // The csv crate's message carries its own (miscounted) line number.
                        csv::ErrorKind::UnequalLengths {
                            expected_len, len, ..
                        } => format!("{len} fields; expected {expected_len}"),
                        _ => e.to_string(),
                    },
                });
            }
        }
        n += 1;
        let end = rdr.position().byte();
        let inside: usize = rec.iter().map(|f| f.matches('\n').count()).sum();
        let line = rdr.get_mut().line_at(end.saturating_sub(1)) - inside as u64;
        if n > MAX_BIDS {
            return Err(InputError {
                file,
                line,
                column: None,
                message: format!("more than {MAX_BIDS} rows"),
            });
        }
        row(&At { file, line }, &rec)?;
    }
}

/// One bid row's first three columns: `bidder,price,quantity`.
fn bid_row(at: &At, rec: &csv::StringRecord) -> Result<Bid, InputError> {
    let err = |column, message: String| at.err(column, message);
    let bidder = at.bidder(rec)?;
    let price_cents = parse_dollars(rec.get(1).unwrap_or("")).map_err(|m| err("price", m))?;
    let quantity = parse_count(rec.get(2).unwrap_or("")).map_err(|m| err("quantity", m))?;
    if quantity == 0 || !quantity.is_multiple_of(LOT) {
        return Err(err(
            "quantity",
            format!(
                "{quantity} is not a positive multiple of {LOT} (bids are in lots of {LOT} allowances)"
            ),
        ));
    }
    Ok(Bid {
        bidder: bidder.to_owned(),
        price_cents,
        quantity,
    })
}

/// Reads the bids file.
pub fn read_bids(input: impl Read) -> Result<Vec<Bid>, InputError> {
    const FILE: &str = "bids";
    let mut rdr = reader(input);
    check_header(FILE, &mut rdr, &["bidder", "price", "quantity"])?;
    let mut out = Vec::new();
    rows(FILE, &mut rdr, |at, rec| {
        out.push(bid_row(at, rec)?);
        Ok(())
    })?;
    Ok(out)
}

/// An auction event's bids file: the bids, the line each came from (for errors found later,
/// such as an unqualified bidder), and which prices are in Canadian dollars.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BidFile {
    pub bids: Vec<Bid>,
    /// The line of each bid in its file.
    pub lines: Vec<u64>,
    /// Indices (into `bids`) of the bids priced in CAD.
    pub cad_prices: Vec<usize>,
}

/// Reads an auction event's bids file: `bidder,price,quantity` as for [`read_bids`], with an
/// optional fourth column `currency` (`USD`, the default when empty, or `CAD`: Québec entities
/// may bid in CAD, converted to USD at the auction exchange rate — Auction Examples, VERIFIED).
pub fn read_bid_file(input: impl Read, file: &'static str) -> Result<BidFile, InputError> {
    let mut rdr = reader(input);
    const THREE: [&str; 3] = ["bidder", "price", "quantity"];
    const FOUR: [&str; 4] = ["bidder", "price", "quantity", "currency"];
    let with_currency = match rdr.headers() {
        Ok(h) if h.iter().eq(FOUR) => true,
        _ => {
            check_header(file, &mut rdr, &THREE).map_err(|mut e| {
                if e.message.starts_with("header is") {
                    e.message += " (or bidder,price,quantity,currency)";
                }
                e
            })?;
            false
        }
    };
    let mut out = BidFile::default();
    rows(file, &mut rdr, |at, rec| {
        let bid = bid_row(at, rec)?;
        if with_currency {
            match rec.get(3).unwrap_or("") {
                "" | "USD" => {}
                "CAD" => out.cad_prices.push(out.bids.len()),
                other => {
                    return Err(at.err(
                        "currency",
                        format!("{other:?} is not a currency: expected USD or CAD"),
                    ));
                }
            }
        }
        out.bids.push(bid);
        out.lines.push(at.line);
        Ok(())
    })?;
    Ok(out)
}

/// Reads the limits file; an empty field means no limit of that kind.
pub fn read_limits(input: impl Read) -> Result<BTreeMap<String, Limits>, InputError> {
    const FILE: &str = "limits";
    let mut rdr = reader(input);
    check_header(
        FILE,
        &mut rdr,
        &[
            "bidder",
            "purchase_limit",
            "holding_headroom",
            "bid_guarantee",
        ],
    )?;
    let mut out = BTreeMap::new();
    rows(FILE, &mut rdr, |at, rec| {
        let err = |column, message: String| at.err(column, message);
        let bidder = at.bidder(rec)?;
        let opt = |i: usize, column: &'static str, f: fn(&str) -> Result<u64, String>| match rec
            .get(i)
            .unwrap_or("")
        {
            "" => Ok(None),
            s => f(s).map(Some).map_err(|m| err(column, m)),
        };
        let limits = Limits {
            purchase_limit: opt(1, "purchase_limit", parse_count)?,
            holding_headroom: opt(2, "holding_headroom", parse_count)?,
            bid_guarantee_cents: opt(3, "bid_guarantee", parse_guarantee)?,
        };
        if out.insert(bidder.to_owned(), limits).is_some() {
            return Err(err("bidder", format!("{bidder} appears twice")));
        }
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars() {
        assert_eq!(parse_dollars("29.15"), Ok(2915));
        assert_eq!(parse_dollars("30"), Ok(3000));
        assert_eq!(parse_dollars("0.5"), Ok(50));
        for bad in ["29.155", "-1", "1e3", "", ".5", "5.", "abc", "2000000"] {
            assert!(parse_dollars(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_rows_name_line_and_column() {
        let e = read_bids("bidder,price,quantity\nA,30.00,1000\nB,30.001,1000\n".as_bytes())
            .unwrap_err();
        assert_eq!((e.line, e.column), (3, Some("price")), "{e}");
        let e = read_bids("bidder,price,quantity\nA,30,1500\n".as_bytes()).unwrap_err();
        assert_eq!((e.line, e.column), (2, Some("quantity")), "{e}");
        assert!(
            read_bids("bidder,qty,price\n".as_bytes())
                .unwrap_err()
                .to_string()
                .contains("expected bidder,price,quantity")
        );
        let e = read_limits(
            "bidder,purchase_limit,holding_headroom,bid_guarantee\nA,10,,5\nA,1,1,1\n".as_bytes(),
        )
        .unwrap_err();
        assert_eq!(e.line, 3, "{e}");
    }

    #[test]
    fn bid_files_keep_lines_and_currencies() {
        let f = read_bid_file(
            "bidder,price,quantity,currency\nA,30,1000,\n\nB,38.15,2000,CAD\n".as_bytes(),
            "bids",
        )
        .unwrap();
        assert_eq!(f.lines, [2, 4]);
        assert_eq!(f.cad_prices, [1]);
        // CRLF and blank lines: the lines a text editor shows.
        let f = read_bid_file(
            "bidder,price,quantity\r\nA,30,1000\r\n\r\n\r\nB,31,1000\r\n".as_bytes(),
            "bids",
        )
        .unwrap();
        assert_eq!(f.lines, [2, 5]);
        let e = read_bids("bidder,price,quantity\r\nA,30,1000\r\n\r\nB,x,1000\r\n".as_bytes())
            .unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        let e = read_bids("bidder,price,quantity\nA,30,1000\n\nB,30\n".as_bytes()).unwrap_err();
        assert_eq!(e.to_string(), "bids, line 4: 2 fields; expected 3");
        // No final line break; a quoted field over two lines is reported at its first.
        let f = read_bid_file(
            "bidder,price,quantity\nA,30,1000\nC,30,1000".as_bytes(),
            "bids",
        )
        .unwrap();
        assert_eq!(f.lines, [2, 3]);
        let e = read_bids("bidder,price,quantity\nA,30,1000\n\"A\nB\",30,1000\n".as_bytes())
            .unwrap_err();
        assert_eq!((e.line, e.column), (3, Some("bidder")), "{e}");
        let f = read_bid_file("bidder,price,quantity\nA,30,1000\n".as_bytes(), "bids").unwrap();
        assert_eq!((f.bids.len(), f.cad_prices.len()), (1, 0));
        let e = read_bid_file(
            "bidder,price,quantity,currency\nA,30,1000,EUR\n".as_bytes(),
            "bids",
        )
        .unwrap_err();
        assert_eq!((e.line, e.column), (2, Some("currency")), "{e}");
        let e = read_bid_file("bidder,quantity\n".as_bytes(), "advance bids").unwrap_err();
        assert!(e.to_string().contains("advance bids, line 1"), "{e}");
    }
}
